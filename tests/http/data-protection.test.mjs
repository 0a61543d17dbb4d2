// Data protection (docs/API.md "Data protection"): the partnership role sees
// aggregates and an individual only under a grant; the audit log of views,
// exports, erasure and grants; a learner's own data export; erasure that
// keeps anonymised counts; `cairn retention run` (with --today) anonymising
// exactly the learners past their borough's period, idempotently.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { runCairn, startServer } from '../lib/server.mjs';
import { Client, boroughs, newLearner, uniqueEmail } from '../lib/client.mjs';
import { cmi12, commit, launch } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';

const BA_TITLE = 'Introduction to safeguarding: basic awareness';
const PASSWORD = 'partnership pass 1';

function today() {
  return new Date().toISOString().slice(0, 10);
}

function inDays(n) {
  return new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
}

function monthsLater(n) {
  const d = new Date(today() + 'T12:00:00Z');
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
}

let srv, list, leics, hollow, eastmere, officerLeics, officerHollow, admin, partner, partnerUser;
let baPackage;

async function complete(learner) {
  const b = await launch(learner.client, baPackage);
  const r = await commit(learner.client, b.sco, cmi12({ status: 'completed', session: '00:30:00' }),
    { final: true });
  assert.equal(r.status, 200, r.text);
}

