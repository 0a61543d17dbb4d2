// Malformed and hostile requests: each gets the documented status, and the
// server keeps answering (docs/API.md "Conventions").
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner, rawRequest, request } from '../lib/client.mjs';
import { GOLF12, launch, packageId } from '../lib/scorm.mjs';

let srv, learner, id;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  learner = await newLearner(srv.url);
  id = await packageId(learner.client, GOLF12);
});

after(async () => {
  await srv?.stop();
});

afterEach(async () => {
  const r = await request(srv.url, '/healthz', { timeoutMs: 5000 });
  assert.equal(r.status, 200, 'the server still answers /healthz');
  assert.equal(r.text, 'ok\n');
  assert.ok(srv.alive(), 'the server process is running');
});

function jsonError(r, status, code) {
  assert.equal(r.status, status, r.text.slice(0, 300));
  assert.match(r.headers['content-type'] || '', /^application\/json/, r.text.slice(0, 100));
  assert.equal(typeof r.body?.error, 'string');
  if (code)
    assert.equal(r.body.code, code, r.text);
}

describe('routes and methods', () => {
  const table = [
    // method, path, status, code
    ['GET', '/api/nothing', 404, 'not_found'],
    ['GET', '/api/packages/1', 404, 'not_found'],
    ['GET', '/api', 404, 'not_found'],
    ['POST', '/api/nothing', 404, 'not_found'],
    ['POST', '/api/packages/1/nothing', 404, 'not_found'],
    ['POST', '/api/packages/0/launch', 404, 'not_found'],
    ['POST', '/api/packages/-1/launch', 404, 'not_found'],
    ['POST', '/api/packages/abc/launch', 404, 'not_found'],
    ['POST', '/api/packages/1e3/launch', 404, 'not_found'],
    ['POST', '/api/packages/99999999999999999999/launch', 404, 'not_found'],
    ['POST', '/api/packages/999999999999999/launch', 404, 'not_found'],
    ['POST', '/api/attempts/0/commit?t=x&s=1', 404, 'not_found'],
    ['GET', '/api/login', 405, 'method'],
    ['GET', '/api/register', 405, 'method'],
    ['GET', '/api/logout', 405, 'method'],
    ['GET', '/api/packages/1/launch', 405, 'method'],
    ['GET', '/api/attempts/1/commit', 405, 'method'],
    ['DELETE', '/api/session', 405, 'method'],
    ['PUT', '/api/packages', 405, 'method'],
    ['DELETE', '/api/packages', 405, 'method'],
    ['PATCH', '/api/session', 405, 'method'],
    ['OPTIONS', '/api/session', 405, 'method'],
    ['POST', '/api/session', 405, 'method'],
    ['POST', '/api/boroughs', 405, 'method'],
    ['POST', '/healthz', 405, 'method'],
  ];
  for (const [method, path, status, code] of table) {
    test(`${method} ${path} → ${status}`, async () => {
      const opts = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? { json: {} } : {};
      const r = await learner.client.request(method, path, opts);
      jsonError(r, status, code);
    });
  }

  test('a 405 says which methods are allowed (Allow header, RFC 9110 15.5.6)', async () => {
    for (const [method, path, allowed] of [['DELETE', '/api/session', /GET/], ['PUT', '/api/packages', /GET.*POST|POST.*GET/],
      ['POST', '/healthz', /GET/]]) {
      const r = await learner.client.request(method, path, { json: {} });
      assert.equal(r.status, 405);
      assert.match(r.headers.allow || '', allowed, `${method} ${path}: Allow: ${r.headers.allow}`);
    }
  });
});

