// Participant feedback (docs/API.md "Feedback"): who is asked and when, the
// rules on giving it, and the officers' summaries per course, session,
// trainer and module, with means worked out by hand on a small fixture.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { GOLF12, cmi12, commit, launch, training } from '../lib/scorm.mjs';

const DAY = 24 * 3600 * 1000;

/** ISO UTC, whole seconds, days from now at a given hour. */
function at(daysFromNow, hour = 9, minute = 30) {
  const d = new Date(Date.now() + daysFromNow * DAY);
  d.setUTCHours(hour, minute, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function dates(daysFromNow) {
  return [{ starts_at: at(daysFromNow, 9, 30), ends_at: at(daysFromNow, 15, 30) }];
}

let srv, officerLeics, officerHollow, admin;
let courseA, courseB;           // Recording and record keeping; Domestic violence...
let s1, s2, s3;                 // sessions (see the fixture below)
let L;                          // five Leicestershire learners
let hollowLearner;
let golfId;

async function courseByTitle(title) {
  const r = await officerLeics.get('/api/courses');
  assert.equal(r.status, 200, r.text);
  const c = r.body.courses.find((x) => x.title === title);
  assert.ok(c, `no course ${title}`);
  return c;
}

async function session(course, trainer) {
  const r = await officerLeics.post(`/api/courses/${course.id}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
    trainer, capacity: 10, dates: dates(10),
  });
  assert.equal(r.status, 201, r.text);
  return r.body.session;
}

async function book(learner, s) {
  const r = await learner.client.post(`/api/sessions/${s.id}/book`, {});
  assert.equal(r.status, 201, r.text);
}

/** Moves a session into the past so attendance can be marked. */
async function intoThePast(s) {
  const r = await officerLeics.request('PUT', `/api/sessions/${s.id}`,
    { json: { dates: dates(-3), booking_deadline: at(-4) } });
  assert.equal(r.status, 200, r.text);
  return r.body.session;
}

async function mark(s, learner, status, minutes) {
  const r = await officerLeics.post(`/api/sessions/${s.id}/attendance`, {
    date_id: s.dates[0].id, user_id: learner.user.id, status, ...(minutes ? { minutes } : {}),
  });
  assert.equal(r.status, 200, r.text);
}

function give(learner, body) {
  return learner.client.post('/api/feedback', body);
}

async function mustGive(learner, body) {
  const r = await give(learner, body);
  assert.equal(r.status, 201, r.text);
  return r.body.feedback;
}

async function mine(learner) {
  const r = await learner.client.get('/api/me/feedback');
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function summary(officer, query) {
  const r = await officer.get(`/api/officer/feedback?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

/** The figures of a group, for one deepEqual. */
function figures(g) {
  return {
    responses: g.responses, rate: g.response_rate, few: g.few_responses,
    usefulness: g.usefulness.mean, distribution: g.usefulness.distribution,
    before: g.confidence_before, after: g.confidence_after, change: g.confidence_change,
    comments: g.comments,
  };
}

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  const a = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(a.email, a.password);
  const b = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(b.email, b.password);
  const c = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(c.email, c.password);
  courseA = await courseByTitle('Recording and record keeping');
  courseB = await courseByTitle('Domestic violence as a serious child protection issue');
  L = [];
  for (let i = 0; i < 5; i++)
    L.push(await newLearner(srv.url, 'Leicestershire'));
  hollowLearner = await newLearner(srv.url, 'Hollowfield');
  golfId = (await training(L[0].client, GOLF12)).package_id;

  // The fixture:
  //   s1 course A, trainer "Jo Mills": L0, L1 attended, L2 partly, L3 no-show
  //   s2 course A, trainer "Sam Reid": L0, L4 attended
  //   s3 course B, trainer "jo mills" (the same trainer, written otherwise): L1 attended
  s1 = await session(courseA, 'Jo Mills');
  s2 = await session(courseA, 'Sam Reid');
  s3 = await session(courseB, 'jo mills');
  for (const l of [L[0], L[1], L[2], L[3]])
    await book(l, s1);
  for (const l of [L[0], L[4]])
    await book(l, s2);
  await book(L[1], s3);
});

after(async () => {
  await srv?.stop();
});

describe('being asked', () => {
  test('before attendance is marked, nobody is asked and giving feedback is refused', async () => {
    const m = await mine(L[0]);
    assert.deepEqual(m, { awaiting: [], given: [] });
    const r = await give(L[0], { session_id: s1.id, usefulness: 4, confidence_before: 2, confidence_after: 4 });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'not_attended');
  });

  test('after attendance: attended and partly attended are asked, with the aims; a no-show is not', async () => {
    s1 = await intoThePast(s1);
    s2 = await intoThePast(s2);
    s3 = await intoThePast(s3);
    await mark(s1, L[0], 'attended');
    await mark(s1, L[1], 'attended');
    await mark(s1, L[2], 'partly_attended', 120);
    await mark(s1, L[3], 'no_show');
    await mark(s2, L[0], 'attended');
    await mark(s2, L[4], 'attended');
    await mark(s3, L[1], 'attended');

    const m0 = await mine(L[0]);
    assert.deepEqual(m0.awaiting.map((x) => [x.kind, x.session_id]).sort(),
      [['session', s1.id], ['session', s2.id]].sort());
    const item = m0.awaiting.find((x) => x.session_id === s1.id);
    assert.equal(item.title, courseA.title);
    assert.equal(item.aims, courseA.aims);
    assert.ok(item.aims.length > 20);
    assert.equal(item.trainer, 'Jo Mills');
    assert.equal(item.starts_at, s1.dates[0].starts_at);
    assert.equal(item.ends_at, s1.dates[0].ends_at);
    assert.equal(item.status, 'attended');

    const m2 = await mine(L[2]);
    assert.deepEqual(m2.awaiting.map((x) => [x.session_id, x.status]), [[s1.id, 'partly_attended']]);

    const m3 = await mine(L[3]);
    assert.deepEqual(m3.awaiting, []);
    const r = await give(L[3], { session_id: s1.id, usefulness: 1, confidence_before: 1, confidence_after: 1 });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'not_attended');
    // a learner of the session's course who was never on it
    const r2 = await give(L[4], { session_id: s1.id, usefulness: 1, confidence_before: 1, confidence_after: 1 });
    assert.equal(r2.status, 403, r2.text);
  });

  test('a module is asked about once it is completed, not before', async () => {
    const before_ = await give(L[0], { package_id: golfId, usefulness: 4, confidence_before: 3, confidence_after: 4 });
    assert.equal(before_.status, 403, before_.text);
    assert.equal(before_.body.code, 'not_completed');
    assert.ok(!(await mine(L[0])).awaiting.some((x) => x.kind === 'module'));

    const b = await launch(L[0].client, golfId);
    const c = await commit(L[0].client, b.sco, cmi12({ status: 'completed', session: '00:05:00' }), { final: true });
    assert.equal(c.status, 200, c.text);
    assert.equal((await training(L[0].client, GOLF12)).state, 'completed');

    const mod = (await mine(L[0])).awaiting.find((x) => x.kind === 'module');
    assert.ok(mod, 'the completed module is asked about');
    assert.equal(mod.package_id, golfId);
    assert.equal(mod.title, GOLF12.title);
    assert.equal(mod.status, 'completed');
  });
});