async function audit(client, query) {
  const r = await client.get(`/api/admin/audit?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function summaryOf(slug) {
  const r = await partner.get('/api/partnership/summary');
  assert.equal(r.status, 200, r.text);
  const b = r.body.boroughs.find((x) => x.slug === slug);
  assert.ok(b, `borough ${slug} in ${r.text}`);
  return b;
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  list = await boroughs(srv.url);
  leics = list.find((b) => b.name.startsWith('Leicestershire'));
  hollow = list.find((b) => b.name.startsWith('Hollowfield'));
  eastmere = list.find((b) => b.name === 'Eastmere');
  const l = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(l.email, l.password);
  const h = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(h.email, h.password);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  const email = uniqueEmail('partner');
  await srv.addUser({ email, name: 'Pat Partnership', role: 'partnership', password: PASSWORD });
  partner = await new Client(srv.url).mustLogin(email, PASSWORD);
  partnerUser = partner.user;
  const zip = makeZip([
    { name: 'imsmanifest.xml', data: manifest12({ identifier: 'cairn.basic-awareness', title: BA_TITLE }) },
    { name: 'index.html', data: '<html><body>Basic awareness</body></html>' },
  ]);
  const up = await admin.post('/api/packages?filename=ba.zip', undefined, { body: zip, contentType: 'application/zip' });
  assert.equal(up.status, 201, up.text);
  baPackage = up.body.package.id;
});

after(async () => {
  await srv?.stop();
});

describe('the partnership role', () => {
  test('cairn user add --role partnership makes an account with no borough, and refuses one', async () => {
    assert.equal(partnerUser.role, 'partnership');
    assert.equal(partnerUser.borough, null);
    const r = await runCairn(['user', 'add', '--data', srv.dataDir, '--email', uniqueEmail('p'),
      '--name', 'X', '--role', 'partnership', '--borough', 'hollowfield', '--password-stdin'],
    { input: 'a long password\n' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /partnership user belongs to no borough/);
  });

  test('sees per-borough aggregate figures that count the learners', async () => {
    const before = await summaryOf('hollowfield');
    const learner = await newLearner(srv.url, 'Hollowfield');
    await complete(learner);
    const now = await summaryOf('hollowfield');
    assert.equal(now.learners, before.learners + 1);
    assert.ok(now.required > before.required, 'the new learner\'s required items are counted');
    assert.equal(now.completed_12_months, before.completed_12_months + 1, 'basic awareness, just completed');
    assert.equal(now.in_date, before.in_date + 1);
    assert.equal(now.required, now.in_date + now.expired + now.overdue + now.not_yet_due);
    const r = await partner.get('/api/partnership/summary');
    assert.equal(r.body.totals.learners, r.body.boroughs.reduce((n, b) => n + b.learners, 0));
    assert.ok(!/@/.test(r.text), 'no email address in the figures');
    assert.ok(!r.text.includes(learner.email));
    const d = await partner.get('/api/partnership/dashboard?borough=hollowfield');
    assert.equal(d.status, 200, d.text);
    assert.ok(!d.text.includes(learner.email) && !d.text.includes('Test Learner'));
    assert.equal((await partner.get('/api/partnership/dashboard?borough=nowhere')).status, 404);
  });

  test('gets 403 on every individual learner, record, list and export', async () => {
    const learner = await newLearner(srv.url, 'Leicestershire');
    const id = learner.user.id;
    for (const path of [`/api/officer/learners/${id}/record`, '/api/officer/learners',
      '/api/officer/learners?format=csv', '/api/officer/records', '/api/officer/records?format=csv',
      '/api/officer/dashboard', '/api/officer/feedback', '/api/officer/messages',
      '/api/officer/charges', '/api/admin/audit', '/api/admin/grants', '/api/courses']) {
      const r = await partner.get(path);
      assert.equal(r.status, 403, `${path}: ${r.status} ${r.text}`);
      assert.ok(!r.text.includes(learner.email), path);
    }
    const e = await partner.post(`/api/officer/learners/${id}/erase`, { reason: 'x', confirm: true });
    assert.equal(e.status, 403);
  });

  test('learners and officers cannot read the partnership figures', async () => {
    const learner = await newLearner(srv.url, 'Leicestershire');
    assert.equal((await learner.client.get('/api/partnership/summary')).status, 403);
    assert.equal((await officerLeics.get('/api/partnership/summary')).status, 403);
    assert.equal((await officerLeics.get('/api/partnership/learners')).status, 403);
  });

  test('sees a learner under a grant, and not after it is revoked', async () => {
    const learner = await newLearner(srv.url, 'Leicestershire');
    const other = await newLearner(srv.url, 'Leicestershire');
    await complete(learner);
    const g = await admin.post('/api/admin/grants', { user_id: partnerUser.id, learner_id: learner.user.id,
      until: inDays(7), reason: 'Serious case review 12' });
    assert.equal(g.status, 201, g.text);
    assert.equal(g.body.grant.active, true);
    assert.equal(g.body.grant.learner.id, learner.user.id);
    const rec = await partner.get(`/api/officer/learners/${learner.user.id}/record`);
    assert.equal(rec.status, 200, rec.text);
    assert.equal(rec.body.learner.email, learner.email);
    assert.equal(rec.body.entries.length, 1);
    const mine = await partner.get('/api/partnership/learners');
    assert.deepEqual(mine.body.learners.map((x) => x.id), [learner.user.id]);
    assert.equal((await partner.get(`/api/officer/learners/${other.user.id}/record`)).status, 403);
    // the view is in the audit log, as the partnership's
    const log = await audit(admin, `action=view_record&subject=${learner.user.id}`);
    assert.equal(log.entries[0].actor.id, partnerUser.id);
    assert.equal(log.entries[0].actor.role, 'partnership');
    assert.equal(log.entries[0].borough.id, leics.id);

    const del = await admin.request('DELETE', `/api/admin/grants/${g.body.grant.id}`);
    assert.equal(del.status, 204, del.text);
    assert.equal((await partner.get(`/api/officer/learners/${learner.user.id}/record`)).status, 403);
    assert.equal((await partner.get('/api/partnership/learners')).body.total, 0);
    assert.equal((await admin.request('DELETE', `/api/admin/grants/${g.body.grant.id}`)).status, 409);
    const grants = await admin.get('/api/admin/grants?active=1');
    assert.ok(!grants.body.grants.some((x) => x.id === g.body.grant.id));
    const revoked = await audit(admin, `action=revoke&subject=${learner.user.id}`);
    assert.equal(revoked.total, 1);
  });

  test('a borough grant covers that borough\'s learners only', async () => {
    const h = await newLearner(srv.url, 'Hollowfield');
    const l = await newLearner(srv.url, 'Leicestershire');
    const g = await admin.post('/api/admin/grants', { user_id: partnerUser.id, borough_id: hollow.id,
      until: inDays(1), reason: 'Audit of Hollowfield' });
    assert.equal(g.status, 201, g.text);
    assert.equal((await partner.get(`/api/officer/learners/${h.user.id}/record`)).status, 200);
    assert.equal((await partner.get(`/api/officer/learners/${l.user.id}/record`)).status, 403);
    const listed = await partner.get('/api/partnership/learners?limit=200');
    assert.ok(listed.body.learners.some((x) => x.id === h.user.id));
    assert.ok(listed.body.learners.every((x) => x.borough.id === hollow.id));
    assert.equal((await admin.request('DELETE', `/api/admin/grants/${g.body.grant.id}`)).status, 204);
    assert.equal((await partner.get(`/api/officer/learners/${h.user.id}/record`)).status, 403);
  });

  test('grants are checked', async () => {
    const l = await newLearner(srv.url, 'Leicestershire');
    const off = srv.account('officer', 'leics');
    const cases = [
      [{ user_id: l.user.id, learner_id: l.user.id, until: inDays(3), reason: 'r' }, 'user_id'],
      [{ user_id: partnerUser.id, until: inDays(3), reason: 'r' }, 'learner_id'],
      [{ user_id: partnerUser.id, learner_id: l.user.id, borough_id: leics.id, until: inDays(3), reason: 'r' }, 'borough_id'],
      [{ user_id: partnerUser.id, learner_id: l.user.id, until: '2020-01-01', reason: 'r' }, 'until'],
      [{ user_id: partnerUser.id, learner_id: l.user.id, until: inDays(400), reason: 'r' }, 'until'],
      [{ user_id: partnerUser.id, learner_id: l.user.id, until: inDays(3), reason: '' }, 'reason'],
      [{ user_id: partnerUser.id, borough_id: 99999, until: inDays(3), reason: 'r' }, 'borough_id'],
    ];
    for (const [body, field] of cases) {
      const r = await admin.post('/api/admin/grants', body);
      assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.field, field, r.text);
    }
    assert.ok(off);
    assert.equal((await officerLeics.post('/api/admin/grants', cases[0][0])).status, 403);
  });
});

describe('the audit log', () => {
  test('records officers\' record and certificate views; officers see their own borough\'s entries', async () => {
    const l = await newLearner(srv.url, 'Leicestershire');
    await complete(l);
    const rec = await officerLeics.get(`/api/officer/learners/${l.user.id}/record`);
    assert.equal(rec.status, 200);
    const code = rec.body.entries[0].certificate.code;
    assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const log = await audit(admin, `subject=${l.user.id}&action=view_record`);
    assert.equal(log.total, 1);
    assert.equal(log.entries[0].actor.id, officerLeics.user.id);
    assert.equal(log.entries[0].subject.name, l.user.name);
    assert.match(log.entries[0].request_id, /^[0-9a-f]{16}$/);
    assert.equal(log.entries[0].at.slice(0, 10), today());
    assert.equal((await officerLeics.get(`/api/certificates/${code}`)).status, 200);
    const c = await audit(admin, `subject=${l.user.id}&action=view_certificate`);
    assert.equal(c.total, 1);
    assert.equal(c.entries[0].detail.code, code);
    assert.equal((await partner.get(`/api/certificates/${code}`)).status, 403);
    assert.equal((await l.client.get(`/api/certificates/${code}`)).status, 200);
    assert.equal((await audit(admin, `subject=${l.user.id}&action=view_certificate`)).total, 1,
      'the learner\'s own certificate view is not audited');
    // the learner's own views are not audited
    await l.client.get('/api/me/record');
    assert.equal((await audit(admin, `subject=${l.user.id}&action=view_record`)).total, 1);
    // an officer reads their borough's log, not another's
    const mine = await audit(officerLeics, `subject=${l.user.id}`);
    assert.equal(mine.scope, 'borough');
    assert.ok(mine.entries.length >= 1);
    const theirs = await audit(officerHollow, `subject=${l.user.id}`);
    assert.equal(theirs.total, 0);
    // filters and pages
    const page = await audit(admin, `actor=${officerLeics.user.id}&limit=1&offset=0`);
    assert.equal(page.entries.length, 1);
    assert.equal(page.limit, 1);
    assert.ok(page.total >= 1);
    assert.equal((await audit(admin, `from=${inDays(1)}`)).total, 0);
    for (const q of ['action=look', 'from=2026-13-01', 'limit=0', 'actor=x', 'from=2026-02-02&to=2026-01-01']) {
      const r = await admin.get(`/api/admin/audit?${q}`);
      assert.equal(r.status, 422, `${q}: ${r.text}`);
    }
    assert.equal((await l.client.get('/api/admin/audit')).status, 403);
  });
});

describe('a learner\'s own data', () => {
  test('export.json holds their data and nobody else\'s; export.csv the same, audited', async () => {
    const a = await newLearner(srv.url, 'Leicestershire');
    const b = await newLearner(srv.url, 'Leicestershire');
    await complete(a);
    await complete(b);
    const ev = await officerLeics.post(`/api/officer/learners/${a.user.id}/evidence`, {
      title: 'Prevent awareness', hours: 2, completed_on: '2025-02-03', note: 'Seen certificate' });
    assert.equal(ev.status, 201, ev.text);
    const r = await a.client.get('/api/me/export.json');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-disposition'], /attachment; filename="?cairn-my-data\.json/);
    const data = JSON.parse(r.text);
    assert.equal(data.account.email, a.email);
    assert.equal(data.account.id, a.user.id);
    assert.equal(data.records.length, 1);
    assert.equal(data.records[0].title, BA_TITLE);
    assert.equal(data.registrations.length, 1);
    assert.equal(data.registrations[0].attempts, 1);
    assert.deepEqual(data.evidence.map((e) => [e.title, e.note]), [['Prevent awareness', 'Seen certificate']]);
    assert.equal(data.certificates.length, 1);
    for (const k of ['bookings', 'attendance', 'feedback', 'messages', 'charges'])
      assert.ok(Array.isArray(data[k]), k);
    assert.ok(!r.text.includes(b.email) && !r.text.includes(b.user.name));
    const c = await a.client.get('/api/me/export.csv');
    assert.equal(c.status, 200);
    assert.match(c.headers['content-type'], /^text\/csv/);
    const lines = c.text.trim().split('\r\n');
    assert.equal(lines[0], 'section,row,field,value');
    assert.ok(lines.includes(`account,1,email,${a.email}`), c.text.slice(0, 400));
    assert.ok(lines.includes('evidence,1,title,Prevent awareness'));
    assert.ok(!c.text.includes(b.email));
    const log = await audit(admin, `subject=${a.user.id}&action=export_learner`);
    assert.equal(log.total, 2);
    assert.deepEqual(log.entries.map((x) => x.detail.format).sort(), ['csv', 'json']);
    assert.equal((await new Client(srv.url).get('/api/me/export.json')).status, 401);
  });

  test('export.csv keeps formula-like values as text', async () => {
    const a = await newLearner(srv.url, 'Leicestershire');
    const ev = await officerLeics.post(`/api/officer/learners/${a.user.id}/evidence`, {
      title: "-2+3+cmd|' /C calc'!A0", hours: 1, completed_on: '2025-02-03', note: '\t=1+1' });
    assert.equal(ev.status, 201, ev.text);
    const c = await a.client.get('/api/me/export.csv');
    assert.equal(c.status, 200);
    const lines = c.text.trim().split('\r\n');
    assert.ok(lines.includes("evidence,1,title,'-2+3+cmd|' /C calc'!A0"), c.text);
    assert.ok(lines.includes("evidence,1,note,'\t=1+1"), c.text);
    assert.ok(lines.includes('evidence,1,hours,1'), c.text);
  });
});

describe('erasure', () => {
  test('anonymises now, keeps the counts, refuses sign-in, and is audited', async () => {
    const l = await newLearner(srv.url, 'Leicestershire');
    await complete(l);
    // a booking, so a later cancellation would write to them
    const course = (await officerLeics.get('/api/courses')).body.courses[0];
    const start = new Date(Date.now() + 10 * 86400000);
    start.setUTCHours(9, 30, 0, 0);
    const s = await officerLeics.post(`/api/courses/${course.id}/sessions`, { venue_name: 'Town Hall',
      venue_address: '1 High Street', capacity: 5, dates: [{ starts_at: start.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ends_at: new Date(start.getTime() + 6 * 3600000).toISOString().replace(/\.\d{3}Z$/, 'Z') }] });
    assert.equal(s.status, 201, s.text);
    assert.equal((await l.client.post(`/api/sessions/${s.body.session.id}/book`, {})).status, 201);
    const toThem = async () => (await officerLeics.get('/api/officer/messages?limit=100')).body.messages
      .filter((m) => m.recipient.id === l.user.id);
    assert.ok((await toThem()).length >= 1, 'the booking confirmation');
    const fb = await l.client.post('/api/feedback', { package_id: baPackage, usefulness: 4,
      confidence_before: 2, confidence_after: 4, comments: 'My manager is Jo Bloggs' });
    assert.equal(fb.status, 201, fb.text);
    const fsumBefore = await officerLeics.get('/api/officer/feedback?by=module');
    assert.ok(fsumBefore.text.includes('Jo Bloggs'), 'the summary shows comments');
    const before = await summaryOf('leicestershire-rutland');
    const dashBefore = await officerLeics.get('/api/officer/dashboard');
    const path = `/api/officer/learners/${l.user.id}/erase`;
    assert.equal((await officerHollow.post(path, { reason: 'asked', confirm: true })).status, 404);
    let r = await officerLeics.post(path, { reason: 'asked' });
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'confirm');
    r = await officerLeics.post(path, { reason: ' ', confirm: true });
    assert.equal(r.body.field, 'reason');
    r = await officerLeics.post(path, { reason: 'Request from the learner by email', confirm: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.erased.name, `Anonymised learner #${l.user.id}`);
    assert.equal(r.body.erased.records_kept, 1);

    const rec = await officerLeics.get(`/api/officer/learners/${l.user.id}/record`);
    assert.equal(rec.body.learner.name, `Anonymised learner #${l.user.id}`);
    assert.notEqual(rec.body.learner.email, l.email);
    assert.ok(!rec.text.includes(l.email) && !rec.text.includes(l.user.name));
    assert.equal(rec.body.entries.length, 1, 'the record is kept');
    assert.equal(rec.body.learner.anonymised, true);
    const after = await summaryOf('leicestershire-rutland');
    assert.equal(after.learners, before.learners);
    for (const k of ['required', 'in_date', 'expired', 'overdue', 'not_yet_due', 'completed_12_months', 'learners_overdue'])
      assert.equal(after[k], before[k], k);
    assert.equal(after.anonymised, before.anonymised + 1);
    assert.equal(dashBefore.status, 200, dashBefore.text);
    const dashAfter = await officerLeics.get('/api/officer/dashboard');
    assert.equal(dashAfter.body.learners, dashBefore.body.learners);
    assert.deepEqual(dashAfter.body.completions_this_month, dashBefore.body.completions_this_month);
    assert.deepEqual(dashAfter.body.items, dashBefore.body.items);
    const fsum = await officerLeics.get('/api/officer/feedback?by=module');
    assert.equal(fsum.status, 200, fsum.text);
    assert.ok(!fsum.text.includes('Jo Bloggs'), 'free-text comments are cleared');
    // their messages are gone, and a cancellation writes them none
    assert.deepEqual(await toThem(), []);
    assert.equal((await officerLeics.post(`/api/sessions/${s.body.session.id}/cancel`, { reason: 'Trainer ill' })).status, 200);
    assert.deepEqual(await toThem(), []);
    // the old session and the old password are gone
    assert.equal((await l.client.get('/api/me/record')).status, 401);
    const again = await new Client(srv.url).login(l.email, l.password);
    assert.equal(again.status, 401);
    assert.equal((await officerLeics.post(path, { reason: 'again', confirm: true })).status, 409);
    const log = await audit(admin, `subject=${l.user.id}&action=erase`);
    assert.equal(log.total, 1);
    assert.equal(log.entries[0].detail.reason, 'Request from the learner by email');
    assert.equal(log.entries[0].subject.name, `Anonymised learner #${l.user.id}`);
    // an officer cannot be erased this way, nor a learner of no such id
    assert.equal((await admin.post(`/api/officer/learners/${officerLeics.user.id}/erase`,
      { reason: 'x', confirm: true })).status, 404);
  });
});

