// Registration, sign-in, sessions and CSRF (docs/API.md "Accounts", "CSRF").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, boroughs, newLearner, request, streamBody, uniqueEmail } from '../lib/client.mjs';
import { emailForSlot, rateSlot } from '../lib/blake2b.mjs';

let srv, leics, hollow;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const list = await boroughs(srv.url);
  leics = list.find((b) => b.name === 'Leicestershire and Rutland');
  hollow = list.find((b) => b.name === 'Hollowfield (London)');
  assert.ok(leics && hollow, `demo boroughs missing: ${JSON.stringify(list)}`);
});

after(async () => {
  await srv?.stop();
});

function validFields(over = {}) {
  return {
    name: 'Alex Test', email: uniqueEmail('reg'), password: 'a good long password',
    borough_id: leics.id, organisation_id: leics.organisations[1].id, job_role: 'Coach',
    ...over,
  };
}

function assertError(r, status, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/);
  assert.equal(typeof r.body?.error, 'string', `error message missing: ${r.text}`);
  assert.ok(r.body.error.length > 0);
  if (code)
    assert.equal(r.body.code, code, r.text);
}

describe('boroughs', () => {
  test('GET /api/boroughs is public and lists both demo boroughs with 4 organisations', async () => {
    const r = await request(srv.url, '/api/boroughs');
    assert.equal(r.status, 200);
    const names = r.body.map((b) => b.name);
    // Borough plugins may add boroughs of their own.
    for (const name of ['Hollowfield (London)', 'Leicestershire and Rutland'])
      assert.equal(names.filter((n) => n === name).length, 1, `${name} in ${names}`);
    for (const b of r.body.filter((x) => x.id === leics.id || x.id === hollow.id)) {
      assert.equal(typeof b.id, 'number');
      assert.equal(b.organisations.length, 4);
      for (const o of b.organisations) {
        assert.equal(typeof o.id, 'number');
        assert.equal(typeof o.name, 'string');
      }
    }
  });
});

