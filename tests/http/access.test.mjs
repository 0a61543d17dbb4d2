// Roles and boroughs: who may see and do what (docs/API.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { pkg, runCairn, startServer } from '../lib/server.mjs';
import { Client, newLearner, request, uniqueEmail } from '../lib/client.mjs';
import { GOLF12, cmi12, commit, launch, packageId } from '../lib/scorm.mjs';

let srv, leicsLearner, hollowLearner, officerLeics, officerHollow, admin, demoLearner;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  leicsLearner = await newLearner(srv.url, 'Leicestershire', { name: 'Lee Leics' });
  hollowLearner = await newLearner(srv.url, 'Hollowfield', { name: 'Holly Hollow' });
  const a = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(a.email, a.password);
  const b = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(b.email, b.password);
  const c = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(c.email, c.password);
  const d = srv.account('learner');
  demoLearner = await new Client(srv.url).mustLogin(d.email, d.password);
});

after(async () => {
  await srv?.stop();
});

function emails(r) {
  return r.body.learners.map((l) => l.email);
}

describe('not signed in', () => {
  const table = [
    ['GET', '/api/me/training', 401],
    ['GET', '/api/officer/learners', 401],
    ['GET', '/api/packages', 401],
    ['POST', '/api/packages/1/launch', 401],
    ['POST', '/api/packages', 401],
    ['POST', '/api/logout', 401],
    ['POST', '/api/attempts/1/commit?t=00&s=1', 401],
    ['GET', '/content/1/1/shared/launchpage.html', 401],
    ['HEAD', '/content/1/1/shared/launchpage.html', 401],
    ['GET', '/content/1/1/imsmanifest.xml', 401],
    ['GET', '/content/1/1/no-such-file', 401],
    ['GET', '/api/session', 200],
    ['GET', '/api/boroughs', 200],
    ['GET', '/healthz', 200],
    ['GET', '/', 200],
    ['GET', '/login.html', 200],
    ['GET', '/register.html', 200],
  ];
  for (const [method, path, status] of table) {
    test(`${method} ${path} → ${status}`, async () => {
      const c = new Client(srv.url);
      const r = await c.request(method, path, method === 'POST' ? { json: {} } : {});
      assert.equal(r.status, status, r.text);
      if (status === 401 && method !== 'HEAD') {
        assert.equal(r.body.code, 'sign_in');
        assert.match(r.headers['content-type'], /^application\/json/);
      }
    });
  }

  test('a made-up session cookie is not a session', async () => {
    const c = new Client(srv.url);
    c.cookies.set('cairn_session', 'a'.repeat(64));
    assert.equal((await c.get('/api/me/training')).status, 401);
    c.cookies.set('cairn_session', 'x'.repeat(500));
    assert.equal((await c.get('/api/me/training')).status, 401);
    const s = await c.get('/api/session');
    assert.equal(s.status, 200);
    assert.equal(s.body.user, null);
  });
});

describe('learners', () => {
  test('a learner cannot list learners (403) or packages (403)', async () => {
    let r = await leicsLearner.client.get('/api/officer/learners');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'forbidden');
    r = await leicsLearner.client.get('/api/packages');
    assert.equal(r.status, 403, r.text);
  });

  test('a learner cannot upload a package (403), whatever the body', async () => {
    const zip = fs.readFileSync(pkg(GOLF12.zip));
    const r = await leicsLearner.client.post('/api/packages', undefined, { body: zip, contentType: 'application/zip' });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'forbidden');
    const list = await admin.get('/api/packages');
    assert.equal(list.body.packages.length, 4, 'nothing was imported');
  });

  test('My training lists every package for learners of both boroughs', async () => {
    for (const l of [leicsLearner, hollowLearner]) {
      const r = await l.client.get('/api/me/training');
      assert.equal(r.status, 200);
      assert.equal(r.body.modules.length, 4);
      for (const m of r.body.modules) {
        assert.deepEqual(Object.keys(m).sort(), ['completed_at', 'last_visit', 'package_id', 'score',
          'scorm_version', 'state', 'time_spent_seconds', 'title']);
        assert.equal(m.state, 'not started');
        assert.equal(m.score, null);
        assert.equal(m.time_spent_seconds, 0);
      }
    }
  });

  test('one learner\'s progress never shows in another\'s training', async () => {
    const a = await newLearner(srv.url), b = await newLearner(srv.url);
    const id = await packageId(a.client, GOLF12);
    const { sco } = await launch(a.client, id);
    const r = await commit(a.client, sco, cmi12({ status: 'passed', raw: '90', session: '00:00:05' }), { final: true });
    assert.equal(r.status, 200, r.text);
    const tb = await b.client.get('/api/me/training');
    const m = tb.body.modules.find((x) => x.package_id === id);
    assert.equal(m.state, 'not started');
    // b launching gets b's own first attempt.
    const bl = await launch(b.client, id);
    assert.equal(bl.sco.attempt_number, 1);
    assert.notEqual(bl.sco.attempt, sco.attempt);
    assert.equal(bl.sco.cmi.cmi.core.lesson_status, 'not attempted');
  });
});

