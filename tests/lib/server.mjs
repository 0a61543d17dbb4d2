// Starts and stops a Cairn server for one test file.
//
//   const srv = await startServer({ demo: true });
//   srv.url            'http://127.0.0.1:PORT'   (no trailing slash)
//   srv.accounts       { 'officer@leics.example': {role, email, password}, ... }
//   srv.account(role, emailPart?)  the first demo account with that role
//   await srv.stop()
//
// The binary comes from $CAIRN_BIN (meson sets it to build/cairn); the SCORM
// packages from $CAIRN_SHARED/scorm-packages (default /work/shared).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const SOURCE_DIR = process.env.CAIRN_SOURCE || path.resolve(here, '..', '..');
export const SHARED_DIR = process.env.CAIRN_SHARED || '/work/shared';
export const PACKAGES_DIR = path.join(SHARED_DIR, 'scorm-packages');

export function cairnBin() {
  const bin = process.env.CAIRN_BIN;
  if (!bin)
    throw new Error('CAIRN_BIN is not set: point it at the cairn binary (meson sets it to build/cairn)');
  if (!fs.existsSync(bin))
    throw new Error(`CAIRN_BIN=${bin} does not exist`);
  return bin;
}

/** The path of a shared SCORM package, e.g. pkg('golf12-runtime-basic-singlesco.zip'). */
export function pkg(name) {
  const p = path.join(PACKAGES_DIR, name);
  if (!fs.existsSync(p))
    throw new Error(`missing test package ${p} (is CAIRN_SHARED right?)`);
  return p;
}

/** Parses the demo account lines: "  officer  officer@leics.example   password abc". */
export function parseAccounts(stdout) {
  const accounts = {};
  const re = /^\s+(learner|officer|admin)\s+(\S+@\S+)\s+password\s+(\S+)\s*$/gm;
  for (const m of stdout.matchAll(re))
    accounts[m[2]] = { role: m[1], email: m[2], password: m[3] };
  return accounts;
}

/** Runs `cairn ARGS...`; resolves to {code, stdout, stderr}. */
export function runCairn(args, { input, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cairnBin(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn ${args.join(' ')} took over ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // The program may exit before reading its input (EPIPE): not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/**
 * Starts `cairn serve` on 127.0.0.1 with --port 0 and a fresh data folder.
 * opts.demo: add the demo boroughs and accounts (default true).
 * opts.packages: true for the shared golf packages, a folder, or false for
 *   none (default true when demo).
 * opts.args: more command-line arguments.
 * opts.timeoutMs: how long to wait for the listening line (default 20 s).
 * opts.dataDir: run on this existing data folder (a restart, a restore)
 *   instead of a fresh one; it is left in place at stop().
 */
export async function startServer(opts = {}) {
  const demo = opts.demo ?? true;
  const packages = opts.packages ?? true;
  const own = !opts.dataDir;
  const dataDir = own ? await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-test-'))
    : path.dirname(opts.dataDir);
  const dataPath = own ? path.join(dataDir, 'data') : opts.dataDir;
  const removeData = () => (own ? fs.promises.rm(dataDir, { recursive: true, force: true })
    : Promise.resolve());
  const args = ['serve', '--data', dataPath, '--port', '0',
    '--listen', '127.0.0.1'];
  if (demo) {
    args.push('--demo', '--demo-packages');
    if (packages === true)
      args.push(PACKAGES_DIR);
    else if (typeof packages === 'string')
      args.push(packages);
    else
      args.push(path.join(dataDir, 'no-packages'));   // absent: nothing imported
  }
  if (opts.args)
    args.push(...opts.args);

  const child = spawn(cairnBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 1 << 20)    // keep the tail only
      stderr = stderr.slice(-(1 << 19));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const timeoutMs = opts.timeoutMs ?? 20000;
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `cairn serve did not print its listening line within ${timeoutMs} ms`)), timeoutMs);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /Cairn is listening on (http:\/\/[^\s/]+)\/?/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('error', (e) => { clearTimeout(timer); reject(e); });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`cairn serve exited (code ${code}, signal ${signal}) before listening`));
      });
    });
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
    await exited;
    await removeData();
    e.message += `\ncommand: ${cairnBin()} ${args.join(' ')}\nstdout:\n${stdout}\nstderr:\n${stderr}`;
    throw e;
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  child.stdout.on('data', () => {});

  const accounts = parseAccounts(stdout);
  let stopped = false;
  // If the test process dies without calling stop(), take the server and
  // its folder with it.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null)
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    if (own)
      fs.rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const srv = {
    url,
    host: new URL(url).host,
    port: Number(new URL(url).port),
    dataDir: dataPath,
    pid: child.pid,
    accounts,
    get stderr() { return stderr; },
    /** The first demo account with this role (and email containing part). */
    account(role, part = '') {
      const a = Object.values(accounts).find((x) => x.role === role && x.email.includes(part));
      if (!a)
        throw new Error(`no demo ${role} account matching "${part}" in: ${stdout}`);
      return a;
    },
    /** True while the server process is running. */
    alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    /** Adds an account with `cairn user add` (the server keeps running). */
    async addUser({ email, name, role = 'learner', borough, jobRole, password }) {
      const a = ['user', 'add', '--data', srv.dataDir, '--email', email, '--name', name,
        '--role', role, '--password-stdin'];
      if (borough)
        a.push('--borough', borough);
      if (jobRole)
        a.push('--job-role', jobRole);
      const r = await runCairn(a, { input: password + '\n' });
      if (r.code !== 0)
        throw new Error(`cairn user add failed (${r.code}): ${r.stderr}`);
      return { email, password, role };
    },
    /** SIGKILL, as a power cut or the OOM killer would; keeps the data
     * folder (stop() afterwards removes it, when the server made it). */
    async kill() {
      if (srv.alive())
        process.kill(child.pid, 'SIGKILL');
      await exited;
    },
    async stop() {
      if (stopped)
        return;
      stopped = true;
      process.off('exit', onExit);
      if (srv.alive()) {
        process.kill(child.pid, 'SIGTERM');
        const killer = setTimeout(() => {
          if (srv.alive())
            process.kill(child.pid, 'SIGKILL');
        }, 5000);
        await exited;
        clearTimeout(killer);
      }
      await removeData();
    },
  };
  return srv;
}

/** Lists the files of a zip with `unzip -Z1` (for tests that read content). */
export function zipList(zipPath) {
  const r = spawnSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`unzip -Z1 ${zipPath}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** Extracts one file of a zip as a Buffer. */
export function zipRead(zipPath, name) {
  const r = spawnSync('unzip', ['-p', zipPath, name], { maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(`unzip -p ${zipPath} ${name}: ${r.stderr}`);
  return r.stdout;
}
