// The officers' reports (docs/API.md "Reports"): the borough dashboard and
// the training needs analysis, against figures worked out by hand for a
// small fixture; borough scoping; the compliance rows following a new
// completion.
//
// Fixture (Hollowfield's plugin: basic awareness e-learning, expiring three
// years after, plus the Group A or B introductory course, no expiry; a
// "Library volunteer" is Group A, a "Teacher" Group B):
//   Library volunteers (organisation 0)
//                   H1 (A) basic awareness evidence that expires in 20 days
//                   H2 (A) Group A course: officer evidence, 10 days ago
//   Primary School (organisation 1)
//                   H3 (B) basic awareness: evidence four years ago (expired)
//                   H4 (B) basic awareness by a real SCORM commit today (the
//                       plugin wants it before a Group course is booked),
//                       then the Group B course attended (past session)
// Eastmere          E1 basic awareness by a real commit (its plugin: one item)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR, runCairn, startServer } from '../lib/server.mjs';
import { Client, boroughs, uniqueEmail } from '../lib/client.mjs';
import { cmi12, commit, launch } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';

const DAY = 24 * 3600 * 1000;
const BA_TITLE = 'Introduction to safeguarding: basic awareness';
const COURSE_B = 'Safeguarding children: a shared responsibility (Group B)';
const COURSE_A = 'Safeguarding children: a shared responsibility (Group A)';

const today = () => new Date().toISOString().slice(0, 10);
const thisMonth = (iso) => iso.slice(0, 7) === today().slice(0, 7);

function dayOffset(days) {
  return new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
}