describe('officers and boroughs', () => {
  test('an officer sees the learners of their borough only', async () => {
    const r = await officerLeics.get('/api/officer/learners');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.name, 'Leicestershire and Rutland');
    assert.equal(typeof r.body.borough.id, 'number');
    const e = emails(r);
    assert.ok(e.includes(leicsLearner.email), 'the borough\'s new learner');
    assert.ok(e.includes('learner@leics.example'), 'the demo learner');
    assert.ok(!e.includes(hollowLearner.email), 'never another borough\'s learner');
    const row = r.body.learners.find((l) => l.email === leicsLearner.email);
    assert.equal(row.name, 'Lee Leics');
    assert.equal(row.job_role, 'Volunteer');
    // API.md leaves its shape open: the organisation's name, or {id, name}.
    assert.equal(typeof row.organisation === 'string' ? row.organisation : row.organisation?.name,
      leicsLearner.organisation.name);
    assert.equal(row.modules.length, 4);
    for (const l of r.body.learners) {
      assert.ok(!/^officer@|^admin@/.test(l.email), `staff listed as a learner: ${l.email}`);
      assert.equal(l.password_hash, undefined);
    }
  });

  test('the other borough\'s officer sees the other set', async () => {
    const r = await officerHollow.get('/api/officer/learners');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.name, 'Hollowfield (London)');
    const e = emails(r);
    assert.ok(e.includes(hollowLearner.email));
    assert.ok(!e.includes(leicsLearner.email));
    assert.ok(!e.includes('learner@leics.example'));
  });

  test('a learner registered later appears for their officer at once', async () => {
    const late = await newLearner(srv.url, 'Hollowfield');
    assert.ok(emails(await officerHollow.get('/api/officer/learners')).includes(late.email));
    assert.ok(!emails(await officerLeics.get('/api/officer/learners')).includes(late.email));
  });

  test('an admin sees learners of every borough', async () => {
    const r = await admin.get('/api/officer/learners');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough, null);
    const e = emails(r);
    for (const x of [leicsLearner.email, hollowLearner.email, 'learner@leics.example'])
      assert.ok(e.includes(x), x);
  });

  test('officers and admins may list packages', async () => {
    for (const c of [officerLeics, officerHollow, admin]) {
      const r = await c.get('/api/packages');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.packages.length, 4);
      for (const p of r.body.packages) {
        assert.equal(p.version, 1);
        assert.ok(['1.2', '2004'].includes(p.scorm_version));
        assert.equal(typeof p.identifier, 'string');
        assert.equal(typeof p.sco_count, 'number');
        assert.match(p.imported_at, /^\d{4}-\d\d-\d\dT/);
      }
    }
  });

  test('an officer added with `cairn user add --borough` sees that borough', async () => {
    const email = uniqueEmail('cli-officer');
    const u = await srv.addUser({ email, name: 'Cli Officer', role: 'officer', borough: 'hollowfield',
      password: 'cli officer password' });
    const c = await new Client(srv.url).mustLogin(u.email, u.password);
    assert.equal(c.user.role, 'officer');
    const r = await c.get('/api/officer/learners');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.name, 'Hollowfield (London)');
    assert.ok(emails(r).includes(hollowLearner.email));
    assert.ok(!emails(r).includes(leicsLearner.email));
  });

  test('`cairn user add`: an officer needs a borough, a known one, and a long password', async () => {
    let r = await runCairn(['user', 'add', '--data', srv.dataDir, '--email', uniqueEmail('x'), '--name', 'X',
      '--role', 'officer', '--password-stdin'], { input: 'long enough password\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /borough/);
    r = await runCairn(['user', 'add', '--data', srv.dataDir, '--email', uniqueEmail('x'), '--name', 'X',
      '--role', 'officer', '--borough', 'atlantis', '--password-stdin'], { input: 'long enough password\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /atlantis/);
    r = await runCairn(['user', 'add', '--data', srv.dataDir, '--email', uniqueEmail('x'), '--name', 'X',
      '--password-stdin'], { input: 'short\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /10 characters/);
    r = await runCairn(['user', 'add', '--data', srv.dataDir, '--email', 'officer@leics.example', '--name', 'Dup',
      '--password-stdin'], { input: 'long enough password\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already/);
  });

  test('an officer can use My training like a learner', async () => {
    const r = await officerLeics.get('/api/me/training');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.modules.length, 4);
  });
});

describe('content needs sign-in', () => {
  test('any signed-in user may read package content; nobody else', async () => {
    const id = await packageId(leicsLearner.client, GOLF12);
    const path = `/content/${id}/1/shared/launchpage.html`;
    for (const c of [leicsLearner.client, hollowLearner.client, officerLeics, admin]) {
      const r = await c.get(path);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['content-type'], /^text\/html/);
    }
    const anon = await request(srv.url, path);
    assert.equal(anon.status, 401);
    assert.doesNotMatch(anon.text, /<html/i, 'no content without sign-in');
  });
});