describe('bodies and fields', () => {
  const json = (body) => ({ body, contentType: 'application/json' });
  const table = [
    ['login: email is a number', '/api/login', json('{"email": 5, "password": "whatever pass"}'), 422, 'email'],
    ['login: password is an array', '/api/login', json('{"email": "a@b.example", "password": ["x"]}'), 422, 'password'],
    ['login: email is null', '/api/login', json('{"email": null, "password": "whatever pass"}'), 422, 'email'],
    ['login: email of 300 characters', '/api/login', json(JSON.stringify({ email: 'e'.repeat(300), password: 'x'.repeat(12) })), 422, 'email'],
    ['login: password of 300 characters', '/api/login', json(JSON.stringify({ email: 'a@b.example', password: 'x'.repeat(300) })), 422, 'password'],
    ['login: a JSON array', '/api/login', json('[]'), 400],
    ['login: deeply nested JSON', '/api/login', json('['.repeat(100000)), 400],
    ['login: deeply nested objects', '/api/login', json('{"a":'.repeat(30000) + '1' + '}'.repeat(30000)), 400],
    ['login: \\u0000 in a string', '/api/login', json('{"email":"a\\u0000b@x.example","password":"xxxxxxxxxxxx"}'), 400],
    ['login: invalid UTF-8', '/api/login', json(Buffer.from('{"email":"\xff\xfe","password":"xxxxxxxxxxxx"}', 'latin1')), 400],
    ['login: duplicate keys', '/api/login', json('{"email":"a@b.example","email":"c@d.example","password":"xxxxxxxxxxxx"}'), 400],
    ['register: integer overflow', '/api/register', json('{"name":"a","email":"x@y.example","password":"xxxxxxxxxxxx","borough_id":99999999999999999999999,"organisation_id":1,"job_role":"x"}'), 400],
    ['register: real overflow', '/api/register', json('{"name":"a","email":"x@y.example","password":"xxxxxxxxxxxx","borough_id":1e400,"organisation_id":1,"job_role":"x"}'), 400],
    ['register: name is an object', '/api/register', json('{"name":{},"email":"x@y.example","password":"xxxxxxxxxxxx","borough_id":1,"organisation_id":1,"job_role":"x"}'), 422, 'name'],
    ['register: borough_id true', '/api/register', json('{"name":"a","email":"x@y.example","password":"xxxxxxxxxxxx","borough_id":true,"organisation_id":1,"job_role":"x"}'), 422, 'borough_id'],
    ['register: trailing garbage', '/api/register', json('{"name":"a"} trailing'), 400],
  ];
  for (const [name, path, opts, status, field] of table) {
    test(`${name} → ${status}${field ? ` (${field})` : ''}`, async () => {
      const c = new Client(srv.url);
      const r = await c.post(path, undefined, opts);
      jsonError(r, status);
      if (field)
        assert.equal(r.body.field, field);
    });
  }

  test('launch: "sco" that is not a string → 422 (sco)', async () => {
    for (const sco of [5, ['item_1'], { id: 'item_1' }, true]) {
      const r = await learner.client.post(`/api/packages/${id}/launch`, { sco });
      jsonError(r, 422);
      assert.equal(r.body.field, 'sco', JSON.stringify(sco));
    }
  });

  test('launch: "sco": null launches the default SCO', async () => {
    const r = await learner.client.post(`/api/packages/${id}/launch`, { sco: null });
    assert.equal(r.status, 200, r.text);
  });

  test('a body on a request that takes none → 413', async () => {
    const r = await rawRequest(srv.url, `GET /api/session HTTP/1.1\r\nHost: ${srv.host}\r\nContent-Length: 5\r\n`
      + 'Connection: close\r\n\r\nhello');
    jsonError(r, 413, 'too_large');
  });

  test('a commit body that is deeply nested or huge in one string does not hurt', async () => {
    const { sco } = await launch(learner.client, id);
    let r = await learner.client.request('POST', sco.commit_url, { body: '{"cmi":'.repeat(20000) + '{}' + '}'.repeat(20000),
      contentType: 'application/json', csrf: false });
    assert.ok([400, 422].includes(r.status), r.text.slice(0, 200));
    r = await learner.client.request('POST', sco.commit_url, {
      body: JSON.stringify({ cmi: { suspend_data: 's'.repeat(3 << 20) } }), contentType: 'application/json', csrf: false });
    assert.equal(r.status, 422, r.text.slice(0, 200));
    assert.equal(r.body.element, 'cmi.suspend_data');
  });
});

describe('protocol level', () => {
  test('an invalid Content-Length → 400', async () => {
    for (const cl of ['abc', '-1', '1.5', '0x10']) {
      const r = await rawRequest(srv.url, `POST /api/login HTTP/1.1\r\nHost: ${srv.host}\r\nContent-Type: application/json\r\n`
        + `Content-Length: ${cl}\r\nConnection: close\r\n\r\n{}`);
      assert.equal(r.status, 400, `Content-Length: ${cl} → ${r.status}`);
    }
  });

  test('two different Content-Length headers → 400 (request smuggling)', async () => {
    const r = await rawRequest(srv.url, `POST /api/login HTTP/1.1\r\nHost: ${srv.host}\r\nContent-Type: application/json\r\n`
      + 'Content-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}');
    assert.equal(r.status, 400, `${r.status}: ${r.text.slice(0, 200)}`);
  });

  test('a header of 100 KB → 431, a URL of 100 KB → 414, 2000 headers → 431', async () => {
    let r = await rawRequest(srv.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100000)}\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 431);
    r = await rawRequest(srv.url, `GET /${'a'.repeat(100000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 414);
    const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    r = await rawRequest(srv.url, `GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 431);
  });

  test('odd cookies and tokens are not sessions and break nothing', async () => {
    for (const cookie of ['cairn_session', 'cairn_session=', `cairn_session=${'a'.repeat(30000)}`,
      'cairn_session=\u00ff\u00fe', 'a=b; cairn_session=x; cairn_session=y', '=;=;=']) {
      const r = await rawRequest(srv.url, `GET /api/me/training HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`);
      assert.ok([400, 401, 431].includes(r.status), `${cookie.slice(0, 40)} → ${r.status}`);
    }
    const c = await new Client(srv.url).mustLogin(learner.email, learner.password);
    const r = await c.post('/api/logout', undefined, { csrf: 'x'.repeat(20000) });
    jsonError(r, 403, 'csrf');
  });

  test('HTTP/1.0 and a request without Host are answered', async () => {
    let r = await rawRequest(srv.url, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 200);
    r = await rawRequest(srv.url, 'GET /api/boroughs HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 200);
  });

  test('garbage, a half request and an abrupt close do not stop the server', async () => {
    await rawRequest(srv.url, 'HELLO\r\n\r\n', { timeoutMs: 2000 });
    await rawRequest(srv.url, '\x00\x01\x02\x03\r\n\r\n', { timeoutMs: 2000 });
    await rawRequest(srv.url, 'GET / HTTP/9.9\r\n\r\n', { timeoutMs: 2000 });
    // Headers that never finish, and a body that never comes.
    const u = new URL(srv.url);
    const socks = [];
    for (const text of ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ',
      `POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"em`]) {
      const s = net.connect({ host: u.hostname, port: Number(u.port) });
      s.on('error', () => {});
      s.write(text);
      socks.push(s);
    }
    await new Promise((res) => setTimeout(res, 200));
    // The server still answers others meanwhile.
    const r = await request(srv.url, '/api/boroughs', { timeoutMs: 5000 });
    assert.equal(r.status, 200);
    for (const s of socks)
      s.destroy();
  });

  test('200 requests at once are all answered', async () => {
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      (i % 2 ? request(srv.url, '/healthz') : learner.client.get('/api/me/training'))));
    for (const r of rs)
      assert.equal(r.status, 200);
  });
});