describe('registration', () => {
  test('success: 201, the session cookie is set, and the session works', async () => {
    const c = new Client(srv.url);
    const s = await c.session();
    assert.equal(s.body.user, null);
    assert.match(s.body.csrf_token, /^[0-9a-f]{64}$/);
    const f = validFields({ name: 'Jo Register' });
    const r = await c.post('/api/register', f);
    assert.equal(r.status, 201, r.text);
    const cookie = (r.headers['set-cookie'] || []).find((x) => x.startsWith('cairn_session='));
    assert.ok(cookie, `no cairn_session cookie in ${JSON.stringify(r.headers['set-cookie'])}`);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/i, 'not TLS: no Secure flag');
    assert.equal(r.body.user.name, 'Jo Register');
    assert.equal(r.body.user.email, f.email);
    assert.equal(r.body.user.role, 'learner');
    assert.deepEqual(r.body.user.borough, { id: leics.id, name: leics.name });
    assert.deepEqual(r.body.user.organisation, leics.organisations[1]);
    assert.equal(r.body.user.job_role, 'Coach');
    assert.match(r.body.csrf_token, /^[0-9a-f]{64}$/);
    assert.equal(r.body.user.password, undefined);
    assert.equal(r.body.user.password_hash, undefined);

    const me = await c.get('/api/session');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, f.email);
    assert.equal(me.body.csrf_token, r.body.csrf_token, 'the session token is the one register gave');
    const t = await c.get('/api/me/training');
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.body.modules, []);
  });

  test('the new account can sign in again with the same password', async () => {
    const f = validFields();
    const c1 = new Client(srv.url);
    assert.equal((await c1.register(f)).status, 201);
    const c2 = new Client(srv.url);
    const r = await c2.login(f.email, f.password);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user.email, f.email);
  });

  test('passwords of exactly 10 and 256 characters are accepted', async () => {
    for (const password of ['x'.repeat(10), 'y'.repeat(256)]) {
      const c = new Client(srv.url);
      const r = await c.register(validFields({ password }));
      assert.equal(r.status, 201, `length ${password.length}: ${r.text}`);
    }
  });

  test('limits count characters, not bytes: a 150-letter Cyrillic name and job role are accepted', async () => {
    const name = 'Ж'.repeat(150);       // 150 characters, 300 bytes in UTF-8
    const r = await new Client(srv.url).register(validFields({ name, job_role: 'Воспитатель '.repeat(12).trim() }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.user.name, name);
  });

  test('limits count characters, not bytes: a password of 9 accented letters is too short', async () => {
    const r = await new Client(srv.url).register(validFields({ password: 'é'.repeat(9) }));
    assertError(r, 422, 'invalid');
    assert.equal(r.body.field, 'password');
  });

  const invalid = [
    ['name missing', { name: undefined }, 'name'],
    ['name empty', { name: '' }, 'name'],
    ['name only spaces', { name: '   ' }, 'name'],
    ['name not a string', { name: 42 }, 'name'],
    ['name over 200 characters', { name: 'n'.repeat(201) }, 'name'],
    ['name with a control character', { name: 'Bad\u0001Name' }, 'name'],
    ['name with a newline', { name: 'Two\nLines' }, 'name'],
    ['email missing', { email: undefined }, 'email'],
    ['email empty', { email: '' }, 'email'],
    ['email without @', { email: 'not-an-email.example' }, 'email'],
    ['email without a dot in the domain', { email: 'someone@localhost' }, 'email'],
    ['email with two @', { email: 'a@b@c.example' }, 'email'],
    ['email with a space', { email: 'some one@test.example' }, 'email'],
    ['email starting with @', { email: '@test.example' }, 'email'],
    ['email ending with a dot', { email: 'someone@test.example.' }, 'email'],
    ['email over 254 characters', { email: 'e'.repeat(250) + '@test.example' }, 'email'],
    ['email not a string', { email: ['a@b.example'] }, 'email'],
    ['password missing', { password: undefined }, 'password'],
    ['password of 9 characters', { password: '123456789' }, 'password'],
    ['password of 257 characters', { password: 'p'.repeat(257) }, 'password'],
    ['password not a string', { password: 12345678901 }, 'password'],
    ['borough missing', { borough_id: undefined }, 'borough_id'],
    ['borough as a string', { borough_id: '1' }, 'borough_id'],
    ['borough 0', { borough_id: 0 }, 'borough_id'],
    ['borough negative', { borough_id: -1 }, 'borough_id'],
    ['borough a fraction', { borough_id: 1.5 }, 'borough_id'],
    ['borough null', { borough_id: null }, 'borough_id'],
    ['organisation missing', { organisation_id: undefined }, 'organisation_id'],
    ['organisation as a string', { organisation_id: '2' }, 'organisation_id'],
    ['organisation 0', { organisation_id: 0 }, 'organisation_id'],
    ['job role missing', { job_role: undefined }, 'job_role'],
    ['job role empty', { job_role: '' }, 'job_role'],
    ['job role over 200 characters', { job_role: 'j'.repeat(201) }, 'job_role'],
    ['job role with a control character', { job_role: 'tab\tbed' }, 'job_role'],
  ];
  for (const [name, over, field] of invalid) {
    test(`422 ${field}: ${name}`, async () => {
      const c = new Client(srv.url);
      const f = validFields(over);
      for (const k of Object.keys(f))
        if (f[k] === undefined)
          delete f[k];
      const r = await c.register(f);
      assertError(r, 422, 'invalid');
      assert.equal(r.body.field, field, r.text);
      assert.equal(r.headers['set-cookie']?.some((x) => x.startsWith('cairn_session=')) ?? false, false,
        'no session for a refused registration');
      // No account was made: the same email can still register.
      if (typeof f.email === 'string' && f.email.includes('@') && field !== 'email') {
        const ok = await new Client(srv.url).register(validFields({ email: f.email }));
        assert.equal(ok.status, 201, `the email was taken by a refused registration: ${ok.text}`);
      }
    });
  }

  test('organisation from the other borough: 422 organisation_id', async () => {
    const r = await new Client(srv.url).register(validFields({ organisation_id: hollow.organisations[0].id }));
    assertError(r, 422, 'invalid');
    assert.equal(r.body.field, 'organisation_id');
  });

  test('borough that does not exist: 422 organisation_id', async () => {
    const r = await new Client(srv.url).register(validFields({ borough_id: 9999 }));
    assertError(r, 422, 'invalid');
    assert.equal(r.body.field, 'organisation_id');
  });

  test('duplicate email: 409, also with different letter case', async () => {
    const f = validFields();
    assert.equal((await new Client(srv.url).register(f)).status, 201);
    const again = await new Client(srv.url).register({ ...f, name: 'Someone Else' });
    assertError(again, 409, 'email_taken');
    const upper = await new Client(srv.url).register({ ...f, email: f.email.toUpperCase() });
    assertError(upper, 409, 'email_taken');
  });

  test('malformed JSON: 400', async () => {
    const c = new Client(srv.url);
    for (const body of ['{"name": "x",', 'not json', '', '[]', '"a string"', '{"a":1}{"b":2}',
      '{"name":"a","name":"b"}']) {
      const r = await c.post('/api/register', undefined, { body, contentType: 'application/json' });
      assertError(r, 400, 'bad_json');
      if (body === '')
        assert.equal(r.body.error, 'The request needs a JSON body.', 'no stray characters in the message');
    }
  });

  test('wrong content type: 415', async () => {
    const c = new Client(srv.url);
    const body = JSON.stringify(validFields());
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/jsonx', null]) {
      const r = await c.post('/api/register', undefined, { body, contentType: ct });
      assertError(r, 415, 'content_type');
    }
    const ok = await c.post('/api/register', undefined, { body, contentType: 'Application/JSON; charset=UTF-8' });
    assert.equal(ok.status, 201, `media type names are case-insensitive: ${ok.text}`);
  });

  test('declared body over 1 MiB: 413 before the body is read', async () => {
    const c = new Client(srv.url);
    await c.session();
    const r = await streamBody(srv.url, '/api/register', {
      headers: { 'Content-Type': 'application/json', Cookie: c.cookieHeader(), 'X-CSRF-Token': c.csrf },
      totalBytes: (1 << 20) + 1, expectContinue: true,
    });
    assertError(r, 413, 'too_large');
    assert.equal(r.sent, 0, 'refused on the declared length, without reading the body');
  });

  test('a body of exactly 1 MiB is read (not 413)', async () => {
    const c = new Client(srv.url);
    await c.session();
    const r = await streamBody(srv.url, '/api/register', {
      headers: { 'Content-Type': 'application/json', Cookie: c.cookieHeader(), 'X-CSRF-Token': c.csrf },
      totalBytes: 1 << 20, expectContinue: true,
    });
    assertError(r, 400, 'bad_json');
  });

  test('chunked body over 1 MiB (no Content-Length): 413', async () => {
    const c = new Client(srv.url);
    await c.session();
    const r = await streamBody(srv.url, '/api/register', {
      headers: { 'Content-Type': 'application/json', Cookie: c.cookieHeader(), 'X-CSRF-Token': c.csrf },
      totalBytes: (1 << 20) + 64 * 1024, declareLength: false,
    });
    assertError(r, 413, 'too_large');
    assert.equal((await request(srv.url, '/healthz')).text, 'ok\n');
  });
});