function at(daysFromNow, hour, minute = 0) {
  const d = new Date(Date.now() + daysFromNow * DAY);
  d.setUTCHours(hour, minute, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The date three years before today plus `days`: expires `days` from now. */
function threeYearsAgoPlus(days) {
  const d = new Date(today() + 'T12:00:00Z');
  d.setUTCFullYear(d.getUTCFullYear() - 3);
  return new Date(d.getTime() + days * DAY).toISOString().slice(0, 10);
}

let srv, list, hollow, east, officerH, officerE, admin, baPackage;
const L = {};
let sessionDate;

async function register(borough, orgIndex, jobRole, name) {
  const client = new Client(srv.url);
  const r = await client.register({
    name, email: uniqueEmail('reports'), password: 'a long enough password',
    borough_id: borough.id, organisation_id: borough.organisations[orgIndex].id, job_role: jobRole,
  });
  assert.equal(r.status, 201, r.text);
  return { client, user: r.body.user };
}

async function completeBasicAwareness(client) {
  const b = await launch(client, baPackage);
  const r = await commit(client, b.sco, cmi12({ status: 'completed', session: '00:40:00' }), { final: true });
  assert.equal(r.status, 200, r.text);
}

async function evidence(learner, body) {
  const r = await officerH.post(`/api/officer/learners/${learner.user.id}/evidence`,
    { provider: 'Test provider', hours: 3, ...body });
  assert.equal(r.status, 201, r.text);
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  list = await boroughs(srv.url);
  hollow = list.find((b) => b.name.startsWith('Hollowfield'));
  east = list.find((b) => b.name === 'Eastmere');
  const h = srv.account('officer', 'hollowfield');
  officerH = await new Client(srv.url).mustLogin(h.email, h.password);
  const e = srv.account('officer', 'eastmere');
  officerE = await new Client(srv.url).mustLogin(e.email, e.password);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  const zip = makeZip([
    { name: 'imsmanifest.xml', data: manifest12({ identifier: 'cairn.basic-awareness', title: BA_TITLE }) },
    { name: 'index.html', data: '<html><body>Basic awareness</body></html>' },
  ]);
  const up = await admin.post('/api/packages?filename=ba.zip', undefined, { body: zip, contentType: 'application/zip' });
  assert.equal(up.status, 201, up.text);
  baPackage = up.body.package.id;

  L.h1 = await register(hollow, 0, 'Library volunteer', 'Hana One');
  L.h2 = await register(hollow, 0, 'Library volunteer', 'Harry Two');
  L.h3 = await register(hollow, 1, 'Teacher', 'Hugo Three');
  L.h4 = await register(hollow, 1, 'Teacher', 'Hetty Four');
  L.e1 = await register(east, 0, 'Volunteer', 'Esme One');

  await completeBasicAwareness(L.h4.client);
  await completeBasicAwareness(L.e1.client);
  await evidence(L.h2, { kind: 'course', title: COURSE_A, group: 'A', completed_on: dayOffset(-10) });
  const fourYearsAgo = new Date(today() + 'T12:00:00Z');
  fourYearsAgo.setUTCFullYear(fourYearsAgo.getUTCFullYear() - 4);
  await evidence(L.h3, { kind: 'elearning', title: BA_TITLE, completed_on: fourYearsAgo.toISOString().slice(0, 10) });
  await evidence(L.h1, { kind: 'elearning', title: BA_TITLE, completed_on: threeYearsAgoPlus(20) });

  // H4 attends the Group B course: a session booked ahead, moved to the past, marked.
  const c = await officerH.post('/api/courses', {
    title: COURSE_B, group: 'B', category: 'CORE', level: null, duration_hours: 12,
    aims: 'The Group B introductory course.',
  });
  assert.equal(c.status, 201, c.text);
  const s = await officerH.post(`/api/courses/${c.body.course.id}/sessions`, {
    venue_name: 'Civic Centre', venue_address: '1 High Street', capacity: 10,
    dates: [{ starts_at: at(10, 9, 30), ends_at: at(10, 15, 30) }],
  });
  assert.equal(s.status, 201, s.text);
  const booked = await L.h4.client.post(`/api/sessions/${s.body.session.id}/book`, {});
  assert.equal(booked.status, 201, booked.text);
  // an hour ago, or earlier today when that is still today
  const startsAt = new Date(Date.now() - 3600 * 1000);
  const endsAt = new Date(startsAt.getTime() + 30 * 60 * 1000);
  const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const moved = await officerH.request('PUT', `/api/sessions/${s.body.session.id}`,
    { json: { dates: [{ starts_at: iso(startsAt), ends_at: iso(endsAt) }], booking_deadline: iso(new Date(startsAt.getTime() - DAY)) } });
  assert.equal(moved.status, 200, moved.text);
  sessionDate = moved.body.session.dates[0];
  const m = await officerH.post(`/api/sessions/${s.body.session.id}/attendance`,
    { date_id: sessionDate.id, user_id: L.h4.user.id, status: 'attended' });
  assert.equal(m.status, 200, m.text);

  // feedback: H4 on the session (4; 2 -> 5) and on the module (5; 3 -> 4)
  let f = await L.h4.client.post('/api/feedback', { session_id: s.body.session.id, usefulness: 4,
    confidence_before: 2, confidence_after: 5, comments: '' });
  assert.equal(f.status, 201, f.text);
  f = await L.h4.client.post('/api/feedback', { package_id: baPackage, usefulness: 5,
    confidence_before: 3, confidence_after: 4, comments: '' });
  assert.equal(f.status, 201, f.text);
});

after(async () => {
  await srv?.stop();
});

const counts = (required, in_date, expired, overdue, not_yet_due) =>
  ({ required, in_date, expired, overdue, not_yet_due, gap: required - in_date });

function pick(o, keys) {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
const COUNT_KEYS = ['required', 'in_date', 'expired', 'overdue', 'not_yet_due', 'gap'];
const TNA_KEYS = ['required', 'in_date', 'expired', 'untrained', 'gap'];

describe('the dashboard', () => {
  test('Hollowfield, as its officer: every figure as worked out by hand', async () => {
    const r = await officerH.get('/api/officer/dashboard');
    assert.equal(r.status, 200, r.text);
    const d = r.body;
    assert.equal(d.borough.slug, 'hollowfield');
    assert.equal(d.today, today());
    assert.equal(d.learners, 4);
    assert.equal(d.learners_overdue, 1);              // H3: expired basic awareness
    assert.deepEqual(d.items, { ...counts(8, 4, 1, 0, 3), expiring: 1, expiring_30: 1, expiring_60: 1, expiring_90: 1 });
    assert.deepEqual(d.completions_this_month, {
      elearning: 1,                                    // H4's commit (E1 is in Eastmere)
      attendance: thisMonth(sessionDate.starts_at) ? 1 : 0,
      evidence: thisMonth(dayOffset(-10)) ? 1 : 0,     // H2's; the others are years old
      total: 1 + (thisMonth(sessionDate.starts_at) ? 1 : 0) + (thisMonth(dayOffset(-10)) ? 1 : 0),
    });
    const org = (i) => d.by_organisation.find((o) => o.id === hollow.organisations[i].id);
    assert.deepEqual(pick(org(0), ['learners', ...COUNT_KEYS]), { learners: 2, ...counts(4, 2, 0, 0, 2) });
    assert.deepEqual(pick(org(1), ['learners', ...COUNT_KEYS]), { learners: 2, ...counts(4, 2, 1, 0, 1) });
    assert.equal(d.by_organisation.length, hollow.organisations.length);
    for (const o of d.by_organisation.filter((x) => x.id !== hollow.organisations[0].id && x.id !== hollow.organisations[1].id))
      assert.deepEqual(pick(o, ['learners', ...COUNT_KEYS]), { learners: 0, ...counts(0, 0, 0, 0, 0) });
    assert.deepEqual(d.by_level.map((l) => ({ group: l.group, level: l.level, ...pick(l, COUNT_KEYS) })), [
      { group: 'A', level: null, ...counts(2, 1, 0, 0, 1) },
      { group: 'B', level: null, ...counts(2, 1, 0, 0, 1) },
      { group: null, level: null, ...counts(4, 2, 1, 0, 1) },
    ]);
    assert.deepEqual(d.feedback, { responses: 2, usefulness_mean: 4.5, confidence_before_mean: 2.5,
      confidence_after_mean: 4.5, confidence_change_mean: 2 });
    assert.equal(d.compliance.fresh, true);
    assert.equal(d.boroughs, undefined);              // only admins get the list to choose from
  });

  test('Eastmere, as its officer: its own learner only', async () => {
    const r = await officerE.get('/api/officer/dashboard');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.slug, 'eastmere');
    assert.equal(r.body.learners, 1);
    assert.deepEqual(pick(r.body.items, COUNT_KEYS), counts(1, 1, 0, 0, 0));
    assert.equal(r.body.completions_this_month.elearning, 1);
    assert.equal(r.body.feedback.responses, 0);
    assert.equal(r.body.feedback.usefulness_mean, null);
    assert.ok(r.body.by_organisation.every((o) => o.borough === 'Eastmere'));
  });

  test('an admin: one borough by ?borough=, or every borough', async () => {
    const mine = (await officerH.get('/api/officer/dashboard')).body;
    const r = await admin.get('/api/officer/dashboard?borough=hollowfield');
    assert.equal(r.status, 200, r.text);
    for (const k of ['learners', 'learners_overdue', 'items', 'by_organisation', 'by_level', 'feedback', 'completions_this_month'])
      assert.deepEqual(r.body[k], mine[k], k);
    assert.ok(r.body.boroughs.some((b) => b.slug === 'eastmere'));
    const all = await admin.get('/api/officer/dashboard');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.borough, null);
    // Hollowfield's 4, Eastmere's 1 and the demo's Leicestershire learner
    assert.equal(all.body.learners, 6);
    assert.ok(all.body.items.required >= 9);
  });
});

