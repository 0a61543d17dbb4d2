// Face-to-face courses, sessions, bookings, the waitlist, attendance,
// iCalendar invitations and the one learner record (docs/API.md "Courses
// and bookings").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';

let srv, officerLeics, officerHollow, admin, leicsBorough;

const HOUR = 3600 * 1000, DAY = 24 * HOUR;

/** ISO UTC, whole seconds, days from now at a given hour. */
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

let courseId;

async function course(title = 'Recording and record keeping') {
  const r = await officerLeics.get('/api/courses');
  assert.equal(r.status, 200, r.text);
  const c = r.body.courses.find((x) => x.title === title);
  assert.ok(c, `no course ${title}`);
  return c;
}

/** Creates a session as officer (default the Leicestershire officer). */
async function session(fields = {}, officer = officerLeics, cid = courseId) {
  const r = await officer.post(`/api/courses/${cid}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
    access_notes: 'Step-free entrance; hearing loop', trainer: 'Jo Mills',
    capacity: 10, open_places: 0, cancel_notice_hours: 48, dates: dates(10), ...fields,
  });
  assert.equal(r.status, 201, r.text);
  return r.body.session;
}

async function learners(n, borough = 'Leicestershire') {
  const out = [];
  for (let i = 0; i < n; i++)
    out.push(await newLearner(srv.url, borough));
  return out;
}

function book(learner, sessionId, json) {
  return learner.client.post(`/api/sessions/${sessionId}/book`, json ?? {});
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(a.email, a.password);
  const b = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(b.email, b.password);
  const c = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(c.email, c.password);
  leicsBorough = officerLeics.user.borough_id ?? officerLeics.user.borough?.id;
  courseId = (await course()).id;
});

after(async () => {
  await srv?.stop();
});

describe('the course catalogue', () => {
  test('is seeded from the framework: group, CORE or SPECIALIST, level, hours, aims', async () => {
    const rec = await course('Recording and record keeping');
    assert.equal(rec.group, 'A');
    assert.equal(rec.category, 'CORE');
    assert.equal(rec.level, null);
    assert.equal(rec.duration_hours, 3);
    assert.ok(rec.aims.length > 20);
    const dv = await course('Domestic violence as a serious child protection issue');
    assert.equal(dv.level, 1);
    const neglect = await course('Focus on neglect');
    assert.equal(neglect.category, 'SPECIALIST');
    assert.equal(neglect.duration_hours, 12);
  });

  test('officers add courses; a duplicate is 409; bad fields are 422', async () => {
    const r = await officerLeics.post('/api/courses', {
      title: 'Safer recruitment in small organisations', group: 'B', category: 'SPECIALIST',
      level: 2, duration_hours: 6, aims: 'Recruit volunteers safely.',
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.course.level, 2);
    assert.equal(r.body.course.borough_id, leicsBorough);
    const again = await officerLeics.post('/api/courses', {
      title: 'Safer recruitment in small organisations', group: 'B', category: 'SPECIALIST',
      level: 2, duration_hours: 6,
    });
    assert.equal(again.status, 409, again.text);
    for (const [field, body] of [
      ['group', { title: 'X', group: 'D', category: 'CORE', duration_hours: 3 }],
      ['category', { title: 'X', group: 'A', category: 'core-ish', duration_hours: 3 }],
      ['level', { title: 'X', group: 'A', category: 'CORE', level: 3, duration_hours: 3 }],
      ['duration_hours', { title: 'X', group: 'A', category: 'CORE', duration_hours: 0 }],
      ['title', { group: 'A', category: 'CORE', duration_hours: 3 }],
    ]) {
      const bad = await officerLeics.post('/api/courses', body);
      assert.equal(bad.status, 422, bad.text);
      assert.equal(bad.body.field, field);
    }
    // another borough's officer does not see Leicestershire's own course
    const other = await officerHollow.get('/api/courses');
    assert.ok(!other.body.courses.some((c) => c.title === 'Safer recruitment in small organisations'));
    assert.ok(other.body.courses.some((c) => c.title === 'Recording and record keeping'));
  });

  test('learners cannot manage courses or sessions', async () => {
    const [l] = await learners(1);
    for (const [method, path] of [['GET', '/api/courses'], ['POST', '/api/courses'],
      ['POST', `/api/courses/${courseId}/sessions`], ['GET', '/api/officer/sessions'],
      ['PUT', '/api/sessions/1'], ['POST', '/api/sessions/1/cancel'],
      ['GET', '/api/sessions/1/bookings'], ['POST', '/api/sessions/1/attendance'],
      ['POST', '/api/bookings/1/decision']]) {
      const r = await l.client.request(method, path, method === 'GET' ? {} : { json: {} });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    }
  });
});

describe('sessions', () => {
  test('an officer schedules a session with dates, venue, places and rules', async () => {
    const s = await session({ dates: dates(12, 2), capacity: 12, open_places: 4,
      booking_deadline: at(11, 17, 0) });
    assert.equal(s.host_borough.id, leicsBorough);
    assert.equal(s.dates.length, 2);
    assert.equal(s.starts_at, s.dates[0].starts_at);
    assert.equal(s.ends_at, s.dates[1].ends_at);
    assert.equal(s.venue.access_notes, 'Step-free entrance; hearing loop');
    assert.equal(s.capacity, 12);
    assert.equal(s.open_places, 4);
    assert.equal(s.booking_deadline, at(11, 17, 0));
    assert.equal(s.status, 'scheduled');
    assert.equal(s.sequence, 0);
    const list = await officerLeics.get('/api/officer/sessions');
    assert.ok(list.body.sessions.some((x) => x.id === s.id));
    const hollowList = await officerHollow.get('/api/officer/sessions');
    assert.ok(!hollowList.body.sessions.some((x) => x.id === s.id));
  });

  test('bad session fields are refused with the field named', async () => {
    for (const [field, extra] of [
      ['capacity', { capacity: 0 }],
      ['open_places', { capacity: 5, open_places: 6 }],
      ['dates', { dates: [] }],
      ['dates', { dates: [{ starts_at: at(5, 10), ends_at: at(5, 9) }] }],
      ['dates', { dates: [{ starts_at: '2026-13-01T09:00:00Z', ends_at: '2026-13-01T10:00:00Z' }] }],
      ['booking_deadline', { booking_deadline: at(20) }],
      ['venue_name', { venue_name: '' }],
    ]) {
      const r = await officerLeics.post(`/api/courses/${courseId}/sessions`, {
        venue_name: 'Hall', venue_address: 'Street', capacity: 5, dates: dates(10), ...extra,
      });
      assert.equal(r.status, 422, `${JSON.stringify(extra)}: ${r.text}`);
      assert.equal(r.body.field, field);
    }
  });

  test('only the host borough\'s officer (or an admin) manages a session', async () => {
    const s = await session();
    const put = await officerHollow.request('PUT', `/api/sessions/${s.id}`, { json: { trainer: 'X' } });
    assert.equal(put.status, 403, put.text);
    const cancel = await officerHollow.post(`/api/sessions/${s.id}/cancel`, { reason: 'no' });
    assert.equal(cancel.status, 403, cancel.text);
    const list = await officerHollow.get(`/api/sessions/${s.id}/bookings`);
    assert.equal(list.status, 403, list.text);
    const byAdmin = await admin.request('PUT', `/api/sessions/${s.id}`, { json: { trainer: 'Ann Lee' } });
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.equal(byAdmin.body.session.trainer, 'Ann Lee');
    const missing = await officerLeics.request('PUT', '/api/sessions/999999', { json: {} });
    assert.equal(missing.status, 404, missing.text);
  });
});

describe('booking', () => {
  test('learners see their borough\'s sessions and others\' open places, with free places', async () => {
    const closed = await session({ capacity: 8, open_places: 0 });
    const open = await session({ capacity: 8, open_places: 2 });
    const [leics] = await learners(1);
    const [hollow] = await learners(1, 'Hollowfield');
    const mine = (await leics.client.get('/api/sessions')).body.sessions;
    assert.equal(mine.find((s) => s.id === closed.id).free_places, 8);
    assert.equal(mine.find((s) => s.id === open.id).free_places, 8);
    assert.equal(mine.find((s) => s.id === open.id).my_booking, null);
    const theirs = (await hollow.client.get('/api/sessions')).body.sessions;
    assert.ok(!theirs.some((s) => s.id === closed.id), 'a session with no open places is not listed');
    assert.equal(theirs.find((s) => s.id === open.id).free_places, 2);
    const r = await book(hollow, closed.id);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'not_open');
    assert.match(r.body.error, /Leicestershire/);
  });

  test('the borough\'s booking_eligibility hook can refuse, with its reason', async () => {
    // plugins/hollowfield: Group courses need basic awareness first
    const open = await session({ capacity: 8, open_places: 2 });
    const [hollow] = await learners(1, 'Hollowfield');
    const r = await book(hollow, open.id);
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'not_eligible');
    assert.match(r.body.error, /basic awareness/);
  });

  test('book, then twice is 409; the session counts the place', async () => {
    const s = await session({ capacity: 3 });
    const [l] = await learners(1);
    const r = await book(l, s.id);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.booking.status, 'booked');
    assert.equal(r.body.session.booked, 1);
    assert.equal(r.body.session.free_places, 2);
    const again = await book(l, s.id);
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.code, 'already_booked');
    const mine = (await l.client.get('/api/sessions')).body.sessions.find((x) => x.id === s.id);
    assert.equal(mine.my_booking.status, 'booked');
  });

  test('after the deadline, into a past session, into a cancelled one: refused', async () => {
    const [l] = await learners(1);
    const late = await session({ dates: dates(3), booking_deadline: at(-1) });
    let r = await book(l, late.id);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'deadline_passed');
    assert.match(r.body.error, /closed/);
    const past = await session({ dates: dates(-2) });
    r = await book(l, past.id);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'session_started');
    const gone = await session();
    const c = await officerLeics.post(`/api/sessions/${gone.id}/cancel`, { reason: 'Trainer unwell' });
    assert.equal(c.status, 200, c.text);
    r = await book(l, gone.id);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'session_cancelled');
    r = await book(l, 999999);
    assert.equal(r.status, 404, r.text);
  });

  test('full: 409 without the waitlist; with it, waitlisted in order', async () => {
    const s = await session({ capacity: 1 });
    const [a, b, c] = await learners(3);
    assert.equal((await book(a, s.id)).status, 201);
    const full = await book(b, s.id);
    assert.equal(full.status, 409, full.text);
    assert.equal(full.body.code, 'full');
    assert.match(full.body.error, /waitlist/);
    const wb = await book(b, s.id, { waitlist: true });
    assert.equal(wb.status, 201, wb.text);
    assert.equal(wb.body.booking.status, 'waitlisted');
    assert.equal(wb.body.booking.waitlist_position, 1);
    const wc = await book(c, s.id, { waitlist: true });
    assert.equal(wc.body.booking.waitlist_position, 2);
    const list = await officerLeics.get(`/api/sessions/${s.id}/bookings`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.bookings.map((x) => x.learner.email), [a.email]);
    assert.deepEqual(list.body.waitlist.map((x) => x.learner.email), [b.email, c.email]);
  });

  test('cancelling frees the place: the first on the waitlist is promoted', async () => {
    const s = await session({ capacity: 1, cancel_notice_hours: 0 });
    const [a, b, c] = await learners(3);
    const ba = await book(a, s.id);
    await book(b, s.id, { waitlist: true });
    await book(c, s.id, { waitlist: true });
    const noReason = await a.client.post(`/api/bookings/${ba.body.booking.id}/cancel`, {});
    assert.equal(noReason.status, 422, noReason.text);
    assert.equal(noReason.body.field, 'reason');
    const notMine = await b.client.post(`/api/bookings/${ba.body.booking.id}/cancel`, { reason: 'x' });
    assert.equal(notMine.status, 404, notMine.text);
    const r = await a.client.post(`/api/bookings/${ba.body.booking.id}/cancel`,
      { reason: 'Clashes with a case conference' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.booking.status, 'cancelled');
    assert.equal(r.body.booking.reason, 'Clashes with a case conference');
    assert.equal(r.body.late_cancellation, false);
    assert.equal(r.body.promoted, true);
    const twice = await a.client.post(`/api/bookings/${ba.body.booking.id}/cancel`, { reason: 'x' });
    assert.equal(twice.status, 409, twice.text);
    const list = (await officerLeics.get(`/api/sessions/${s.id}/bookings`)).body;
    assert.deepEqual(list.bookings.map((x) => [x.learner.email, x.status]), [[b.email, 'promoted']]);
    assert.deepEqual(list.waitlist.map((x) => x.learner.email), [c.email]);
    assert.deepEqual(list.cancelled.map((x) => x.learner.email), [a.email]);
    const seen = (await b.client.get('/api/sessions')).body.sessions.find((x) => x.id === s.id);
    assert.equal(seen.my_booking.status, 'promoted');
    // a cancelled learner may book again (onto the waitlist now)
    const rebook = await book(a, s.id, { waitlist: true });
    assert.equal(rebook.status, 201, rebook.text);
    assert.equal(rebook.body.booking.status, 'waitlisted');
  });

  test('more places on the session go to the waitlist, in order; fewer promote nobody', async () => {
    const s = await session({ capacity: 1 });
    const [a, b, c, d] = await learners(4);
    assert.equal((await book(a, s.id)).body.booking.status, 'booked');
    for (const l of [b, c, d])
      assert.equal((await book(l, s.id, { waitlist: true })).body.booking.status, 'waitlisted');
    const put = (fields) => officerLeics.request('PUT', `/api/sessions/${s.id}`, { json: fields });
    // a change that frees no place promotes nobody
    let r = await put({ trainer: 'Sam Reid' });
    assert.equal(r.status, 200, r.text);
    let list = (await officerLeics.get(`/api/sessions/${s.id}/bookings`)).body;
    assert.deepEqual(list.waitlist.map((x) => x.learner.email), [b.email, c.email, d.email]);
    // two more places: the first two on the waitlist, the third stays first in line
    r = await put({ capacity: 3 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.session.booked, 3);
    list = (await officerLeics.get(`/api/sessions/${s.id}/bookings`)).body;
    assert.deepEqual(list.bookings.map((x) => [x.learner.email, x.status]),
      [[a.email, 'booked'], [b.email, 'promoted'], [c.email, 'promoted']]);
    // shown as their place in line now: first
    assert.deepEqual(list.waitlist.map((x) => [x.learner.email, x.waitlist_position]), [[d.email, 1]]);
    const dSees = (await d.client.get('/api/sessions')).body.sessions.find((x) => x.id === s.id);
    assert.equal(dSees.my_booking.waitlist_position, 1);
    const msgs = (await c.client.get('/api/me/messages')).body.messages;
    assert.ok(msgs.some((m) => m.kind === 'waitlist_promoted'), JSON.stringify(msgs.map((m) => m.kind)));
    // back down to 1: places already given stay given
    r = await put({ capacity: 1 });
    assert.equal(r.status, 200, r.text);
    list = (await officerLeics.get(`/api/sessions/${s.id}/bookings`)).body;
    assert.equal(list.bookings.length, 3);
  });

  test('a cancellation inside the notice period is flagged late', async () => {
    const s = await session({ dates: dates(2), cancel_notice_hours: 72 });
    const [a] = await learners(1);
    const b = await book(a, s.id);
    const r = await a.client.post(`/api/bookings/${b.body.booking.id}/cancel`, { reason: 'Ill' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.late_cancellation, true);
    assert.equal(r.body.booking.late_cancellation, true);
  });

  test('places open to other boroughs are a ceiling for them, not for the host', async () => {
    // The hollowfield plugin asks for basic awareness before Group courses,
    // so this uses Eastmere (no booking rule) as the visiting borough.
    const s = await session({ capacity: 3, open_places: 1 });
    const [e1, e2] = await learners(2, 'Eastmere');
    assert.equal((await book(e1, s.id)).status, 201);
    const r = await book(e2, s.id);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'full');
    const [l1, l2] = await learners(2);
    assert.equal((await book(l1, s.id)).status, 201);
    assert.equal((await book(l2, s.id)).status, 201);
  });
});

describe('two learners racing for the last place', () => {
  test('10 at once for 1 place without the waitlist: exactly one booked', async () => {
    const s = await session({ capacity: 1 });
    const ls = await learners(10);
    const rs = await Promise.all(ls.map((l) => book(l, s.id)));
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array(9).fill(409)], rs.map((r) => r.text).join('\n'));
    assert.ok(rs.filter((r) => r.status === 409).every((r) => r.body.code === 'full'));
    const list = (await officerLeics.get(`/api/sessions/${s.id}/bookings`)).body;
    assert.equal(list.bookings.length, 1);
  });

  test('10 at once for 1 place with the waitlist: one booked, nine waitlisted 1..9', async () => {
    const s = await session({ capacity: 1 });
    const ls = await learners(10);
    const rs = await Promise.all(ls.map((l) => book(l, s.id, { waitlist: true })));
    assert.ok(rs.every((r) => r.status === 201), rs.map((r) => r.text).join('\n'));
    const booked = rs.filter((r) => r.body.booking.status === 'booked');
    assert.equal(booked.length, 1);
    const positions = rs.filter((r) => r.body.booking.status === 'waitlisted')
      .map((r) => r.body.booking.waitlist_position).sort((x, y) => x - y);
    assert.deepEqual(positions, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

function unfold(text) {
  return text.replace(/\r\n /g, '');
}

describe('iCalendar invitations', () => {
  test('the longest aims, trainer and access notes all reach the invitation', async () => {
    const c = await officerLeics.post('/api/courses', { title: 'Long aims course', group: 'B',
      category: 'CORE', duration_hours: 3, aims: 'a'.repeat(4000) });
    assert.equal(c.status, 201, c.text);
    const access = 'Step-free ' + 'x'.repeat(1978) + ' END-OF-NOTE';
    assert.equal(access.length, 2000);
    const s = await session({ access_notes: access, trainer: 't'.repeat(200) }, officerLeics,
      c.body.course.id);
    const [l] = await learners(1);
    const b = await book(l, s.id);
    assert.equal(b.status, 201, b.text);
    const r = await l.client.get(`/api/bookings/${b.body.booking.id}/invite.ics`);
    assert.equal(r.status, 200, r.text);
    const text = unfold(r.text);
    assert.ok(text.includes('Access: Step-free '), text.slice(0, 300));
    assert.ok(text.includes(' END-OF-NOTE'), 'the access notes are not cut short');
  });

  test('REQUEST with a stable UID; SEQUENCE rises on change; CANCEL when cancelled', async () => {
    const s = await session({ dates: dates(14, 2), venue_name: 'Hall; East wing, Room 2',
      access_notes: 'Lift to the first floor, ' + 'ramp at the side door. '.repeat(6) });
    const [l, other] = await learners(2);
    const b = await book(l, s.id);
    const path = `/api/bookings/${b.body.booking.id}/invite.ics`;
    const r = await l.client.get(path);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /^text\/calendar; charset=utf-8; method=REQUEST/);
    assert.ok(r.text.endsWith('\r\n'));
    for (const line of r.text.split('\r\n'))
      assert.ok(Buffer.byteLength(line) <= 75, `line over 75 octets: ${line}`);
    assert.ok(!/[^\r]\n/.test(r.text), 'every line ends in CRLF');
    const text = unfold(r.text);
    assert.match(text, /\r\nMETHOD:REQUEST\r\n/);
    const uids = [...text.matchAll(/\r\nUID:(.+)\r\n/g)].map((m) => m[1]);
    assert.equal(uids.length, 2, 'one event per session date');
    assert.notEqual(uids[0], uids[1]);
    assert.match(text, /\r\nSEQUENCE:0\r\n/);
    const start = s.dates[0].starts_at.replace(/[-:]/g, '');
    assert.ok(text.includes(`\r\nDTSTART:${start}\r\n`), text);
    assert.match(text, /\r\nDTEND:\d{8}T\d{6}Z\r\n/);
    assert.ok(text.includes('LOCATION:Hall\\; East wing\\, Room 2\\, Glenfield\\, Leicester LE3 8RA'), text);
    assert.match(text, /SUMMARY:Recording and record keeping/);

    const notYours = await other.client.get(path);
    assert.equal(notYours.status, 404, notYours.text);

    const up = await officerLeics.request('PUT', `/api/sessions/${s.id}`,
      { json: { venue_name: 'Library, Room 1' } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.session.sequence, 1);
    const r2 = unfold((await l.client.get(path)).text);
    assert.match(r2, /\r\nSEQUENCE:1\r\n/);
    assert.match(r2, /LOCATION:Library\\, Room 1/);
    assert.deepEqual([...r2.matchAll(/\r\nUID:(.+)\r\n/g)].map((m) => m[1]), uids, 'UIDs stay');

    const c = await officerLeics.post(`/api/sessions/${s.id}/cancel`, { reason: 'Venue flooded' });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.session.status, 'cancelled');
    assert.equal(c.body.session.sequence, 2);
    const again = await officerLeics.post(`/api/sessions/${s.id}/cancel`, { reason: 'x' });
    assert.equal(again.status, 409, again.text);
    const r3 = await l.client.get(path);
    assert.match(r3.headers['content-type'], /method=CANCEL/);
    const t3 = unfold(r3.text);
    assert.match(t3, /\r\nMETHOD:CANCEL\r\n/);
    assert.match(t3, /\r\nSTATUS:CANCELLED\r\n/);
    assert.match(t3, /\r\nSEQUENCE:2\r\n/);
    assert.deepEqual([...t3.matchAll(/\r\nUID:(.+)\r\n/g)].map((m) => m[1]), uids);
    const noChange = await officerLeics.request('PUT', `/api/sessions/${s.id}`, { json: { trainer: 'Y' } });
    assert.equal(noChange.status, 409, noChange.text);
  });

  test('a learner who cancels gets a CANCEL; the waitlisted get no invitation yet', async () => {
    const s = await session({ capacity: 1 });
    const [a, b] = await learners(2);
    const ba = await book(a, s.id);
    const bb = await book(b, s.id, { waitlist: true });
    const w = await b.client.get(`/api/bookings/${bb.body.booking.id}/invite.ics`);
    assert.equal(w.status, 409, w.text);
    assert.equal(w.body.code, 'waitlisted');
    await a.client.post(`/api/bookings/${ba.body.booking.id}/cancel`, { reason: 'Leave' });
    const t = unfold((await a.client.get(`/api/bookings/${ba.body.booking.id}/invite.ics`)).text);
    assert.match(t, /\r\nMETHOD:CANCEL\r\n/);
    assert.match(t, /\r\nSEQUENCE:1\r\n/);
    const promoted = await b.client.get(`/api/bookings/${bb.body.booking.id}/invite.ics`);
    assert.equal(promoted.status, 200, promoted.text);
    assert.match(unfold(promoted.text), /\r\nMETHOD:REQUEST\r\n/);
  });
});

describe('attendance and the learner record', () => {
  test('officers mark attendance per date; it enters the record with hours; no-shows are flagged', async () => {
    const dv = await course('Domestic violence as a serious child protection issue');
    const s = await session({ dates: dates(5, 2), capacity: 5 }, officerLeics, dv.id);
    const [a, b, c, d] = await learners(4);
    for (const l of [a, b, c])
      assert.equal((await book(l, s.id)).status, 201);
    const early = await officerLeics.post(`/api/sessions/${s.id}/attendance`,
      { date_id: s.dates[0].id, user_id: a.user.id, status: 'attended' });
    assert.equal(early.status, 409, early.text);
    assert.equal(early.body.code, 'not_started');

    // the session is moved into the past (both dates over)
    const moved = await officerLeics.request('PUT', `/api/sessions/${s.id}`,
      { json: { dates: dates(-3, 2), booking_deadline: at(-4) } });
    assert.equal(moved.status, 200, moved.text);
    const [d1, d2] = moved.body.session.dates;
    const mark = (user, date, status, minutes) => officerLeics.post(`/api/sessions/${s.id}/attendance`,
      { date_id: date.id, user_id: user.user.id, status, ...(minutes ? { minutes } : {}) });

    let r = await mark(a, d1, 'attended');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.attendance.hours, 6);
    assert.equal(r.body.attendance.flagged, false);
    r = await mark(a, d2, 'partly_attended', 90);
    assert.equal(r.body.attendance.hours, 1.5);
    r = await mark(b, d1, 'no_show');
    assert.equal(r.body.attendance.flagged, true);
    assert.equal(r.body.attendance.hours, 0);
    r = await mark(c, d1, 'cancelled_late');
    assert.equal(r.body.attendance.flagged, true);
    // re-marking replaces
    r = await mark(c, d1, 'attended');
    assert.equal(r.body.attendance.flagged, false);

    r = await mark(d, d1, 'attended');
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'user_id');
    r = await mark(a, d1, 'partly_attended', 9999);
    assert.equal(r.status, 422, r.text);
    r = await mark(a, d1, 'partly_attended');
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'minutes');
    r = await mark(a, d1, 'present');
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'status');
    r = await mark(a, { id: 999999 }, 'attended');
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'date_id');
    const other = await officerHollow.post(`/api/sessions/${s.id}/attendance`,
      { date_id: d1.id, user_id: a.user.id, status: 'attended' });
    assert.equal(other.status, 403, other.text);

    const locked = await officerLeics.request('PUT', `/api/sessions/${s.id}`, { json: { trainer: 'Z' } });
    assert.equal(locked.status, 409, locked.text);
    assert.equal(locked.body.code, 'attendance_marked');

    const rec = await a.client.get('/api/me/record');
    assert.equal(rec.status, 200, rec.text);
    const entries = rec.body.entries.filter((e) => e.session_id === s.id);
    assert.equal(entries.length, 2);
    assert.deepEqual(entries.map((e) => [e.date, e.kind, e.title, e.group, e.level, e.hours, e.status]), [
      [d1.starts_at, 'face_to_face', dv.title, 'A', 1, 6, 'attended'],
      [d2.starts_at, 'face_to_face', dv.title, 'A', 1, 1.5, 'partly_attended'],
    ]);
    assert.ok(entries.every((e) => 'expires' in e));
    const dates_ = rec.body.entries.map((e) => e.date);
    assert.deepEqual(dates_, [...dates_].sort(), 'time-ordered');
    const recB = (await b.client.get('/api/me/record')).body.entries.find((e) => e.session_id === s.id);
    assert.equal(recB.status, 'no_show');
    assert.equal(recB.flagged, true);
    const empty = await d.client.get('/api/me/record');
    assert.deepEqual(empty.body.entries, []);
  });
});

describe('the borough\'s hooks: needs approval, a failing rule, observers, expiry', () => {
  let srv2, dir, officer2, admin2;
  const plugin = `local hooks = {}
function hooks.booking_eligibility(learner, session)
  if session.category == "SPECIALIST" then
    return cairn.needs_approval("Specialist courses need your training officer's agreement.")
  end
  if session.level == 2 then error("broken on purpose") end
  return cairn.allow()
end
function hooks.expiry(record)
  if record.kind == "course" then
    return { expires = cairn.date.add(record.completed_at:sub(1, 10), { years = 3 }) }
  end
  return nil
end
-- keeps every booking event, in order, for the test to read from plugin_kv
function hooks.on_booking_change(event, learner)
  local n = (cairn.storage.get("n") or 0) + 1
  cairn.storage.set("n", n)
  cairn.storage.set(string.format("ev:%06d", n), {
    email = learner.email, change = event.change, booking_id = event.booking_id,
    session_id = event.session_id, title = event.title, starts_at = event.starts_at,
    status = event.status, by_officer = event.by_officer, reason = event.reason,
    late_cancellation = event.late_cancellation,
    moved_from_session_id = event.moved_from_session_id, moved_from_booking_id = event.moved_from_booking_id,
    moved_to_session_id = event.moved_to_session_id, moved_to_booking_id = event.moved_to_booking_id })
end
function hooks.on_attendance(event, learner) end
return hooks
`;

  /** The booking events the plugin kept, in order (plugin_kv, read with Debian's python). */
  function keptEvents() {
    const py = spawnSync('/usr/bin/python3', ['-c',
      'import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1], timeout=10);'
      + ' print(json.dumps([json.loads(v) for (v,) in c.execute("SELECT value FROM plugin_kv'
      + ' WHERE plugin = \'approver\' AND key LIKE \'ev:%\' ORDER BY key")]))',
      path.join(srv2.dataDir, 'cairn.db')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    return JSON.parse(py.stdout);
  }

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-plugins-'));
    await fs.promises.mkdir(path.join(dir, 'approver'));
    await fs.promises.writeFile(path.join(dir, 'approver', 'plugin.json'), JSON.stringify({
      name: 'approver', borough: 'leicestershire-rutland', api_version: 1,
      hooks: ['booking_eligibility', 'expiry', 'on_booking_change', 'on_attendance'],
      description: 'booking rules for the courses tests' }));
    await fs.promises.writeFile(path.join(dir, 'approver', 'init.lua'), plugin);
    srv2 = await startServer({ demo: true, packages: false, args: ['--plugins', dir] });
    const a = srv2.account('officer', 'leics');
    officer2 = await new Client(srv2.url).mustLogin(a.email, a.password);
    const c = srv2.account('admin');
    admin2 = await new Client(srv2.url).mustLogin(c.email, c.password);
  });

  after(async () => {
    await srv2?.stop();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  async function session2(title, fields = {}) {
    const list = (await officer2.get('/api/courses')).body.courses;
    const c = list.find((x) => x.title === title);
    assert.ok(c, title);
    const r = await officer2.post(`/api/courses/${c.id}/sessions`, {
      venue_name: 'Hall', venue_address: '1 Street', capacity: 2, dates: dates(10), ...fields,
    });
    assert.equal(r.status, 201, r.text);
    return r.body.session;
  }

  async function hookCalls(name) {
    const r = await admin2.get('/api/admin/plugins');
    const p = r.body.plugins.find((x) => x.name === 'approver');
    assert.equal(p.state, 'loaded', JSON.stringify(p));
    return p.hooks.find((h) => h.name === name)?.calls ?? 0;
  }

  async function waitCalls(name, atLeast) {
    for (let i = 0; i < 50; i++) {
      if (await hookCalls(name) >= atLeast)
        return;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail(`${name} was called fewer than ${atLeast} times`);
  }

  test('needs approval: the booking is pending, with the reason, and holds a place', async () => {
    const s = await session2('Safeguarding children with disabilities');
    const l = await newLearner(srv2.url, 'Leicestershire');
    const r = await l.client.post(`/api/sessions/${s.id}/book`, {});
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.booking.status, 'pending');
    assert.match(r.body.booking.approval_reason, /training officer's agreement/);
    assert.equal(r.body.session.booked, 1);
    const id = r.body.booking.id;
    const inv = await l.client.get(`/api/bookings/${id}/invite.ics`);
    assert.equal(inv.status, 409, inv.text);
    assert.equal(inv.body.code, 'pending');
    // a learner cannot approve; the officer can
    assert.equal((await l.client.post(`/api/bookings/${id}/decision`, { approve: true })).status, 403);
    // nor can an officer of a borough that neither runs the session nor is the learner's
    const h = srv2.account('officer', 'hollowfield');
    const hollowfield = await new Client(srv2.url).mustLogin(h.email, h.password);
    const foreign = await hollowfield.post(`/api/bookings/${id}/decision`, { approve: true });
    assert.equal(foreign.status, 403, foreign.text);
    const ok = await officer2.post(`/api/bookings/${id}/decision`, { approve: true });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.booking.status, 'booked');
    const twice = await officer2.post(`/api/bookings/${id}/decision`, { approve: true });
    assert.equal(twice.status, 409, twice.text);
    assert.equal((await l.client.get(`/api/bookings/${id}/invite.ics`)).status, 200);
  });

  test('refusing a pending booking frees the place; approval still applies on promotion', async () => {
    const s = await session2('Safeguarding children with disabilities', { capacity: 1 });
    const [a, b] = [await newLearner(srv2.url, 'Leicestershire'), await newLearner(srv2.url, 'Leicestershire')];
    const ra = await a.client.post(`/api/sessions/${s.id}/book`, {});
    assert.equal(ra.body.booking.status, 'pending');
    const rb = await b.client.post(`/api/sessions/${s.id}/book`, { waitlist: true });
    assert.equal(rb.body.booking.status, 'waitlisted');
    const noReason = await officer2.post(`/api/bookings/${ra.body.booking.id}/decision`, { approve: false });
    assert.equal(noReason.status, 422, noReason.text);
    assert.equal(noReason.body.field, 'reason');
    const no = await officer2.post(`/api/bookings/${ra.body.booking.id}/decision`,
      { approve: false, reason: 'This course is for specialist staff this term.' });
    assert.equal(no.status, 200, no.text);
    assert.equal(no.body.booking.status, 'cancelled');
    assert.equal(no.body.booking.reason, 'This course is for specialist staff this term.');
    assert.equal(no.body.promoted, true);
    const list = (await officer2.get(`/api/sessions/${s.id}/bookings`)).body;
    assert.deepEqual(list.bookings.map((x) => [x.learner.email, x.status]), [[b.email, 'pending']]);
  });

  test('a failing rule denies with a neutral reason (fail closed)', async () => {
    const made = await officer2.post('/api/courses', { title: 'Child protection conferences',
      group: 'B', category: 'CORE', level: 2, duration_hours: 6 });
    assert.equal(made.status, 201, made.text);
    const s = await session2('Child protection conferences');
    const l = await newLearner(srv2.url, 'Leicestershire');
    const r = await l.client.post(`/api/sessions/${s.id}/book`, {});
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.code, 'not_eligible');
    assert.ok(r.body.error.length > 10);
  });

  test('bookings, cancellations, promotions and attendance reach the observers; the record has the expiry', async () => {
    const before_ = await hookCalls('on_booking_change');
    const s = await session2('Recording and record keeping', { capacity: 1, cancel_notice_hours: 0 });
    const a = await newLearner(srv2.url, 'Leicestershire');
    const b = await newLearner(srv2.url, 'Leicestershire');
    const ba = await a.client.post(`/api/sessions/${s.id}/book`, {});
    assert.equal(ba.body.booking.status, 'booked');
    await b.client.post(`/api/sessions/${s.id}/book`, { waitlist: true });
    await a.client.post(`/api/bookings/${ba.body.booking.id}/cancel`, { reason: 'Moved job' });
    // booked, waitlisted, cancelled, promoted
    await waitCalls('on_booking_change', before_ + 4);

    const moved = await officer2.request('PUT', `/api/sessions/${s.id}`,
      { json: { dates: dates(-1), booking_deadline: at(-2) } });
    assert.equal(moved.status, 200, moved.text);
    const d = moved.body.session.dates[0];
    const m = await officer2.post(`/api/sessions/${s.id}/attendance`,
      { date_id: d.id, user_id: b.user.id, status: 'attended' });
    assert.equal(m.status, 200, m.text);
    assert.equal(m.body.attendance.hours, 6);
    await waitCalls('on_attendance', 1);
    const rec = (await b.client.get('/api/me/record')).body.entries;
    assert.equal(rec.length, 1);
    const year = Number(d.starts_at.slice(0, 4)) + 3;
    assert.equal(rec[0].expires, `${year}${d.starts_at.slice(4, 10)}`);
  });

  test('every booking change reaches on_booking_change, with its shape', async () => {
    const skip = keptEvents().length;
    const s1 = await session2('Recording and record keeping', { capacity: 1, cancel_notice_hours: 0 });
    const s2 = await session2('Recording and record keeping', { capacity: 3, cancel_notice_hours: 0 });
    const sp = await session2('Safeguarding children with disabilities', { capacity: 3 });
    const s4 = await session2('Recording and record keeping', { capacity: 3 });
    const ls = [];
    for (let i = 0; i < 5; i++)
      ls.push(await newLearner(srv2.url, 'Leicestershire'));
    const post = async (client, url, json, status = 200) => {
      const r = await client.post(url, json);
      assert.equal(r.status, status, `${url}: ${r.text}`);
      return r.body;
    };
    const [la, lb, lc, ld, le] = ls;
    const ba = (await post(la.client, `/api/sessions/${s1.id}/book`, {}, 201)).booking;
    const bb = (await post(lb.client, `/api/sessions/${s1.id}/book`, { waitlist: true }, 201)).booking;
    const mv = await post(officer2, `/api/bookings/${ba.id}/move`, { session_id: s2.id, reason: 'Closer to home' });
    const ba2 = mv.booking;
    await post(lb.client, `/api/bookings/${bb.id}/cancel`, { reason: 'Clash' });
    await post(officer2, `/api/bookings/${ba2.id}/cancel`, { reason: 'Left the team' });
    const bc = (await post(lc.client, `/api/sessions/${sp.id}/book`, {}, 201)).booking;
    await post(officer2, `/api/bookings/${bc.id}/decision`, { approve: true });
    const bd = (await post(ld.client, `/api/sessions/${sp.id}/book`, {}, 201)).booking;
    await post(officer2, `/api/bookings/${bd.id}/decision`, { approve: false, reason: 'Not this term' });
    const be = (await post(le.client, `/api/sessions/${s4.id}/book`, {}, 201)).booking;
    await post(officer2, `/api/sessions/${s4.id}/cancel`, { reason: 'Trainer ill' });

    const at_ = (s) => ({ session_id: s.id, title: s.course.title, starts_at: s.starts_at });
    const expected = [
      { email: la.email, change: 'booked', booking_id: ba.id, ...at_(s1), status: 'booked', by_officer: false },
      { email: lb.email, change: 'waitlisted', booking_id: bb.id, ...at_(s1), status: 'waitlisted', by_officer: false },
      { email: la.email, change: 'moved_out', booking_id: ba.id, ...at_(s1), status: 'cancelled', by_officer: true,
        reason: 'Closer to home', moved_to_session_id: s2.id, moved_to_booking_id: ba2.id },
      { email: la.email, change: 'moved', booking_id: ba2.id, ...at_(s2), status: 'booked', by_officer: true,
        reason: 'Closer to home', moved_from_session_id: s1.id, moved_from_booking_id: ba.id },
      { email: lb.email, change: 'promoted', booking_id: bb.id, ...at_(s1), status: 'promoted', by_officer: false },
      { email: lb.email, change: 'cancelled', booking_id: bb.id, ...at_(s1), status: 'cancelled', by_officer: false,
        reason: 'Clash', late_cancellation: false },
      { email: la.email, change: 'cancelled', booking_id: ba2.id, ...at_(s2), status: 'cancelled', by_officer: true,
        reason: 'Left the team', late_cancellation: false },
      { email: lc.email, change: 'pending', booking_id: bc.id, ...at_(sp), status: 'pending', by_officer: false },
      { email: lc.email, change: 'approved', booking_id: bc.id, ...at_(sp), status: 'booked', by_officer: true },
      { email: ld.email, change: 'pending', booking_id: bd.id, ...at_(sp), status: 'pending', by_officer: false },
      { email: ld.email, change: 'refused', booking_id: bd.id, ...at_(sp), status: 'cancelled', by_officer: true,
        reason: 'Not this term' },
      { email: le.email, change: 'booked', booking_id: be.id, ...at_(s4), status: 'booked', by_officer: false },
      { email: le.email, change: 'session_cancelled', booking_id: be.id, ...at_(s4), status: 'booked',
        by_officer: true, reason: 'Trainer ill' },
    ];
    let got = [];
    for (let i = 0; i < 50 && got.length < expected.length; i++) {
      got = keptEvents().slice(skip);
      if (got.length < expected.length)
        await new Promise((res) => setTimeout(res, 100));
    }
    assert.deepEqual(got, expected);
  });
});
