// The one learner record, external evidence, required training and pathway
// progress, certificates and their public check (docs/API.md "The learner
// record", "Evidence", "Certificates").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, boroughs, newLearner, uniqueEmail } from '../lib/client.mjs';
import { cmi12, commit, launch } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';

const HOUR = 3600 * 1000, DAY = 24 * HOUR;
const BA_TITLE = 'Introduction to safeguarding: basic awareness';

function at(daysFromNow, hour = 9, minute = 30) {
  const d = new Date(Date.now() + daysFromNow * DAY);
  d.setUTCHours(hour, minute, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function dates(daysFromNow, n = 1) {
  return Array.from({ length: n }, (_, i) => ({
    starts_at: at(daysFromNow + i, 9, 30), ends_at: at(daysFromNow + i, 15, 30),
  }));
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

function addYears(iso, n) {
  const d = new Date(iso.slice(0, 10) + 'T12:00:00Z');
  d.setUTCFullYear(d.getUTCFullYear() + n);
  return d.toISOString().slice(0, 10);
}

let srv, list, officerHollow, officerLeics, admin, baPackage;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  list = await boroughs(srv.url);
  const h = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(h.email, h.password);
  const l = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(l.email, l.password);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  // A small package with the basic awareness module's identifier.
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

/** A Hollowfield learner with a Competence Matters pathway (Sports Instructor). */
async function hollowLearner(jobRole = 'Sports coach') {
  const b = list.find((x) => x.name.startsWith('Hollowfield'));
  const client = new Client(srv.url);
  const r = await client.register({
    name: 'Robin Record', email: uniqueEmail('record'), password: 'a long enough password',
    borough_id: b.id, organisation_id: b.organisations[0].id, job_role: jobRole,
  });
  assert.equal(r.status, 201, r.text);
  return { client, user: r.body.user };
}

async function completeBasicAwareness(client) {
  const b = await launch(client, baPackage);
  const r = await commit(client, b.sco, cmi12({ status: 'completed', session: '00:30:00' }), { final: true });
  assert.equal(r.status, 200, r.text);
}

/** A session of the course, booked by the learners, then moved to the past
 * so that attendance can be marked. */
async function pastSession(officer, title, learners, { daysAgo = 3, n = 2 } = {}) {
  const courses = (await officer.get('/api/courses')).body.courses;
  const c = courses.find((x) => x.title === title);
  assert.ok(c, title);
  const s = await officer.post(`/api/courses/${c.id}/sessions`, {
    venue_name: 'Civic Centre', venue_address: '1 High Street', capacity: 10, dates: dates(10, n),
  });
  assert.equal(s.status, 201, s.text);
  for (const l of learners) {
    const b = await l.client.post(`/api/sessions/${s.body.session.id}/book`, {});
    assert.equal(b.status, 201, b.text);
  }
  const moved = await officer.request('PUT', `/api/sessions/${s.body.session.id}`,
    { json: { dates: dates(-daysAgo, n), booking_deadline: at(-daysAgo - 1) } });
  assert.equal(moved.status, 200, moved.text);
  return moved.body.session;
}

function mark(officer, session, date, user, status = 'attended') {
  return officer.post(`/api/sessions/${session.id}/attendance`, { date_id: date.id, user_id: user.id, status });
}

const EVIDENCE = {
  title: 'Safe working practices', kind: 'course', provider: 'Hollowfield Sports Partnership',
  group: 'A', hours: 6, completed_on: '2024-05-01', note: 'Certificate seen and copied to file.',
};

describe('the one learner record', () => {
  let learner, session, code;

  before(async () => {
    learner = await hollowLearner();
  });

  test('a new learner: no entries, the required items due, the pathway not started', async () => {
    const r = await learner.client.get('/api/me/record');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.entries, []);
    assert.equal(r.body.totals.hours, 0);
    assert.equal(r.body.learner.name, 'Robin Record');
    assert.equal(r.body.learner.job_role, 'Sports coach');
    assert.equal(r.body.required.length, 8);
    assert.ok(r.body.required.every((i) => i.state === 'due'), JSON.stringify(r.body.required));
    assert.equal(r.body.pathway.role, 'Sports coach');
    assert.equal(r.body.pathway.total, 6);
    assert.equal(r.body.pathway.done, 0);
    assert.ok(r.body.pathway.items.some((i) => i.title === 'Recording and record keeping'));
  });

  test('e-learning, attendance and evidence in date order, with hours, expiry and certificates', async () => {
    await completeBasicAwareness(learner.client);
    session = await pastSession(officerHollow, 'Recording and record keeping', [learner]);
    const [d1, d2] = session.dates;
    let m = await mark(officerHollow, session, d1, learner.user);
    assert.equal(m.status, 200, m.text);

    // one date of two: the course is not done yet and has no certificate
    let r = (await learner.client.get('/api/me/record')).body;
    let f2f = r.entries.filter((e) => e.kind === 'face_to_face');
    assert.equal(f2f.length, 1);
    assert.equal(f2f[0].certificate, null);
    assert.equal(r.required.find((i) => i.title === 'Recording and record keeping').state, 'due');

    m = await mark(officerHollow, session, d2, learner.user);
    assert.equal(m.status, 200, m.text);
    const ev = await officerHollow.post(`/api/officer/learners/${learner.user.id}/evidence`, EVIDENCE);
    assert.equal(ev.status, 201, ev.text);
    assert.equal(ev.body.evidence.title, 'Safe working practices');
    assert.equal(ev.body.evidence.source, 'officer');
    assert.equal(ev.body.evidence.entered_by.id, officerHollow.user.id);

    r = (await learner.client.get('/api/me/record')).body;
    assert.deepEqual(r.entries.map((e) => e.kind), ['evidence', 'face_to_face', 'face_to_face', 'elearning']);
    const ds = r.entries.map((e) => e.date);
    assert.deepEqual(ds, [...ds].sort(), 'time-ordered');
    const [evidence, day1, day2, module] = r.entries;

    assert.equal(evidence.date, '2024-05-01');
    assert.equal(evidence.title, 'Safe working practices');
    assert.equal(evidence.group, 'A');
    assert.equal(evidence.hours, 6);
    assert.equal(evidence.certificate, null);
    assert.equal(evidence.evidence.provider, 'Hollowfield Sports Partnership');
    assert.equal(evidence.evidence.note, 'Certificate seen and copied to file.');
    assert.equal(evidence.evidence.kind, 'course');
    assert.equal(evidence.evidence.entered_by.name, officerHollow.user.name);

    assert.equal(day1.date, d1.starts_at);
    assert.equal(day1.hours, 6);
    assert.equal(day1.status, 'attended');
    assert.equal(day1.group, 'A');
    assert.equal(day1.feedback_url, `/feedback.html?session=${session.id}`);
    assert.equal(day1.expires, null, 'Hollowfield sets no expiry on this course');
    assert.ok(day1.certificate, 'every date attended: a certificate');
    assert.match(day1.certificate.code, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    assert.equal(day1.certificate.url, `/certificate.html?code=${day1.certificate.code}`);
    assert.deepEqual(day2.certificate, day1.certificate, 'one certificate for the session');

    assert.equal(module.title, BA_TITLE);
    assert.equal(module.status, 'completed');
    assert.equal(module.hours, 0.5);
    assert.equal(module.package_id, baPackage);
    assert.equal(module.feedback_url, `/feedback.html?package=${baPackage}`);
    assert.equal(module.expires, addYears(module.date, 3), 'Hollowfield: basic awareness every three years');
    assert.ok(module.certificate);
    assert.notEqual(module.certificate.code, day1.certificate.code);
    code = day1.certificate.code;

    assert.equal(r.totals.hours, 18.5);
    assert.equal(r.totals.elearning_hours, 0.5);
    assert.equal(r.totals.face_to_face_hours, 12);
    assert.equal(r.totals.evidence_hours, 6);
    assert.equal(r.totals.entries, 4);
  });

  test('attendance and evidence make course items done; the pathway counts them', async () => {
    const r = (await learner.client.get('/api/me/record')).body;
    const state = (title) => r.required.find((i) => i.title === title)?.state;
    assert.equal(state(BA_TITLE), 'done');
    assert.equal(state('Recording and record keeping'), 'done');
    assert.equal(state('Safe working practices'), 'done', 'evidence of a course with that title');
    assert.equal(state('Basic awareness workshop - bullying'), 'due');
    const recording = r.required.find((i) => i.title === 'Recording and record keeping');
    assert.equal(recording.completed_at, session.dates[1].ends_at);
    assert.deepEqual([r.pathway.done, r.pathway.total], [2, 6]);
    assert.deepEqual(r.pathway.items.filter((i) => i.state === 'done').map((i) => i.title).sort(),
      ['Recording and record keeping', 'Safe working practices']);
    // My training computes the same
    const t = (await learner.client.get('/api/me/training')).body.required;
    assert.deepEqual(t, r.required);
  });

  test('after feedback on the course, its entries say so', async () => {
    const before_ = (await learner.client.get('/api/me/record')).body.entries;
    assert.ok(before_.every((e) => e.feedback_given === false));
    const f = await learner.client.post('/api/feedback', { session_id: session.id, usefulness: 5,
      confidence_before: 2, confidence_after: 4, comments: 'Useful.' });
    assert.equal(f.status, 201, f.text);
    const after_ = (await learner.client.get('/api/me/record')).body.entries;
    assert.deepEqual(after_.map((e) => [e.kind, e.feedback_given]),
      [['evidence', false], ['face_to_face', true], ['face_to_face', true], ['elearning', false]]);
  });

  test('imported e-learning evidence titled as the package counts for the e-learning item', async () => {
    const other = await hollowLearner('Volunteer');
    const ev = await officerHollow.post(`/api/officer/learners/${other.user.id}/evidence`,
      { title: 'cairn.basic-awareness', kind: 'elearning', hours: 3, completed_on: '2025-01-10' });
    assert.equal(ev.status, 201, ev.text);
    const r = (await other.client.get('/api/me/record')).body;
    const ba = r.required.find((i) => i.id === 'basic-awareness');
    assert.equal(ba.state, 'done');
    assert.equal(ba.completed_at, '2025-01-10');
    assert.equal(ba.expires, '2028-01-10');
    assert.equal(r.pathway, null, 'a volunteer has no sample pathway');
    assert.equal(r.entries[0].expires, '2028-01-10');
  });

  test('officers of the borough and admins see the same record; others get 404; learners 403', async () => {
    const own = (await learner.client.get('/api/me/record')).body;
    const byOfficer = await officerHollow.get(`/api/officer/learners/${learner.user.id}/record`);
    assert.equal(byOfficer.status, 200, byOfficer.text);
    // the same record, and for officers the borough's report columns
    const { report_columns: columns, ...rest } = byOfficer.body;
    assert.deepEqual(rest, own);
    assert.equal(own.report_columns, undefined, 'the learner does not get report columns');
    assert.deepEqual(columns, HOLLOW_COLUMNS);
    const byAdmin = await admin.get(`/api/officer/learners/${learner.user.id}/record`);
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.deepEqual(byAdmin.body.entries, own.entries);
    assert.deepEqual(byAdmin.body.report_columns, HOLLOW_COLUMNS);

    const evId = own.entries[0].evidence.id;
    for (const [method, path, json] of [
      ['GET', `/api/officer/learners/${learner.user.id}/record`],
      ['POST', `/api/officer/learners/${learner.user.id}/evidence`, { ...EVIDENCE, completed_on: '2024-06-01' }],
      ['DELETE', `/api/officer/evidence/${evId}`],
    ]) {
      const other = await officerLeics.request(method, path, json ? { json } : {});
      assert.equal(other.status, 404, `${method} ${path}: ${other.text}`);
      const self = await learner.client.request(method, path, json ? { json } : {});
      assert.equal(self.status, 403, `${method} ${path}: ${self.text}`);
    }
    // no such learner: the same answer as another borough's
    const none = await officerHollow.get('/api/officer/learners/999999/record');
    assert.equal(none.status, 404);
    assert.equal(none.body.error.replace(/\d+/, 'N'),
      (await officerLeics.get(`/api/officer/learners/${learner.user.id}/record`)).body.error.replace(/\d+/, 'N'));
    const still = (await learner.client.get('/api/me/record')).body;
    assert.equal(still.entries.length, own.entries.length, 'nothing was added or deleted');
  });
});

// hollowfield's report_columns for a "Sports coach" (plugins/hollowfield:
// the Sports Instructor pathway, Competence Matters group A)
const HOLLOW_COLUMNS = [
  { key: 'group', label: 'Competence Matters group', value: 'A' },
  { key: 'pathway', label: 'Sample pathway', value: 'Sports Instructor' },
];

describe('report columns in the officer\'s view', () => {
  test('each borough\'s plugin gives its own columns, values as text', async () => {
    // Leicestershire and Rutland's plugin: a number (the training group) shown as text
    const leics = list.find((x) => x.name.startsWith('Leicestershire'));
    const cases = [
      ['Children\'s social worker', [
        { key: 'training_group', label: 'Training group', value: '4' },
        { key: 'who_trains', label: 'Who trains', value: 'Own organisation and multi-agency' }]],
      ['Library volunteer', [
        { key: 'training_group', label: 'Training group', value: '1' },
        { key: 'who_trains', label: 'Who trains', value: 'Own organisation' }]],
    ];
    for (const [jobRole, expected] of cases) {
      const reg = await new Client(srv.url).register({
        name: 'Col Umns', email: uniqueEmail('columns'), password: 'a long enough password',
        borough_id: leics.id, organisation_id: leics.organisations[0].id, job_role: jobRole,
      });
      assert.equal(reg.status, 201, reg.text);
      const r = await officerLeics.get(`/api/officer/learners/${reg.body.user.id}/record`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.report_columns, expected, jobRole);
    }
    // hollowfield's: a role without a pathway has an empty one
    const h = await hollowLearner('Receptionist');
    const r = await officerHollow.get(`/api/officer/learners/${h.user.id}/record`);
    assert.deepEqual(r.body.report_columns, [
      { key: 'group', label: 'Competence Matters group', value: 'A' },
      { key: 'pathway', label: 'Sample pathway', value: '' },
    ]);
  });
});

describe('evidence', () => {
  let learner;

  before(async () => {
    learner = await hollowLearner('Volunteer');
  });

  test('every field is checked: 422 naming the field', async () => {
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    const base = { title: 'Regional safeguarding conference', hours: 5, completed_on: '2025-03-20' };
    for (const [field, over] of [
      ['title', { title: undefined }], ['title', { title: '   ' }], ['title', { title: 'x'.repeat(201) }],
      ['kind', { kind: 'conference' }], ['provider', { provider: 7 }],
      ['group', { group: 'D' }], ['level', { level: 3 }], ['level', { level: '1' }],
      ['hours', { hours: undefined }], ['hours', { hours: 100.5 }], ['hours', { hours: -1 }], ['hours', { hours: '5' }],
      ['completed_on', { completed_on: undefined }], ['completed_on', { completed_on: tomorrow }],
      ['completed_on', { completed_on: '1989-12-31' }], ['completed_on', { completed_on: '2024-02-30' }],
      ['completed_on', { completed_on: '20/03/2025' }], ['completed_on', { completed_on: '2025-03-20T10:00:00Z' }],
      ['completed_on', { completed_on: '2025-+3-20' }], ['completed_on', { completed_on: 20250320 }],
      ['note', { note: 'n'.repeat(1001) }],
    ]) {
      const r = await officerHollow.post(`/api/officer/learners/${learner.user.id}/evidence`, { ...base, ...over });
      assert.equal(r.status, 422, `${JSON.stringify(over).slice(0, 80)}: ${r.text}`);
      assert.equal(r.body.field, field, r.text);
    }
    const ok = await officerHollow.post(`/api/officer/learners/${learner.user.id}/evidence`,
      { ...base, note: 'n'.repeat(1000), completed_on: today(), hours: 100 });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.evidence.kind, 'external', 'the default kind');
    assert.equal(ok.body.evidence.group, null);
  });

  test('the same evidence twice is 409; deleting it works once', async () => {
    const body = { title: 'Designated lead network meeting', hours: 2.25, completed_on: '2025-06-12',
      provider: 'Hollowfield Safeguarding Children Partnership' };
    const first = await officerHollow.post(`/api/officer/learners/${learner.user.id}/evidence`, body);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.evidence.hours, 2.25);
    const again = await officerHollow.post(`/api/officer/learners/${learner.user.id}/evidence`, body);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.code, 'duplicate');
    // another day is another piece of evidence
    const other = await officerHollow.post(`/api/officer/learners/${learner.user.id}/evidence`,
      { ...body, completed_on: '2025-06-13' });
    assert.equal(other.status, 201, other.text);

    const id = first.body.evidence.id;
    let rec = (await learner.client.get('/api/me/record')).body.entries;
    assert.ok(rec.some((e) => e.evidence?.id === id));
    const del = await officerHollow.request('DELETE', `/api/officer/evidence/${id}`);
    assert.equal(del.status, 204, del.text);
    rec = (await learner.client.get('/api/me/record')).body.entries;
    assert.ok(!rec.some((e) => e.evidence?.id === id));
    assert.ok(rec.some((e) => e.evidence?.id === other.body.evidence.id));
    const twice = await officerHollow.request('DELETE', `/api/officer/evidence/${id}`);
    assert.equal(twice.status, 404, twice.text);
  });

  test('an officer cannot enter or delete evidence on their own record; an admin can', async () => {
    const me = officerHollow.user.id;
    const body = { title: 'Designated lead refresher', hours: 6, completed_on: '2025-01-15' };
    const self = await officerHollow.post(`/api/officer/learners/${me}/evidence`, body);
    assert.equal(self.status, 403, self.text);
    const byAdmin = await admin.post(`/api/officer/learners/${me}/evidence`, body);
    assert.equal(byAdmin.status, 201, byAdmin.text);
    const id = byAdmin.body.evidence.id;
    const del = await officerHollow.request('DELETE', `/api/officer/evidence/${id}`);
    assert.equal(del.status, 403, del.text);
    const rec = (await officerHollow.get(`/api/officer/learners/${me}/record`)).body.entries;
    assert.ok(rec.some((e) => e.evidence?.id === id), 'still there');
    const adminDel = await admin.request('DELETE', `/api/officer/evidence/${id}`);
    assert.equal(adminDel.status, 204, adminDel.text);
  });
});