describe('the training needs analysis', () => {
  test('Hollowfield: people per organisation and level, as worked out by hand', async () => {
    const r = await officerH.get('/api/officer/tna');
    assert.equal(r.status, 200, r.text);
    const t = r.body;
    assert.equal(t.borough.slug, 'hollowfield');
    assert.equal(t.learners, 4);
    const tna = (required, in_date, expired, untrained) => ({ required, in_date, expired, untrained, gap: required - in_date });
    const levels = (o) => o.levels.map((l) => ({ group: l.group, level: l.level, ...pick(l, TNA_KEYS) }));
    const o1 = t.organisations.find((o) => o.id === hollow.organisations[0].id);
    const o2 = t.organisations.find((o) => o.id === hollow.organisations[1].id);
    assert.deepEqual(levels(o1), [
      { group: 'A', level: null, ...tna(2, 1, 0, 1) },     // H2 done, H1 not
      { group: null, level: null, ...tna(2, 1, 0, 1) },    // H1 in date (expiring), H2 not
    ]);
    assert.deepEqual(levels(o2), [
      { group: 'B', level: null, ...tna(2, 1, 0, 1) },     // H4 attended, H3 not
      { group: null, level: null, ...tna(2, 1, 1, 0) },    // H4 in date, H3 expired
    ]);
    assert.deepEqual(pick(o1, TNA_KEYS), tna(4, 2, 0, 2));
    assert.deepEqual(pick(o2, TNA_KEYS), tna(4, 2, 1, 1));
    assert.equal(o1.learners, 2);
    assert.deepEqual(t.totals.map((l) => ({ group: l.group, level: l.level, ...pick(l, TNA_KEYS) })), [
      { group: 'A', level: null, ...tna(2, 1, 0, 1) },
      { group: 'B', level: null, ...tna(2, 1, 0, 1) },
      { group: null, level: null, ...tna(4, 2, 1, 1) },
    ]);
    const others = t.organisations.filter((o) => o !== o1 && o !== o2);
    assert.ok(others.every((o) => o.levels.length === 0 && o.required === 0), JSON.stringify(others));
  });

  test('the same analysis as a CSV file, for a board report', async () => {
    const r = await officerH.get('/api/officer/tna?format=csv');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /^text\/csv; charset=utf-8/);
    assert.match(r.headers['content-disposition'], /^attachment; filename="cairn-training-needs-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = r.text.split('\r\n');
    assert.equal(lines[0], 'organisation,borough,group,level,required,in_date,expired,untrained,gap');
    assert.equal(lines.at(-1), '', 'every line ends with CRLF');
    const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const [o1, o2] = [hollow.organisations[0].name, hollow.organisations[1].name].map(cell);
    const H = cell(hollow.name);
    // the figures worked out by hand above, line for line
    assert.deepEqual(lines.slice(1, -1).filter((l) => l.startsWith(`${o1},`) || l.startsWith(`${o2},`) ||
      l.startsWith('All organisations,')), [
      `${o1},${H},A,,2,1,0,1,1`,
      `${o1},${H},,,2,1,0,1,1`,
      `${o2},${H},B,,2,1,0,1,1`,
      `${o2},${H},,,2,1,1,0,1`,
      `All organisations,${H},A,,2,1,0,1,1`,
      `All organisations,${H},B,,2,1,0,1,1`,
      `All organisations,${H},,,4,2,1,1,2`,
    ]);
    const t = (await officerH.get('/api/officer/tna')).body;
    assert.equal(lines.length - 2, t.organisations.reduce((n, o) => n + o.levels.length, 0) + t.totals.length);
    for (const [path, field] of [['/api/officer/tna?format=xml', 'format'], ['/api/officer/dashboard?format=csv', 'format']]) {
      const bad = await officerH.get(path);
      assert.equal(bad.status, 422, `${path}: ${bad.text}`);
      assert.equal(bad.body.field, field);
    }
    // scoped like the JSON: another borough's is refused
    assert.equal((await officerE.get('/api/officer/tna?format=csv&borough=hollowfield')).status, 403);
  });

  test('Eastmere sees none of Hollowfield', async () => {
    const r = await officerE.get('/api/officer/tna');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.learners, 1);
    assert.ok(r.body.organisations.every((o) => o.borough === 'Eastmere'));
    assert.deepEqual(r.body.totals.map((l) => pick(l, TNA_KEYS)), [{ required: 1, in_date: 1, expired: 0, untrained: 0, gap: 0 }]);
  });
});