describe('sign-in', () => {
  let user;
  before(async () => {
    user = await newLearner(srv.url, 'Hollowfield');
  });

  test('success: 200 with the user and a new session', async () => {
    const c = new Client(srv.url);
    const r = await c.login(user.email, user.password);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user.email, user.email);
    assert.equal(r.body.user.role, 'learner');
    assert.match(r.body.csrf_token, /^[0-9a-f]{64}$/);
    const cookie = r.headers['set-cookie'].find((x) => x.startsWith('cairn_session='));
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const me = await c.get('/api/session');
    assert.equal(me.body.user.id, user.user.id);
  });

  test('email is matched without regard to letter case', async () => {
    const c = new Client(srv.url);
    const r = await c.login(user.email.toUpperCase(), user.password);
    assert.equal(r.status, 200, r.text);
  });

  test('wrong password and unknown email: 401 with the same message', async () => {
    const wrong = await new Client(srv.url).login(user.email, 'not the password');
    assertError(wrong, 401, 'wrong_password');
    const unknown = await new Client(srv.url).login(uniqueEmail('nobody'), 'not the password');
    assertError(unknown, 401, 'wrong_password');
    assert.equal(unknown.body.error, wrong.body.error);
    assert.equal(wrong.headers['set-cookie']?.some((x) => x.startsWith('cairn_session=')) ?? false, false);
  });

  test('empty email or password: 422 naming the field', async () => {
    let r = await new Client(srv.url).login('', 'whatever password');
    assertError(r, 422, 'invalid');
    assert.equal(r.body.field, 'email');
    r = await new Client(srv.url).login(user.email, '');
    assertError(r, 422, 'invalid');
    assert.equal(r.body.field, 'password');
  });

  test('a session cookie from before sign-in is replaced', async () => {
    const c = new Client(srv.url);
    await c.mustLogin(user.email, user.password);
    const first = c.cookies.get('cairn_session');
    const old = new Client(srv.url);
    old.cookies.set('cairn_session', first);
    await c.login(user.email, user.password);
    const second = c.cookies.get('cairn_session');
    assert.notEqual(second, first);
    const r = await old.get('/api/me/training');
    assert.equal(r.status, 401, 'the replaced session no longer works');
  });

  test('logout: 204, the cookie is cleared and the old cookie answers 401', async () => {
    const c = new Client(srv.url);
    await c.mustLogin(user.email, user.password);
    const token = c.cookies.get('cairn_session');
    assert.equal((await c.get('/api/me/training')).status, 200);
    const r = await c.logout();
    assert.equal(r.status, 204, r.text);
    const cleared = r.headers['set-cookie'].find((x) => x.startsWith('cairn_session='));
    assert.match(cleared, /^cairn_session=;|Max-Age=0/);
    const old = new Client(srv.url);
    old.cookies.set('cairn_session', token);
    const t = await old.get('/api/me/training');
    assertError(t, 401, 'sign_in');
    const s = await old.get('/api/session');
    assert.equal(s.status, 200);
    assert.equal(s.body.user, null);
  });

  test('logout without a session: 401', async () => {
    const c = new Client(srv.url);
    const r = await c.post('/api/logout');
    assertError(r, 401, 'sign_in');
  });

  test('rate limit: after 5 failures for an email, 429 with Retry-After, even with the right password', async () => {
    const target = await newLearner(srv.url);
    for (let i = 0; i < 5; i++) {
      const r = await new Client(srv.url).login(target.email, `wrong password ${i}`);
      assert.equal(r.status, 401, `attempt ${i + 1}: ${r.text}`);
    }
    const limited = await new Client(srv.url).login(target.email, 'wrong password 6');
    assertError(limited, 429, 'rate_limited');
    const retry = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 15 * 60,
      `Retry-After ${limited.headers['retry-after']}`);
    const right = await new Client(srv.url).login(target.email, target.password);
    assertError(right, 429, 'rate_limited');
    const upper = await new Client(srv.url).login(target.email.toUpperCase(), target.password);
    assertError(upper, 429, 'rate_limited');
    // Other accounts are not affected.
    const other = await new Client(srv.url).login(user.email, user.password);
    assert.equal(other.status, 200, other.text);
  });
});

