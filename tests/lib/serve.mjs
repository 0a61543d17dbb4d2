// Runs `cairn serve` with exactly the arguments a test gives (a config
// file, a data folder it keeps across restarts), for the tests of
// configuration, signals, logs and installation. tests/lib/server.mjs's
// startServer is the usual way; this one leaves the data folder alone and
// lets the test send signals and read the exit status.
//
//   const s = await serve(['serve', '--config', file]);
//   s.url, s.pid, s.stdout, s.stderr (so far), s.accounts (demo)
//   await s.waitForStderr(/read again/)
//   s.kill('SIGHUP'); const { code, signal } = await s.exited;
import { spawn } from 'node:child_process';

import { cairnBin, parseAccounts } from './server.mjs';

export async function serve(args, { bin = cairnBin(), env = process.env, timeoutMs = 20000 } = {}) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '', stderr = '';
  const waiters = [];
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0))
      w();
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    for (const w of waiters.splice(0))
      w();
    resolve({ code, signal });
  }));
  const onExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.on('exit', onExit);
  exited.then(() => process.off('exit', onExit));

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `cairn ${args.join(' ')}: no listening line within ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    child.stdout.on('data', () => {
      const m = /Cairn is listening on (http:\/\/[^\s/]+)\/?/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`cairn ${args.join(' ')} exited (${code}, ${signal}) before listening\n${stderr}`));
    });
  });
  child.stdout.on('data', () => {});
  const s = {
    url,
    pid: child.pid,
    exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    get accounts() { return parseAccounts(stdout); },
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: (sig) => child.kill(sig),
    /** Resolves once stderr (from offset on) matches re; rejects after ms. */
    waitForStderr(re, { from = 0, ms = 10000 } = {}) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stderr never matched ${re}:\n${stderr.slice(from)}`)), ms);
        const check = () => {
          const m = re.exec(stderr.slice(from));
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else if (!s.alive()) {
            clearTimeout(timer);
            reject(new Error(`the server exited; stderr never matched ${re}:\n${stderr.slice(from)}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    /** SIGTERM, then SIGKILL after ms; resolves to the exit status. */
    async stop(ms = 10000) {
      if (s.alive()) {
        child.kill('SIGTERM');
        const t = setTimeout(() => s.alive() && child.kill('SIGKILL'), ms);
        const r = await exited;
        clearTimeout(t);
        return r;
      }
      return exited;
    },
  };
  return s;
}

/** The access lines of a logfmt log as objects (values unquoted). */
export function logfmtLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.includes(' level='))
      continue;
    const o = { time: line.slice(0, line.indexOf(' ')) };
    const re = /(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g;
    for (const m of line.matchAll(re))
      o[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    out.push(o);
  }
  return out;
}