describe('retention', () => {
  test('admins set a period per borough; it is checked', async () => {
    for (const months of [0, 1201, 'x', 1.5]) {
      const r = await admin.request('PUT', `/api/admin/boroughs/${hollow.id}/retention`, { json: { months } });
      assert.equal(r.status, 422, `${months}: ${r.text}`);
    }
    assert.equal((await admin.request('PUT', '/api/admin/boroughs/9999/retention', { json: { months: 12 } })).status, 404);
    assert.equal((await officerHollow.request('PUT', `/api/admin/boroughs/${hollow.id}/retention`, { json: { months: 12 } })).status, 403);
    let r = await admin.request('PUT', `/api/admin/boroughs/${hollow.id}/retention`, { json: { months: 12 } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.retention_months, 12);
    r = await admin.request('PUT', `/api/admin/boroughs/${eastmere.id}/retention`, { json: { months: 36 } });
    assert.equal(r.status, 200);
    const listed = await admin.get('/api/admin/retention');
    const byId = Object.fromEntries(listed.body.boroughs.map((b) => [b.id, b.retention_months]));
    assert.deepEqual([byId[hollow.id], byId[eastmere.id], byId[leics.id]], [12, 36, null]);
  });

  test('cairn retention run anonymises exactly the learners past their period, once', async () => {
    const h = await newLearner(srv.url, 'Hollowfield');
    await complete(h);
    const l = await newLearner(srv.url, 'Leicestershire');
    const h0 = await summaryOf('hollowfield');
    const l0 = await summaryOf('leicestershire-rutland');
    const later = monthsLater(13);

    // a dry run changes nothing
    let r = await runCairn(['retention', 'run', '--data', srv.dataDir, '--today', later, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    const pending = h0.learners - h0.anonymised;
    assert.match(r.stdout, new RegExp(`Hollowfield \\(London\\): retention 12 months: ${pending} learners? .*would be anonymised`));
    assert.equal((await summaryOf('hollowfield')).anonymised, h0.anonymised);
    assert.equal((await new Client(srv.url).login(h.email, h.password)).status, 200);

    // not yet past the period: nobody
    r = await runCairn(['retention', 'run', '--data', srv.dataDir, '--today', monthsLater(11)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Hollowfield \(London\): retention 12 months: 0 learners/);

    r = await runCairn(['retention', 'run', '--data', srv.dataDir, '--today', later]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Hollowfield \\(London\\): retention 12 months: ${pending} learners? inactive since before \\d{4}-\\d\\d-\\d\\d anonymised; [1-9]\\d* records? kept`));
    assert.match(r.stdout, /Eastmere: retention 36 months: 0 learners/);
    assert.match(r.stdout, /Leicestershire and Rutland: no retention period; records kept/);
    const h1 = await summaryOf('hollowfield');
    assert.equal(h1.anonymised, h1.learners, 'every Hollowfield learner was inactive for 13 months');
    for (const k of ['required', 'in_date', 'completed_12_months'])
      assert.equal(h1[k], h0[k], `${k}: still counted`);
    const l1 = await summaryOf('leicestershire-rutland');
    assert.equal(l1.anonymised, l0.anonymised, 'Leicestershire keeps its learners');
    assert.equal((await new Client(srv.url).login(h.email, h.password)).status, 401);
    assert.equal((await new Client(srv.url).login(l.email, l.password)).status, 200);
    const rec = await admin.get(`/api/officer/learners/${h.user.id}/record`);
    assert.equal(rec.body.learner.name, `Anonymised learner #${h.user.id}`);
    assert.equal(rec.body.learner.job_role, 'Volunteer', 'the job role is kept for reports');

    // idempotent
    r = await runCairn(['retention', 'run', '--data', srv.dataDir, '--today', later]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Hollowfield \(London\): retention 12 months: 0 learners/);
    const runs = await audit(admin, 'action=retention_run');
    assert.ok(runs.entries.some((x) => x.actor === null && x.borough?.id === hollow.id && x.detail.anonymised === pending));

    r = await runCairn(['retention', 'run', '--data', srv.dataDir, '--today', '2026-02-30']);
    assert.equal(r.code, 2);
  });
});