describe('giving feedback', () => {
  test('bad values are 422, naming every field at fault', async () => {
    const base = { session_id: s1.id, usefulness: 4, confidence_before: 2, confidence_after: 4 };
    const cases = [
      ['usefulness', { usefulness: 0 }],
      ['usefulness', { usefulness: 6 }],
      ['usefulness', { usefulness: '4' }],
      ['usefulness', { usefulness: 3.5 }],
      ['usefulness', { usefulness: undefined }],
      ['confidence_before', { confidence_before: 0 }],
      ['confidence_before', { confidence_before: null }],
      ['confidence_after', { confidence_after: 9 }],
      ['comments', { comments: 42 }],
      ['comments', { comments: 'x'.repeat(2001) }],
      ['comments', { comments: 'é'.repeat(2001) }],
      ['session_id', { session_id: 'one' }],
      ['session_id', { session_id: -3 }],
      ['session_id', { session_id: undefined }],
      ['session_id', { package_id: golfId }],
      ['package_id', { session_id: undefined, package_id: 'golf' }],
    ];
    for (const [field, change] of cases) {
      const r = await give(L[0], { ...base, ...change });
      assert.equal(r.status, 422, `${JSON.stringify(change)}: ${r.text}`);
      assert.equal(r.body.code, 'invalid');
      assert.equal(r.body.field, field, JSON.stringify(change));
      assert.ok(r.body.error.length > 5);
    }
    const all = await give(L[0], { session_id: s1.id, usefulness: 0, confidence_before: 6,
      confidence_after: 'a', comments: 5 });
    assert.equal(all.status, 422, all.text);
    assert.deepEqual(all.body.errors.map((e) => e.field),
      ['usefulness', 'confidence_before', 'confidence_after', 'comments']);
    // nothing was stored by any of them
    assert.deepEqual((await mine(L[0])).given, []);
  });

  test('an unknown session or module is 404', async () => {
    let r = await give(L[0], { session_id: 999999, usefulness: 4, confidence_before: 2, confidence_after: 4 });
    assert.equal(r.status, 404, r.text);
    r = await give(L[0], { package_id: 999999, usefulness: 4, confidence_before: 2, confidence_after: 4 });
    assert.equal(r.status, 404, r.text);
  });

  test('the fixture\'s feedback is stored once; a second go is 409', async () => {
    const f = await mustGive(L[0], { session_id: s1.id, usefulness: 5, confidence_before: 2,
      confidence_after: 4, comments: 'Clear and practical.' });
    assert.equal(f.kind, 'session');
    assert.equal(f.session_id, s1.id);
    assert.equal(f.title, courseA.title);
    assert.deepEqual([f.usefulness, f.confidence_before, f.confidence_after, f.comments],
      [5, 2, 4, 'Clear and practical.']);
    assert.match(f.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const again = await give(L[0], { session_id: s1.id, usefulness: 1, confidence_before: 1, confidence_after: 1 });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.code, 'already_given');

    await mustGive(L[1], { session_id: s1.id, usefulness: 4, confidence_before: 3, confidence_after: 4 });
    await mustGive(L[2], { session_id: s1.id, usefulness: 2, confidence_before: 1, confidence_after: 3,
      comments: 'Too fast.' });
    await mustGive(L[0], { session_id: s2.id, usefulness: 3, confidence_before: 3, confidence_after: 3,
      comments: '' });
    await mustGive(L[1], { session_id: s3.id, usefulness: 5, confidence_before: 2, confidence_after: 5,
      comments: 'Great trainer.' });
    // 2000 characters is the limit, whatever their size in bytes
    const long = 'é'.repeat(2000);
    const m = await mustGive(L[0], { package_id: golfId, usefulness: 4, confidence_before: 3,
      confidence_after: 5, comments: long });
    assert.equal(m.kind, 'module');
    assert.equal(m.package_id, golfId);
    assert.equal(m.comments, long);
    const twice = await give(L[0], { package_id: golfId, usefulness: 4, confidence_before: 3, confidence_after: 5 });
    assert.equal(twice.status, 409, twice.text);

    const m0 = await mine(L[0]);
    assert.deepEqual(m0.awaiting, []);
    assert.deepEqual(m0.given.map((g) => g.session_id ?? `p${g.package_id}`).sort(),
      [s1.id, s2.id, `p${golfId}`].sort());
    // L4 attended s2 and has not answered: still asked
    assert.deepEqual((await mine(L[4])).awaiting.map((x) => x.session_id), [s2.id]);
  });
});