describe('certificates', () => {
  let learner, stranger, session, code, moduleCode;

  before(async () => {
    learner = await hollowLearner();
    stranger = await hollowLearner();
    await completeBasicAwareness(learner.client);
    session = await pastSession(officerHollow, 'Recording and record keeping', [learner], { n: 1 });
    const m = await mark(officerHollow, session, session.dates[0], learner.user);
    assert.equal(m.status, 200, m.text);
    const rec = (await learner.client.get('/api/me/record')).body.entries;
    code = rec.find((e) => e.kind === 'face_to_face').certificate.code;
    moduleCode = rec.find((e) => e.kind === 'elearning').certificate.code;
  });

  test('the owner and their borough\'s officers see it; another learner or borough does not', async () => {
    const r = await learner.client.get(`/api/certificates/${code}`);
    assert.equal(r.status, 200, r.text);
    const c = r.body.certificate;
    assert.equal(c.code, code);
    assert.equal(c.title, 'Recording and record keeping');
    assert.equal(c.learner.name, 'Robin Record');
    assert.equal(c.borough.name, 'Hollowfield (London)');
    assert.equal(c.record.hours, 6);
    assert.equal(c.record.group, 'A');
    assert.equal(c.record.completed_at, session.dates[0].ends_at);
    assert.equal(c.state, 'valid');
    assert.equal(c.verify_path, `/verify/${code}`);
    assert.match(c.certificate_wording, /Hollowfield Safeguarding Children Partnership/);

    const mod = (await learner.client.get(`/api/certificates/${moduleCode}`)).body.certificate;
    assert.equal(mod.title, BA_TITLE);
    assert.equal(mod.expires, addYears(mod.record.completed_at, 3));

    // typed by hand: lower case, no hyphens
    const typed = await learner.client.get(`/api/certificates/${code.replace(/-/g, '').toLowerCase()}`);
    assert.equal(typed.status, 200, typed.text);
    assert.equal((await officerHollow.get(`/api/certificates/${code}`)).status, 200);
    assert.equal((await admin.get(`/api/certificates/${code}`)).status, 200);
    assert.equal((await stranger.client.get(`/api/certificates/${code}`)).status, 404);
    assert.equal((await officerLeics.get(`/api/certificates/${code}`)).status, 404);
    assert.equal((await new Client(srv.url).get(`/api/certificates/${code}`)).status, 401);
  });

  test('the certificate page is served', async () => {
    const page = await learner.client.get(`/certificate.html?code=${code}`);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /text\/html/);
    assert.match(page.text, /certificate\.js/);
  });

  test('anyone can check a code: genuine and in date, with no more than the certificate shows', async () => {
    const anon = new Client(srv.url);
    const page = await anon.get(`/verify/${code}`);
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /text\/html/);
    const r = await anon.get(`/api/verify/${code}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.genuine, true);
    assert.equal(r.body.state, 'valid');
    assert.deepEqual(Object.keys(r.body.certificate).sort(),
      ['borough', 'code', 'completed_at', 'expires', 'issued_at', 'name', 'revoked_at', 'title']);
    assert.equal(r.body.certificate.name, 'Robin Record');
    assert.equal(r.body.certificate.borough, 'Hollowfield (London)');
    assert.ok(!r.text.includes('@'), 'no email address');
  });

  test('an unknown code: a 404 page and a 404 answer', async () => {
    const anon = new Client(srv.url);
    for (const bad of ['ABCD-EFGH-JKMN', 'not-a-code', 'ABCD-EFGH-JKM0']) {
      const page = await anon.get(`/verify/${bad}`);
      assert.equal(page.status, 404, bad);
      assert.match(page.headers['content-type'], /text\/html/);
      assert.match(page.text, /not found/i);
      const r = await anon.get(`/api/verify/${bad}`);
      assert.equal(r.status, 404, r.text);
      assert.equal(r.body.code, 'not_found');
    }
  });

  test('re-marking the date as a no-show revokes it; attended again restores it', async () => {
    let m = await mark(officerHollow, session, session.dates[0], learner.user, 'no_show');
    assert.equal(m.status, 200, m.text);
    let r = await new Client(srv.url).get(`/api/verify/${code}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'revoked');
    assert.match(r.body.certificate.revoked_at, /^\d{4}-\d{2}-\d{2}T/);
    const rec = (await learner.client.get('/api/me/record')).body;
    assert.equal(rec.entries.find((e) => e.kind === 'face_to_face').certificate, null);
    assert.equal(rec.required.find((i) => i.title === 'Recording and record keeping').state, 'due');
    m = await mark(officerHollow, session, session.dates[0], learner.user);
    assert.equal(m.status, 200, m.text);
    r = await new Client(srv.url).get(`/api/verify/${code}`);
    assert.equal(r.body.state, 'valid');
    assert.equal(r.body.certificate.revoked_at, null);
  });

  test('a certificate past the borough\'s expiry says expired', async () => {
    // Leicestershire and Rutland: every record expires after three years.
    const l = await newLearner(srv.url, 'Leicestershire', { name: 'Lee Older' });
    const s = await pastSession(officerLeics, 'Recording and record keeping', [l], { daysAgo: 1200, n: 1 });
    const m = await mark(officerLeics, s, s.dates[0], l.user);
    assert.equal(m.status, 200, m.text);
    const entry = (await l.client.get('/api/me/record')).body.entries[0];
    assert.equal(entry.expires, addYears(s.dates[0].starts_at, 3));
    const r = await new Client(srv.url).get(`/api/verify/${entry.certificate.code}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'expired');
    assert.equal(r.body.certificate.expires, addYears(s.dates[0].ends_at, 3));
    assert.ok(r.body.certificate.expires < today());
  });
});
