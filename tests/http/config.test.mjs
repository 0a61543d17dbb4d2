// The configuration file: `cairn config check` (every mistake, with its
// line), `cairn serve --config` (the file is used, options win over it),
// and SIGHUP (log level, limits and plugins change at run time).
// deploy/cairn.conf documents the keys; docs/DEPLOY.md what SIGHUP changes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR, runCairn } from '../lib/server.mjs';
import { Client, request, streamBody } from '../lib/client.mjs';
import { logfmtLines, serve } from '../lib/serve.mjs';

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-config-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name, text) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

/** {line: message} from `config check` output lines "FILE:LINE: message". */
function mistakes(stderr, file) {
  const out = {};
  for (const l of stderr.split('\n')) {
    if (!l.startsWith(file + ':'))
      continue;
    const rest = l.slice(file.length + 1);
    const m = /^(\d+): (.*)$/.exec(rest);
    if (m)
      out[Number(m[1])] = m[2];
    else if (!/^ \d+ mistakes?$/.test(rest))
      (out.file ??= []).push(rest.trim());
  }
  return out;
}

describe('cairn config check', () => {
  test('deploy/cairn.conf, with its data folder somewhere writable, is ok', async () => {
    const text = fs.readFileSync(path.join(SOURCE_DIR, 'deploy', 'cairn.conf'), 'utf8')
      .replace(/^data = .*$/m, `data = ${path.join(tmp, 'example-data')}`);
    const file = write('example.conf', text);
    const r = await runCairn(['config', 'check', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${file}: ok\n`);
    assert.equal(r.stderr, '');
  });

  test('every kind of mistake is reported with its line, and the exit status is 1', async () => {
    fs.writeFileSync(path.join(tmp, 'a-file'), 'not a folder');
    const file = write('broken.conf', [
      '# line 1 is a comment',
      'listen = 10.0.0.300',                      // 2 bad address
      'port = 80800',                             // 3 out of range
      `data = ${path.join(tmp, 'a-file')}`,       // 4 not a folder
      'public_url = ftp://training.example.org',  // 5 wrong scheme
      'sesion_hours = 12',                        // 6 unknown, did you mean
      'log_level = verbose',                      // 7 bad value
      'log_level = info',                         // 8 duplicate
      'plugins = /nonexistent/plugins',           // 9 unreadable folder
      'just some words',                          // 10 no =
      '',                                         // 11 blank: fine
      'durable = maybe',                          // 12 not a boolean
      'trusted_proxy = 10.0.0.0/8',               // 13 a network, not an address
      'smtp_from = "Cairn <noreply@example.org>', // 14 no closing quote
      ' = 3',                                     // 15 no key
      'upload_limit_mb = 0',                      // 16 below the minimum
      'colour = blue',                            // 17 unknown, nothing close
      'threads = 4',                              // 18 fine
    ].join('\n') + '\n');
    const r = await runCairn(['config', 'check', file]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const m = mistakes(r.stderr, file);
    const expect = {
      2: /^listen: '10\.0\.0\.300' is not an IPv4 address/,
      3: /^port: '80800' is not a whole number from 0 to 65535$/,
      4: /^data: .*a-file is not a folder$/,
      5: /^public_url: 'ftp:\/\/training\.example\.org' is not an http:\/\/ or https:\/\/ address$/,
      6: /^unknown key 'sesion_hours' \(did you mean 'session_hours'\?\)$/,
      7: /^log_level: 'verbose' is not one of debug, info, warn, error$/,
      8: /^log_level is set twice \(first on line 7\)$/,
      9: /^plugins: the folder \/nonexistent\/plugins cannot be read \(No such file or directory\)$/,
      10: /^expected 'key = value', found 'just some words'$/,
      12: /^durable: 'maybe' is not yes or no$/,
      13: /^trusted_proxy: '10\.0\.0\.0\/8' is not an IP address/,
      14: /^smtp_from: the quoted value has no closing quote$/,
      15: /^no key before '='$/,
      16: /^upload_limit_mb: '0' is not a whole number from 1 to 16384$/,
      17: /^unknown key 'colour'$/,
    };
    assert.deepEqual(Object.keys(m).filter((k) => k !== 'file').map(Number).sort((a, b) => a - b),
      Object.keys(expect).map(Number), r.stderr);
    for (const [line, re] of Object.entries(expect))
      assert.match(m[line], re, `line ${line}`);
    // data and public_url are given (wrongly): not reported as missing too.
    assert.equal(m.file, undefined, r.stderr);
    assert.match(r.stderr, new RegExp(`^${file}: 15 mistakes$`, 'm'));
  });

  test('required keys that are missing, and a file that cannot be read', async () => {
    const file = write('sparse.conf', 'port = 8080\n');
    const r = await runCairn(['config', 'check', file]);
    assert.equal(r.code, 1);
    assert.deepEqual(mistakes(r.stderr, file).file,
      ['the required key data is missing', 'the required key public_url is missing']);
    const gone = path.join(tmp, 'no-such.conf');
    const g = await runCairn(['config', 'check', gone]);
    assert.equal(g.code, 1);
    assert.match(g.stderr, new RegExp(`^${gone}: cannot be read: No such file or directory$`, 'm'));
  });

  test('several files: each is checked; one bad one makes the status 1', async () => {
    const good = write('good.conf', `data = ${tmp}/d\npublic_url = https://t.example.org/\n`);
    const bad = write('bad.conf', `data = ${tmp}/d\npublic_url = https://t.example.org\nport = -1\n`);
    const r = await runCairn(['config', 'check', good, bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${good}: ok\n`);
    assert.deepEqual(Object.keys(mistakes(r.stderr, bad)), ['3']);
  });
});

describe('cairn serve --config', () => {
  test('the settings of the file are used, and options win over it', async () => {
    const data = path.join(tmp, 'served-data');
    const file = write('served.conf', [
      'listen = 127.0.0.1',
      'port = 1',                      // the option --port 0 wins
      'data = served-data',            // relative: from the file's folder
      'public_url = https://training.example.org',
      'upload_limit_mb = 1',
      'log_format = json',
      'session_hours = 2',
      'modules = none',
      `plugins = ${path.join(SOURCE_DIR, 'plugins')}`,
      'log_level = info',
    ].join('\n') + '\n');
    const s = await serve(['serve', '--config', file, '--port', '0', '--demo', '--demo-packages',
      path.join(tmp, 'none')]);
    try {
      assert.notEqual(new URL(s.url).port, '1');
      assert.ok(fs.existsSync(path.join(data, 'cairn.db')), 'the database is in the configured folder');
      // upload_limit_mb = 1: a 2 MiB upload is refused before it is read.
      const admin = await new Client(s.url).mustLogin('admin@cairn.example',
        s.accounts['admin@cairn.example'].password);
      const big = await streamBody(s.url, '/api/packages', {
        headers: { 'Content-Type': 'application/zip', Cookie: admin.cookieHeader(),
          'X-CSRF-Token': admin.csrf }, totalBytes: 2 << 20, expectContinue: true });
      assert.equal(big.status, 413);
      assert.match(big.text, /limit here is 1048576/);
      // session_hours = 2: the cookie lasts two hours.
      const login = await new Client(s.url).login('admin@cairn.example',
        s.accounts['admin@cairn.example'].password);
      const cookie = login.headers['set-cookie'].find((c) => c.startsWith('cairn_session='));
      assert.match(cookie, /Max-Age=7200\b/);
      // log_format = json: every line is a JSON object.
      await s.waitForStderr(/"path":"\/api\/login"/);
      const lines = s.stderr.trim().split('\n');
      for (const l of lines)
        assert.doesNotThrow(() => JSON.parse(l), l);
    } finally {
      const { code } = await s.stop();
      assert.equal(code, 0);
    }
  });

  test('a file with a mistake stops the start with its line and status 2', async () => {
    const file = write('wrong.conf', `data = ${tmp}/w\npublic_url = https://t.example.org\nthreads = 0\n`);
    const r = await runCairn(['serve', '--config', file, '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^${file}:3: threads: '0' is not a whole number from 1 to 256$`, 'm'));
    assert.equal(fs.existsSync(path.join(tmp, 'w')), false, 'nothing was created');
  });

  test('a key given as an option need not be in the file (--data)', async () => {
    const file = write('no-data.conf', 'public_url = https://t.example.org\nmodules = none\n');
    const s = await serve(['serve', '--config', file, '--data', path.join(tmp, 'opt-data'),
      '--port', '0']);
    assert.ok(fs.existsSync(path.join(tmp, 'opt-data', 'cairn.db')));
    assert.equal((await s.stop()).code, 0);
  });
});

describe('SIGHUP', () => {
  test('reads the file again: log level and limits change, a restart-only key is reported, plugins reload', async () => {
    const plugins = path.join(tmp, 'hup-plugins');
    fs.cpSync(path.join(SOURCE_DIR, 'plugins', 'eastmere'), path.join(plugins, 'eastmere'),
      { recursive: true });
    const conf = (level, mb, port = 0) => [
      `data = ${path.join(tmp, 'hup-data')}`,
      'public_url = https://t.example.org',
      `port = ${port}`,
      `log_level = ${level}`,
      `upload_limit_mb = ${mb}`,
      `plugins = ${plugins}`,
      'modules = none',
    ].join('\n') + '\n';
    const file = write('hup.conf', conf('warn', 1));
    const s = await serve(['serve', '--config', file, '--demo', '--demo-packages',
      path.join(tmp, 'none')]);
    try {
      const admin = await new Client(s.url).mustLogin('admin@cairn.example',
        s.accounts['admin@cairn.example'].password);
      const status = async () => (await admin.get('/api/admin/plugins')).body;
      const before = await status();
      assert.equal(before.dir, plugins);
      assert.deepEqual(before.plugins.map((p) => [p.name, p.state]), [['eastmere', 'loaded']]);
      assert.equal((await request(s.url, '/healthz')).status, 200);
      const upload = () => streamBody(s.url, '/api/packages', {
        headers: { 'Content-Type': 'application/zip', Cookie: admin.cookieHeader(),
          'X-CSRF-Token': admin.csrf }, totalBytes: 2 << 20, expectContinue: true });
      assert.equal((await upload()).status, 413);
      assert.doesNotMatch(s.stderr, /path=\/healthz/, 'log_level = warn: no request lines');

      // The plugin breaks, the level and the limit change, and the port
      // (which needs a restart) changes too.
      fs.appendFileSync(path.join(plugins, 'eastmere', 'init.lua'), '\nthis is not lua\n');
      fs.writeFileSync(file, conf('info', 3, 1));
      const from = s.stderr.length;
      s.kill('SIGHUP');
      await s.waitForStderr(/plugins reloaded/, { from });
      const log = s.stderr.slice(from);
      assert.match(log, /msg="log_level: warn -> info"/);
      assert.match(log, /msg="upload_limit_mb: 1 -> 3"/);
      assert.match(log, /msg="port changed in [^"]*; it takes effect at the next start"/);
      assert.match(log, /2 settings changed/);
      assert.match(log, /plugin=eastmere failed to load/);
      const broken = await status();
      assert.equal(broken.generation, before.generation + 1);
      assert.equal(broken.plugins[0].state, 'failed');
      assert.equal(broken.plugins[0].error.file, 'init.lua');
      assert.ok(broken.plugins[0].error.line > 0);
      assert.notEqual((await upload()).status, 413, 'the new limit applies');
      await request(s.url, '/healthz');
      await s.waitForStderr(/path=\/healthz/, { from });

      // A mistake in the file: reported with its line, nothing changes;
      // the plugins (now fixed) are read again anyway.
      fs.cpSync(path.join(SOURCE_DIR, 'plugins', 'eastmere', 'init.lua'),
        path.join(plugins, 'eastmere', 'init.lua'));
      fs.writeFileSync(file, conf('debug', 3).replace('log_level = debug', 'log_level = loud'));
      const from2 = s.stderr.length;
      s.kill('SIGHUP');
      await s.waitForStderr(/plugins reloaded/, { from: from2 });
      const log2 = s.stderr.slice(from2);
      assert.match(log2, /level=error part=config msg="[^"]*hup\.conf:4: log_level: 'loud' is not one of/);
      assert.match(log2, /the settings are unchanged/);
      assert.doesNotMatch(log2, /level=debug/);
      assert.equal((await status()).plugins[0].state, 'loaded');
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });

  test('an option pins its key: the file does not change it on SIGHUP', async () => {
    const file = write('pinned.conf', `data = ${tmp}/pin\npublic_url = https://t.example.org\n` +
      'modules = none\nupload_limit_mb = 1\n');
    const s = await serve(['serve', '--config', file, '--upload-limit', '1', '--port', '0',
      '--demo', '--demo-packages', path.join(tmp, 'none')]);
    try {
      const admin = await new Client(s.url).mustLogin('admin@cairn.example',
        s.accounts['admin@cairn.example'].password);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('= 1', '= 5'));
      s.kill('SIGHUP');
      const m = await s.waitForStderr(/(\d+) settings? changed/);
      assert.equal(m[1], '0');
      const big = await streamBody(s.url, '/api/packages', {
        headers: { 'Content-Type': 'application/zip', Cookie: admin.cookieHeader(),
          'X-CSRF-Token': admin.csrf }, totalBytes: 2 << 20, expectContinue: true });
      assert.equal(big.status, 413, '--upload-limit 1 still holds');
    } finally {
      assert.equal((await s.stop()).code, 0);
    }
  });
});