describe('who may see which borough', () => {
  for (const path of ['/api/officer/dashboard', '/api/officer/tna']) {
    test(`${path}: another borough is refused, one's own is fine`, async () => {
      let r = await officerH.get(`${path}?borough=eastmere`);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.code, 'forbidden');
      r = await officerE.get(`${path}?borough=hollowfield`);
      assert.equal(r.status, 403, r.text);
      r = await officerH.get(`${path}?borough=hollowfield`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.borough.slug, 'hollowfield');
    });

    test(`${path}: learners get 403, strangers 401, bad and unknown boroughs 422 and 404`, async () => {
      assert.equal((await L.h1.client.get(path)).status, 403);
      assert.equal((await new Client(srv.url).get(path)).status, 401);
      let r = await admin.get(`${path}?borough=Not%20a%20slug`);
      assert.equal(r.status, 422, r.text);
      assert.equal(r.body.field, 'borough');
      r = await admin.get(`${path}?borough=atlantis`);
      assert.equal(r.status, 404, r.text);
    });
  }
});

describe('the compliance rows follow the records', () => {
  test('a new learner, then their completion, show in the next report', async () => {
    const before = (await officerH.get('/api/officer/dashboard')).body;
    const h5 = await register(hollow, 0, 'Library volunteer', 'Holly Five');
    let d = (await officerH.get('/api/officer/dashboard')).body;
    assert.equal(d.learners, before.learners + 1);
    assert.equal(d.items.required, before.items.required + 2);
    assert.equal(d.items.in_date, before.items.in_date);
    await completeBasicAwareness(h5.client);
    d = (await officerH.get('/api/officer/dashboard')).body;
    assert.equal(d.items.in_date, before.items.in_date + 1);
    assert.equal(d.completions_this_month.elearning, before.completions_this_month.elearning + 1);
    const t = (await officerH.get('/api/officer/tna')).body;
    const o1 = t.organisations.find((o) => o.id === hollow.organisations[0].id);
    const ba = o1.levels.find((l) => l.group === null);
    assert.deepEqual(pick(ba, TNA_KEYS), { required: 3, in_date: 2, expired: 0, untrained: 1, gap: 1 });
  });

  test('removing evidence takes the item out of date again', async () => {
    const rec = await officerH.get(`/api/officer/learners/${L.h2.user.id}/record`);
    assert.equal(rec.status, 200, rec.text);
    const entry = rec.body.entries.find((e) => e.kind === 'evidence');
    assert.ok(entry, rec.text);
    const id = entry.evidence.id;
    const before = (await officerH.get('/api/officer/dashboard')).body;
    const del = await officerH.request('DELETE', `/api/officer/evidence/${id}`);
    assert.equal(del.status, 204, del.text);
    const d = (await officerH.get('/api/officer/dashboard')).body;
    assert.equal(d.items.in_date, before.items.in_date - 1);
    assert.equal(d.items.not_yet_due, before.items.not_yet_due + 1);
  });
});