describe('CSRF', () => {
  let learner;
  before(async () => {
    learner = await newLearner(srv.url);
  });

  test('not signed in: POST without the token answers 403 csrf', async () => {
    const c = new Client(srv.url);
    await c.session();
    const r = await c.post('/api/login', { email: learner.email, password: learner.password }, { csrf: false });
    assertError(r, 403, 'csrf');
    const reg = await c.post('/api/register', validFields(), { csrf: false });
    assertError(reg, 403, 'csrf');
  });

  test('not signed in: a wrong token or no cookie answers 403 csrf', async () => {
    const c = new Client(srv.url);
    await c.session();
    let r = await c.post('/api/login', { email: learner.email, password: learner.password },
      { csrf: 'f'.repeat(64) });
    assertError(r, 403, 'csrf');
    // The header alone, without its double-submit cookie.
    const token = c.csrf;
    c.cookies.delete('cairn_csrf');
    r = await c.post('/api/login', { email: learner.email, password: learner.password }, { csrf: token });
    assertError(r, 403, 'csrf');
  });

  test('not signed in: the token of another visitor answers 403 csrf', async () => {
    const a = new Client(srv.url), b = new Client(srv.url);
    await a.session();
    await b.session();
    assert.notEqual(a.csrf, b.csrf);
    const r = await a.post('/api/login', { email: learner.email, password: learner.password }, { csrf: b.csrf });
    assertError(r, 403, 'csrf');
  });

  test('signed in: no token, a wrong token, the pre-login token or another session\'s token: 403 csrf', async () => {
    const c = new Client(srv.url);
    await c.session();
    const preLogin = c.csrf;
    await c.mustLogin(learner.email, learner.password);
    const other = await new Client(srv.url).mustLogin(learner.email, learner.password);
    assert.notEqual(other.csrf, c.csrf);
    for (const [what, csrf] of [['none', false], ['wrong', '0'.repeat(64)], ['pre-login', preLogin],
      ['other session', other.csrf], ['empty', '']]) {
      const r = await c.post('/api/logout', undefined, { csrf, headers: csrf === '' ? { 'X-CSRF-Token': '' } : {} });
      assertError(r, 403, 'csrf');
      assert.ok(r.body.error, what);
    }
    // Still signed in after all of those.
    assert.equal((await c.get('/api/me/training')).status, 200);
    assert.equal((await c.logout()).status, 204);
  });

  test('a cross-site Origin answers 403 csrf even with the right token', async () => {
    const c = new Client(srv.url);
    await c.session();
    for (const origin of ['http://evil.example', `http://${srv.host}.evil.example`, 'null',
      `https://evil.example:${srv.port}`, `http://127.0.0.2:${srv.port}`]) {
      const r = await c.post('/api/login', { email: learner.email, password: learner.password },
        { headers: { Origin: origin } });
      assertError(r, 403, 'csrf');
    }
    const same = await c.post('/api/login', { email: learner.email, password: learner.password },
      { headers: { Origin: srv.url } });
    assert.equal(same.status, 200, `same-origin Origin is fine: ${same.text}`);
  });

  test('GET /api/session keeps the same double-submit token while the cookie lives', async () => {
    const c = new Client(srv.url);
    const a = await c.session();
    const b = await c.session();
    assert.equal(a.body.csrf_token, b.body.csrf_token);
    const cookie = a.headers['set-cookie'].find((x) => x.startsWith('cairn_csrf='));
    assert.match(cookie, /SameSite=Lax/i);
  });
});