describe('summaries for officers', () => {
  test('by session: counts, response rate, means, distribution and comments', async () => {
    const out = await summary(officerLeics, 'by=session');
    assert.equal(out.by, 'session');
    const g = (s) => out.groups.find((x) => x.session.id === s.id);
    const g1 = g(s1);
    assert.equal(g1.course.title, courseA.title);
    assert.equal(g1.session.trainer, 'Jo Mills');
    assert.equal(g1.session.starts_at, s1.dates[0].starts_at);
    // attended: L0, L1 and L2 (partly); the no-show is not counted
    assert.equal(g1.attended, 3);
    // usefulness 5, 4, 2; before 2, 3, 1; after 4, 4, 3
    assert.deepEqual(figures(g1), {
      responses: 3, rate: 1, few: false, usefulness: 3.67, distribution: [0, 1, 0, 1, 1],
      before: 2, after: 3.67, change: 1.67, comments: ['Clear and practical.', 'Too fast.'],
    });
    assert.equal(g(s2).attended, 2);
    assert.deepEqual(figures(g(s2)), {
      responses: 1, rate: 0.5, few: true, usefulness: 3, distribution: [0, 0, 1, 0, 0],
      before: 3, after: 3, change: 0, comments: [],
    });
    assert.deepEqual(figures(g(s3)), {
      responses: 1, rate: 1, few: true, usefulness: 5, distribution: [0, 0, 0, 0, 1],
      before: 2, after: 5, change: 3, comments: ['Great trainer.'],
    });
    // comments come without anyone's name or id
    const text = JSON.stringify(out);
    for (const l of L) {
      assert.ok(!text.includes(l.email), 'no learner email');
      assert.ok(!text.includes(l.user.name), 'no learner name');
      assert.ok(!text.includes(`"user_id"`), 'no user ids');
    }
    // narrowed to one session
    const one = await summary(officerLeics, `by=session&session_id=${s2.id}`);
    assert.deepEqual(one.groups.map((x) => x.session.id), [s2.id]);
  });

  test('by course: sessions of the course together', async () => {
    const out = await summary(officerLeics, 'by=course');
    const a = out.groups.find((x) => x.course.id === courseA.id);
    assert.equal(a.sessions, 2);
    assert.equal(a.attended, 5);
    // usefulness 5, 4, 2, 3; before 2, 3, 1, 3; after 4, 4, 3, 3
    assert.deepEqual(figures(a), {
      responses: 4, rate: 0.8, few: false, usefulness: 3.5, distribution: [0, 1, 1, 1, 1],
      before: 2.25, after: 3.5, change: 1.25, comments: ['Clear and practical.', 'Too fast.'],
    });
    const b = out.groups.find((x) => x.course.id === courseB.id);
    assert.equal(b.sessions, 1);
    assert.equal(b.attended, 1);
    assert.equal(b.usefulness.mean, 5);
    const narrowed = await summary(officerLeics, `by=course&course_id=${courseB.id}`);
    assert.deepEqual(narrowed.groups.map((x) => x.course.id), [courseB.id]);
  });

  test('by trainer: one trainer however the name was typed', async () => {
    const out = await summary(officerLeics, 'by=trainer');
    const jo = out.groups.filter((x) => x.trainer.toLowerCase() === 'jo mills');
    assert.equal(jo.length, 1, JSON.stringify(out.groups.map((x) => x.trainer)));
    assert.equal(jo[0].trainer, 'Jo Mills');
    assert.equal(jo[0].sessions, 2);
    assert.equal(jo[0].courses, 2);
    assert.equal(jo[0].attended, 4);
    // s1 and s3: usefulness 5, 4, 2, 5; before 2, 3, 1, 2; after 4, 4, 3, 5
    assert.deepEqual(figures(jo[0]), {
      responses: 4, rate: 1, few: false, usefulness: 4, distribution: [0, 1, 0, 1, 2],
      before: 2, after: 4, change: 2, comments: ['Clear and practical.', 'Too fast.', 'Great trainer.'],
    });
    const sam = out.groups.find((x) => x.trainer === 'Sam Reid');
    assert.equal(sam.attended, 2);
    assert.equal(sam.responses, 1);
  });

  test('by module: the borough\'s own learners\' feedback', async () => {
    const out = await summary(officerLeics, 'by=module');
    const g = out.groups.find((x) => x.package.id === golfId);
    assert.equal(g.package.title, GOLF12.title);
    assert.equal(g.completed, 1);
    assert.deepEqual(figures(g), {
      responses: 1, rate: 1, few: true, usefulness: 4, distribution: [0, 0, 0, 1, 0],
      before: 3, after: 5, change: 2, comments: ['é'.repeat(2000)],
    });
    const hollow = await summary(officerHollow, 'by=module');
    assert.ok(!hollow.groups.some((x) => x.package.id === golfId), JSON.stringify(hollow));
    const all = await summary(admin, 'by=module');
    assert.equal(all.groups.find((x) => x.package.id === golfId).responses, 1);
  });

  test('scope: another borough\'s officer does not see the sessions; admins see all', async () => {
    for (const by of ['session', 'course', 'trainer']) {
      const out = await summary(officerHollow, `by=${by}`);
      assert.deepEqual(out.groups, [], `${by}: ${JSON.stringify(out.groups)}`);
    }
    const r = await officerHollow.get(`/api/officer/feedback?by=session&session_id=${s1.id}`);
    assert.equal(r.status, 403, r.text);
    const adm = await summary(admin, 'by=session');
    assert.equal(adm.groups.find((x) => x.session.id === s1.id).responses, 3);
  });

  test('learners get 403; bad queries 422; unknown things 404', async () => {
    const r = await L[0].client.get('/api/officer/feedback?by=course');
    assert.equal(r.status, 403, r.text);
    const h = await hollowLearner.client.get('/api/officer/feedback');
    assert.equal(h.status, 403, h.text);
    for (const [q, field] of [['by=organisation', 'by'], ['by=session&session_id=abc', 'session_id'],
      ['course_id=0', 'course_id'], ['by=module&package_id=1x', 'package_id']]) {
      const bad = await officerLeics.get(`/api/officer/feedback?${q}`);
      assert.equal(bad.status, 422, `${q}: ${bad.text}`);
      assert.equal(bad.body.field, field);
    }
    for (const q of ['session_id=999999', 'course_id=999999', 'by=module&package_id=999999']) {
      const nf = await officerLeics.get(`/api/officer/feedback?${q}`);
      assert.equal(nf.status, 404, `${q}: ${nf.text}`);
    }
    // without "by": per course
    assert.equal((await summary(officerLeics, '')).by, 'course');
  });
});