describe('when the borough rules change', () => {
  let srv2, dir, officer2, admin2;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-plugins-'));
    await fs.promises.cp(path.join(SOURCE_DIR, 'plugins', 'eastmere'), path.join(dir, 'eastmere'), { recursive: true });
    srv2 = await startServer({ demo: true, packages: false, args: ['--plugins', dir] });
    const o = srv2.account('officer', 'eastmere');
    officer2 = await new Client(srv2.url).mustLogin(o.email, o.password);
    const a = srv2.account('admin');
    admin2 = await new Client(srv2.url).mustLogin(a.email, a.password);
    const e = (await boroughs(srv2.url)).find((b) => b.name === 'Eastmere');
    for (const name of ['Ella Rules', 'Eddie Rules']) {
      const r = await new Client(srv2.url).register({ name, email: uniqueEmail('rules'),
        password: 'a long enough password', borough_id: e.id, organisation_id: e.organisations[0].id,
        job_role: 'Volunteer' });
      assert.equal(r.status, 201, r.text);
    }
  });

  after(async () => {
    await srv2?.stop();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  test('a reload with changed plugins recomputes every learner in the background', async () => {
    let d = (await officer2.get('/api/officer/dashboard')).body;
    assert.equal(d.items.required, 2);                       // basic awareness each
    // Eastmere now asks everyone, not only designated leads, for its course.
    const init = path.join(dir, 'eastmere', 'init.lua');
    const src = await fs.promises.readFile(init, 'utf8');
    assert.ok(src.includes('if is_designated_lead(learner.job_role) then'));
    await fs.promises.writeFile(init, src.replace('if is_designated_lead(learner.job_role) then', 'if true then'));
    const r = await admin2.post('/api/admin/plugins/reload');
    assert.equal(r.status, 200, r.text);
    const end = Date.now() + 15000;
    while ((d = (await officer2.get('/api/officer/dashboard')).body).items.required !== 4 && Date.now() < end)
      await new Promise((res) => setTimeout(res, 200));
    assert.equal(d.items.required, 4, JSON.stringify(d.items));
    assert.equal(d.items.not_yet_due, 4);
    // a reload that changes nothing keeps the rows (and the time they were made)
    const t1 = (await officer2.get('/api/officer/tna')).body;
    assert.equal((await admin2.post('/api/admin/plugins/reload')).status, 200);
    await new Promise((res) => setTimeout(res, 2500));
    const t2 = (await officer2.get('/api/officer/tna')).body;
    assert.equal(t2.compliance.rebuilt_at, t1.compliance.rebuilt_at);
    assert.deepEqual(t2.totals, t1.totals);
  });

  test('cairn compliance rebuild recomputes beside the server and says what it did', async () => {
    const out = await runCairn(['compliance', 'rebuild', '--data', srv2.dataDir, '--plugins', dir]);
    assert.equal(out.code, 0, out.stderr);
    // the demo's Leicestershire learner (no plugin in this folder: no items)
    // and the two Eastmere learners, two items each
    assert.match(out.stdout, /^compliance: 3 learners, 4 required items \(2 learners with some\) in [0-9.]+ s$/m);
    const bad = await runCairn(['compliance', 'rebuild', '--data', srv2.dataDir, 'extra']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unexpected argument 'extra'/);
  });
});