// Each test here signs in from its own loopback address (127.0.0.x), so
// that the per-address allowance of one does not spill into another.
describe('rate limit per address', () => {
  test('20 failures from one address in 15 minutes: 429 for every email', async () => {
    const ip = '127.0.0.21';
    const fresh = await newLearner(srv.url);
    const ipSlot = rateSlot('i', ip);
    for (let i = 0; i < 20; i++) {
      // Emails that share no rate slot with the address (see the next test).
      const email = emailForSlot(`spray${i}.${process.pid}`, ipSlot, { same: false });
      const r = await new Client(srv.url, { localAddress: ip }).login(email, 'a wrong password');
      assert.equal(r.status, 401, `failure ${i + 1}: ${r.text}`);
    }
    const limited = await new Client(srv.url, { localAddress: ip }).login(uniqueEmail('spray'), 'a wrong password');
    assertError(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    const right = await new Client(srv.url, { localAddress: ip }).login(fresh.email, fresh.password);
    assertError(right, 429, 'rate_limited');
    // Another address is not limited.
    const elsewhere = await new Client(srv.url, { localAddress: '127.0.0.22' }).login(fresh.email, fresh.password);
    assert.equal(elsewhere.status, 200, elsewhere.text);
  });

  // The failure table (core/auth.c) has 4096 slots chosen by an unkeyed
  // hash of the email or address, and a failure for one key takes over a
  // slot held by another. Anyone can compute an email that lands in the
  // slot of a victim's email (or of their own address) and reset its count.
  test('failures for another email cannot reset an email\'s count', async () => {
    const ip = '127.0.0.23';
    const victim = await newLearner(srv.url);
    const colliding = emailForSlot(`collide.${process.pid}`, rateSlot('e', victim.email));
    assert.notEqual(colliding.toLowerCase(), victim.email.toLowerCase());
    const c = () => new Client(srv.url, { localAddress: ip });
    for (let i = 0; i < 4; i++)
      assert.equal((await c().login(victim.email, `guess ${i}`)).status, 401);
    assert.equal((await c().login(colliding, 'whatever password')).status, 401);
    assert.equal((await c().login(victim.email, 'guess 5')).status, 401);
    // Five failures for the victim's email: the next attempt must wait.
    const r = await c().login(victim.email, victim.password);
    assertError(r, 429, 'rate_limited');
  });

  test('failures for a chosen email cannot reset an address\'s count', async () => {
    const ip = '127.0.0.24';
    const ipSlot = rateSlot('i', ip);
    const colliding = emailForSlot(`collide-ip.${process.pid}`, ipSlot);
    const c = () => new Client(srv.url, { localAddress: ip });
    for (let i = 0; i < 19; i++) {
      const email = emailForSlot(`spray-ip${i}.${process.pid}`, ipSlot, { same: false });
      assert.equal((await c().login(email, 'a wrong password')).status, 401);
    }
    assert.equal((await c().login(colliding, 'a wrong password')).status, 401);
    // 20 failures from this address: the next attempt must wait.
    const r = await c().login(uniqueEmail('after'), 'a wrong password');
    assertError(r, 429, 'rate_limited');
  });
});
