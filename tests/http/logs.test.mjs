// Structured logs: one line per request with its id, method, route, path,
// status, bytes, duration, client address and user, in logfmt or JSON; no
// password, session cookie, CSRF token or query-string token ever in them;
// X-Forwarded-For believed only from a trusted_proxy (also by the sign-in
// rate limit).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Client, newLearner, request } from '../lib/client.mjs';
import { launch, commit, cmi2004 } from '../lib/scorm.mjs';
import { logfmtLines, serve } from '../lib/serve.mjs';

const MODULES = path.join(process.env.CAIRN_BUILD ?? '', 'modules-content');
let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-logs-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function config(name, extra = '') {
  const file = path.join(tmp, `${name}.conf`);
  fs.writeFileSync(file, `data = ${path.join(tmp, name)}\npublic_url = https://t.example.org\n` +
    `port = 0\nlog_level = info\n${extra}`);
  return file;
}

/** The access line of the request with this X-Request-Id. */
async function accessLine(s, id, parse = logfmtLines) {
  await s.waitForStderr(new RegExp(id));
  const lines = parse(s.stderr).filter((l) => l.id === id);
  assert.equal(lines.length, 1, `one line for request ${id}`);
  return lines[0];
}

const jsonLines = (text) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

describe('logfmt (the default)', () => {
  let s;
  before(async () => {
    s = await serve(['serve', '--config', config('fmt', 'trusted_proxy = 127.0.0.1\n'),
      '--demo', '--demo-packages', path.join(tmp, 'none'), '--modules', MODULES]);
  });
  after(async () => { assert.equal((await s?.stop())?.code, 0); });

  test('a request line has every field; the query string is not in it', async () => {
    const r = await request(s.url, '/api/packages/123/sequencing?token=QUERYSECRET42');
    assert.equal(r.status, 401);
    const id = r.headers['x-request-id'];
    assert.match(id, /^[0-9a-f]{16}$/);
    const l = await accessLine(s, id);
    assert.equal(l.level, 'info');
    assert.equal(l.part, 'http');
    assert.equal(l.msg, 'request');
    assert.equal(l.method, 'GET');
    assert.equal(l.route, '/api/packages/#/sequencing');
    assert.equal(l.path, '/api/packages/123/sequencing');
    assert.equal(l.status, '401');
    assert.equal(Number(l.bytes), Buffer.byteLength(r.text));
    assert.match(l.ms, /^\d+\.\d{3}$/);
    assert.ok(Number(l.ms) < 5000);
    assert.equal(l.ip, '127.0.0.1');
    assert.equal(l.user, '-');
    assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.doesNotMatch(s.stderr, /QUERYSECRET42/);
  });

  test('a static file: its size in bytes; an unknown method is named', async () => {
    const r = await request(s.url, '/favicon.svg');
    assert.equal(r.status, 200);
    const l = await accessLine(s, r.headers['x-request-id']);
    assert.equal(l.route, '/*');
    assert.equal(Number(l.bytes), r.raw.length);
    const p = await request(s.url, '/api/session', { method: 'PATCH' });
    const lp = await accessLine(s, p.headers['x-request-id']);
    assert.equal(lp.method, 'PATCH');
    assert.equal(lp.status, String(p.status));
  });

  test('after sign-in: the user id; never the password, cookies, CSRF token or commit token', async () => {
    const password = 'Pa55word-that-must-not-leak';
    const l = await newLearner(s.url, 'Leicestershire', { password });
    const c = new Client(s.url);
    await c.mustLogin(l.email, password);
    const session = c.cookies.get('cairn_session');
    assert.ok(session && session.length >= 16);
    const me = await c.get('/api/session');
    const line = await accessLine(s, me.headers['x-request-id']);
    assert.equal(line.user, String(c.user.id));
    // A module commit: its URL carries a token in the query string.
    const list = await c.get('/api/me/training');
    const item = JSON.stringify(list.body).match(/"package_id":(\d+)/) ??
      JSON.stringify(list.body).match(/"package":\{"id":(\d+)/);
    assert.ok(item, `a module to launch: ${list.text}`);
    const b = await launch(c, Number(item[1]));
    const token = new URL(b.sco.commit_url, s.url).searchParams.get('t');
    assert.ok(token && token.length >= 16);
    const ok = await commit(c, b.sco, cmi2004({ location: 'p2' }));
    assert.equal(ok.status, 200, ok.text);
    const cl = await accessLine(s, ok.headers['x-request-id']);
    assert.equal(cl.route, '/api/attempts/#/commit');
    assert.equal(cl.path, new URL(b.sco.commit_url, s.url).pathname);
    await c.logout();
    await request(s.url, '/healthz');
    const log = s.stderr;
    for (const [what, secret] of [['password', password], ['session cookie', session],
      ['CSRF token', c.csrf ?? ''], ['commit token', token]]) {
      if (secret)
        assert.equal(log.includes(secret), false, `the ${what} is in the log`);
    }
    assert.doesNotMatch(log, /cairn_session|cairn_csrf|Cookie|X-CSRF-Token/i);
  });

  test('X-Forwarded-For from a trusted proxy names the client; the rightmost untrusted hop wins', async () => {
    const one = await request(s.url, '/healthz', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    assert.equal((await accessLine(s, one.headers['x-request-id'])).ip, '203.0.113.9');
    const chain = await request(s.url, '/healthz',
      { headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7, 127.0.0.1' } });
    assert.equal((await accessLine(s, chain.headers['x-request-id'])).ip, '203.0.113.7');
    const v6 = await request(s.url, '/healthz', { headers: { 'X-Forwarded-For': '2001:DB8::1' } });
    assert.equal((await accessLine(s, v6.headers['x-request-id'])).ip, '2001:db8::1');
    const junk = await request(s.url, '/healthz', { headers: { 'X-Forwarded-For': 'nonsense' } });
    assert.equal((await accessLine(s, junk.headers['x-request-id'])).ip, '127.0.0.1');
  });

  test('the sign-in rate limit counts the forwarded client, not the proxy', async () => {
    const c = new Client(s.url);
    await c.session();
    const attempt = (i, ip) => c.request('POST', '/api/login', {
      json: { email: `nobody${i}@example.org`, password: 'wrong password' },
      headers: { 'X-Forwarded-For': ip } });
    let limited = null;
    for (let i = 0; i < 25 && !limited; i++) {
      const r = await attempt(i, '203.0.113.50');
      if (r.status === 429)
        limited = i;
      else
        assert.equal(r.status, 401, r.text);
    }
    assert.equal(limited, 20, 'the 21st failure from one address is refused');
    assert.equal((await attempt(99, '203.0.113.51')).status, 401, 'another client is not');
  });
});

describe('--log-format json, no trusted proxy', () => {
  let s;
  before(async () => {
    s = await serve(['serve', '--config', config('json', 'modules = none\n'), '--log-format', 'json']);
  });
  after(async () => { assert.equal((await s?.stop())?.code, 0); });

  test('every line is a JSON object; the request line has typed fields', async () => {
    const r = await request(s.url, '/healthz?x=1', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    const l = await accessLine(s, r.headers['x-request-id'], jsonLines);
    assert.deepEqual(Object.keys(l),
      ['time', 'level', 'part', 'msg', 'id', 'method', 'route', 'path', 'status', 'bytes', 'ms', 'ip', 'user']);
    assert.equal(l.status, 200);
    assert.equal(l.bytes, 3);
    assert.equal(typeof l.ms, 'number');
    assert.equal(l.user, null);
    assert.equal(l.route, '/healthz');
    assert.equal(l.path, '/healthz');
    assert.equal(l.ip, '127.0.0.1', 'X-Forwarded-For is ignored from an untrusted peer');
    for (const line of s.stderr.trim().split('\n'))
      assert.doesNotThrow(() => JSON.parse(line), line);
  });
});
