// Officers managing learners' bookings: moving a booking to another session
// of the same course, cancelling it for the learner, and paging through the
// session lists (docs/API.md "Moving and cancelling a learner's booking",
// "Paging").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';

let srv, officerLeics, officerHollow, admin, courseId, otherCourseId;

const DAY = 24 * 3600 * 1000;

/** ISO UTC, whole seconds, days from now at a given hour. */
function at(daysFromNow, hour = 9, minute = 30) {
  const d = new Date(Date.now() + daysFromNow * DAY);
  d.setUTCHours(hour, minute, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Creates a session of the course (default: courseId) as the officer. */
async function session(fields = {}, officer = officerLeics, cid = courseId) {
  const days = fields.days ?? 10;
  delete fields.days;
  const r = await officer.post(`/api/courses/${cid}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
    capacity: 10, open_places: 0, cancel_notice_hours: 48,
    dates: [{ starts_at: at(days, 9, 30), ends_at: at(days, 15, 30) }], ...fields,
  });
  assert.equal(r.status, 201, r.text);
  return r.body.session;
}

async function learner(borough = 'Leicestershire') {
  return newLearner(srv.url, borough);
}

async function book(l, sessionId, json = {}) {
  const r = await l.client.post(`/api/sessions/${sessionId}/book`, json);
  assert.equal(r.status, 201, r.text);
  return r.body.booking;
}

async function bookingsOf(sessionId, officer = officerLeics) {
  const r = await officer.get(`/api/sessions/${sessionId}/bookings`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

function move(officer, bookingId, json) {
  return officer.post(`/api/bookings/${bookingId}/move`, json);
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(a.email, a.password);
  const b = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(b.email, b.password);
  const c = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(c.email, c.password);
  const courses = (await officerLeics.get('/api/courses')).body.courses;
  courseId = courses.find((x) => x.title === 'Recording and record keeping').id;
  otherCourseId = courses.find((x) => x.title === 'Focus on neglect').id;
});

after(async () => {
  await srv?.stop();
});

describe('moving a booking', () => {
  test('moves to another session of the course; the old session\'s waitlist is promoted', async () => {
    const from = await session({ capacity: 1 });
    const to = await session({ capacity: 2, days: 14 });
    const [x, y] = [await learner(), await learner()];
    const bx = await book(x, from.id);
    const by = await book(y, from.id, { waitlist: true });
    assert.equal(by.status, 'waitlisted');

    const options = await officerLeics.get(`/api/bookings/${bx.id}/moves`);
    assert.equal(options.status, 200, options.text);
    const ids = options.body.sessions.map((s) => s.id);
    assert.ok(ids.includes(to.id), options.text);
    assert.ok(!ids.includes(from.id), 'not the session it is on');
    assert.ok(options.body.sessions.every((s) => s.course.id === courseId), 'only the same course');
    assert.equal(options.body.sessions.find((s) => s.id === to.id).free_places, 2);

    const r = await move(officerLeics, bx.id, { session_id: to.id, reason: 'Closer to home' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.booking.session_id, to.id);
    assert.equal(r.body.booking.user_id, x.user.id);
    assert.equal(r.body.booking.status, 'booked');
    assert.equal(r.body.booking.moved_from, from.id);
    assert.notEqual(r.body.booking.id, bx.id);
    assert.equal(r.body.previous.id, bx.id);
    assert.equal(r.body.previous.status, 'cancelled');
    assert.equal(r.body.previous.reason, 'Closer to home');
    assert.equal(r.body.previous.late_cancellation, false);
    assert.equal(r.body.promoted, true);
    assert.equal(r.body.session.id, to.id);
    assert.equal(r.body.session.booked, 1);

    const old = await bookingsOf(from.id);
    assert.deepEqual(old.bookings.map((b) => [b.learner.id, b.status]), [[y.user.id, 'promoted']]);
    assert.equal(old.waitlist.length, 0);
    assert.deepEqual(old.cancelled.map((b) => b.learner.id), [x.user.id]);
    const now = await bookingsOf(to.id);
    assert.deepEqual(now.bookings.map((b) => [b.learner.id, b.status]), [[x.user.id, 'booked']]);

    // both learners are told (the outbox: docs/API.md "Notifications")
    const xm = (await x.client.get('/api/me/messages')).body.messages;
    const moved = xm.filter((m) => m.kind === 'booking_moved');
    assert.equal(moved.length, 1, JSON.stringify(xm.map((m) => m.kind)));
    assert.match(moved[0].subject, /Recording and record keeping/);
    assert.ok(!xm.some((m) => m.kind === 'booking_cancelled'), 'a move is not told as a cancellation');
    const ym = (await y.client.get('/api/me/messages')).body.messages;
    assert.equal(ym.filter((m) => m.kind === 'waitlist_promoted').length, 1, JSON.stringify(ym.map((m) => m.kind)));

    // the learner sees the new session as theirs
    const mine = (await x.client.get('/api/sessions?limit=200')).body.sessions;
    assert.equal(mine.find((s) => s.id === to.id).my_booking.status, 'booked');
    assert.equal(mine.find((s) => s.id === from.id).my_booking.status, 'cancelled');

    // calendars: the old invitation is withdrawn (same UID, higher SEQUENCE),
    // the new one is a request for the other session's UID
    const oldIcs = await x.client.get(`/api/bookings/${bx.id}/invite.ics`);
    assert.equal(oldIcs.status, 200, oldIcs.text);
    assert.match(oldIcs.text, /METHOD:CANCEL\r\n/);
    assert.match(oldIcs.text, /STATUS:CANCELLED\r\n/);
    assert.ok(oldIcs.text.includes(`UID:cairn-session-${from.uid}@cairn\r\n`), oldIcs.text);
    assert.ok(oldIcs.text.includes(`SEQUENCE:${from.sequence + 1}\r\n`), oldIcs.text);
    const newIcs = await x.client.get(`/api/bookings/${r.body.booking.id}/invite.ics`);
    assert.equal(newIcs.status, 200, newIcs.text);
    assert.match(newIcs.text, /METHOD:REQUEST\r\n/);
    assert.ok(newIcs.text.includes(`UID:cairn-session-${to.uid}@cairn\r\n`), newIcs.text);
    assert.ok(!newIcs.text.includes(from.uid), 'the new invitation is only for the new session');
  });

  test('a move ignores the booking deadline but not the places', async () => {
    const from = await session();
    const closed = await session({ days: 5, booking_deadline: at(-1) });
    const [x] = [await learner()];
    const bx = await book(x, from.id);
    const r = await move(officerLeics, bx.id, { session_id: closed.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.previous.reason, 'Moved to another session by a training officer.');
  });

  test('a full target, another course, the same session and a cancelled target are refused', async () => {
    const from = await session();
    const full = await session({ capacity: 1, days: 12 });
    const other = await session({}, officerLeics, otherCourseId);
    const gone = await session({ days: 13 });
    assert.equal((await officerLeics.post(`/api/sessions/${gone.id}/cancel`, { reason: 'Venue closed' })).status, 200);
    const [x, filler] = [await learner(), await learner()];
    const bx = await book(x, from.id);
    await book(filler, full.id);

    let r = await move(officerLeics, bx.id, { session_id: full.id });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'full');
    r = await move(officerLeics, bx.id, { session_id: other.id });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'session_id');
    assert.match(r.body.error, /another course/);
    r = await move(officerLeics, bx.id, { session_id: from.id });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'session_id');
    r = await move(officerLeics, bx.id, { session_id: gone.id });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'session_cancelled');
    r = await move(officerLeics, bx.id, { session_id: 999999 });
    assert.equal(r.status, 422, r.text);
    r = await move(officerLeics, bx.id, { session_id: 'soon' });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'session_id');
    // nothing changed: still booked on the first session, the full one still full
    const still = await bookingsOf(from.id);
    assert.deepEqual(still.bookings.map((b) => [b.id, b.status]), [[bx.id, 'booked']]);
    assert.equal((await bookingsOf(full.id)).bookings.length, 1);
  });

  test('a target of another borough with no open places is refused; with them, the move is allowed', async () => {
    const from = await session();
    const hollowClosed = await session({ open_places: 0 }, officerHollow);
    const hollowOpen = await session({ open_places: 1, days: 11 }, officerHollow);
    const x = await learner();
    const bx = await book(x, from.id);
    let r = await move(officerLeics, bx.id, { session_id: hollowClosed.id });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'not_open');
    r = await move(officerLeics, bx.id, { session_id: hollowOpen.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.session.booked_other_boroughs, 1);
    assert.equal(r.body.session.free_places, 0, 'the one open place is taken');
    // the learner's own borough's officer still manages the moved booking
    const back = await move(officerLeics, r.body.booking.id, { session_id: from.id });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.booking.moved_from, hollowOpen.id);
  });

  test('another borough\'s officer gets 404, a learner 403, an admin may move', async () => {
    const from = await session();
    const to = await session({ days: 12 });
    const x = await learner();
    const bx = await book(x, from.id);
    let r = await move(officerHollow, bx.id, { session_id: to.id });
    assert.equal(r.status, 404, r.text);
    r = await officerHollow.get(`/api/bookings/${bx.id}/moves`);
    assert.equal(r.status, 404, r.text);
    r = await move(x.client, bx.id, { session_id: to.id });
    assert.equal(r.status, 403, r.text);
    r = await x.client.get(`/api/bookings/${bx.id}/moves`);
    assert.equal(r.status, 403, r.text);
    r = await move(officerLeics, 999999, { session_id: to.id });
    assert.equal(r.status, 404, r.text);
    r = await move(admin, bx.id, { session_id: to.id });
    assert.equal(r.status, 200, r.text);
    r = await move(admin, bx.id, { session_id: to.id });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'already_cancelled');
  });

  test('a learner already on the target cannot be moved there', async () => {
    const from = await session();
    const to = await session({ days: 12 });
    const x = await learner();
    const bx = await book(x, from.id);
    await book(x, to.id);
    const r = await move(officerLeics, bx.id, { session_id: to.id });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'already_booked');
    const options = await officerLeics.get(`/api/bookings/${bx.id}/moves`);
    assert.ok(!options.body.sessions.some((s) => s.id === to.id), 'not offered either');
  });
});

describe('an officer cancels a learner\'s booking', () => {
  test('inside the notice period it is not late; the waitlist is promoted', async () => {
    // tomorrow, 48 hours' notice: a learner cancelling now would be late
    const s = await session({ capacity: 1, days: 1 });
    const [x, y] = [await learner(), await learner()];
    const bx = await book(x, s.id);
    await book(y, s.id, { waitlist: true });
    let r = await officerLeics.post(`/api/bookings/${bx.id}/cancel`, {});
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'reason');
    r = await officerHollow.post(`/api/bookings/${bx.id}/cancel`, { reason: 'No' });
    assert.equal(r.status, 404, r.text);
    r = await officerLeics.post(`/api/bookings/${bx.id}/cancel`, { reason: 'Role changed; not needed' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.booking.status, 'cancelled');
    assert.equal(r.body.booking.reason, 'Role changed; not needed');
    assert.equal(r.body.booking.late_cancellation, false);
    assert.equal(r.body.late_cancellation, false);
    assert.equal(r.body.by_officer, true);
    assert.equal(r.body.promoted, true);
    const list = await bookingsOf(s.id);
    assert.deepEqual(list.bookings.map((b) => [b.learner.id, b.status]), [[y.user.id, 'promoted']]);
    const xm = (await x.client.get('/api/me/messages')).body.messages;
    const told = xm.find((m) => m.kind === 'booking_cancelled');
    assert.ok(told, JSON.stringify(xm.map((m) => m.kind)));
    assert.match(told.body, /Role changed; not needed/);
    assert.doesNotMatch(told.body, /late cancellation/);
    const ym = (await y.client.get('/api/me/messages')).body.messages;
    assert.ok(ym.some((m) => m.kind === 'waitlist_promoted'), JSON.stringify(ym.map((m) => m.kind)));
    r = await officerLeics.post(`/api/bookings/${bx.id}/cancel`, { reason: 'Again' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'already_cancelled');

    // the same cancellation by the learner is late: the rule is still there
    const s2 = await session({ capacity: 1, days: 1 });
    const z = await learner();
    const bz = await book(z, s2.id);
    r = await z.client.post(`/api/bookings/${bz.id}/cancel`, { reason: 'Busy' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.late_cancellation, true);
    assert.equal(r.body.by_officer, false);
  });

  test('an admin may cancel any booking; a learner only their own', async () => {
    const s = await session();
    const [x, y] = [await learner(), await learner()];
    const bx = await book(x, s.id);
    let r = await y.client.post(`/api/bookings/${bx.id}/cancel`, { reason: 'Not mine' });
    assert.equal(r.status, 404, r.text);
    r = await admin.post(`/api/bookings/${bx.id}/cancel`, { reason: 'Duplicate account' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.by_officer, true);
    assert.equal(r.body.promoted, false);
  });
});

describe('attendance after a move or a cancellation', () => {
  test('a cancelled or moved-away booking may only be marked a late cancellation', async () => {
    const from = await session({ days: 5 });
    const to = await session({ days: 6 });
    const [moved, selfCancelled, officerCancelled, rebooked, live, stranger] =
      [await learner(), await learner(), await learner(), await learner(), await learner(), await learner()];
    const bm = await book(moved, from.id);
    const bs = await book(selfCancelled, from.id);
    const bo = await book(officerCancelled, from.id);
    const br = await book(rebooked, from.id);
    await book(live, from.id);
    let r = await move(officerLeics, bm.id, { session_id: to.id, reason: 'Closer to home' });
    assert.equal(r.status, 200, r.text);
    r = await selfCancelled.client.post(`/api/bookings/${bs.id}/cancel`, { reason: 'Clash' });
    assert.equal(r.status, 200, r.text);
    r = await officerLeics.post(`/api/bookings/${bo.id}/cancel`, { reason: 'Left the team' });
    assert.equal(r.status, 200, r.text);
    r = await rebooked.client.post(`/api/bookings/${br.id}/cancel`, { reason: 'Oops' });
    assert.equal(r.status, 200, r.text);
    await book(rebooked, from.id);     // a live booking again, beside the cancelled one
    // the old session has begun (attendance needs that)
    const start = at(0, 0, 0);
    r = await officerLeics.request('PUT', `/api/sessions/${from.id}`, {
      json: { dates: [{ starts_at: start, ends_at: at(0, 0, 30) }], booking_deadline: start },
    });
    assert.equal(r.status, 200, r.text);
    const dateId = r.body.session.dates[0].id;
    const mark = (l, status, extra = {}) => officerLeics.post(`/api/sessions/${from.id}/attendance`,
      { date_id: dateId, user_id: l.user.id, status, ...extra });

    for (const l of [moved, selfCancelled, officerCancelled]) {
      for (const [status, extra] of [['attended', {}], ['partly_attended', { minutes: 10 }], ['no_show', {}]]) {
        r = await mark(l, status, extra);
        assert.equal(r.status, 409, `${status}: ${r.text}`);
        assert.equal(r.body.code, 'booking_cancelled');
      }
      r = await mark(l, 'cancelled_late');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.attendance, { date_id: dateId, user_id: l.user.id, status: 'cancelled_late',
        minutes: null, hours: 0, flagged: true });
    }
    // the moved learner's record holds no hours from the old session
    const rec = (await moved.client.get('/api/me/record')).body.entries
      .filter((e) => e.kind === 'face_to_face' && e.session_id === from.id);
    assert.ok(rec.every((e) => !e.hours), JSON.stringify(rec));
    // a live booking (also one made again after cancelling) takes any status
    r = await mark(rebooked, 'attended');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.attendance.hours, 0.5);
    r = await mark(live, 'no_show');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.attendance.flagged, true);
    // never booked: no place at all
    r = await mark(stranger, 'cancelled_late');
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'user_id');
  });
});

/** Follows next (or previous) cursors from a first answer; answers the pages. */
async function walk(client, path, first, dir = 'next', key = dir === 'next' ? 'after' : 'before') {
  const pages = [first];
  let cur = first;
  for (let i = 0; cur[dir] && i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await client.get(`${path}${sep}${key}=${encodeURIComponent(cur[dir])}`);
    assert.equal(r.status, 200, r.text);
    pages.push(r.body);
    cur = r.body;
  }
  return pages;
}

describe('paging the session lists', () => {
  test('officers: limit, next, previous, no duplicates or omissions', async () => {
    // several sessions starting at the same time, so the id breaks the tie
    for (let i = 0; i < 4; i++)
      await session({ days: 30 });
    for (let i = 0; i < 3; i++)
      await session({ days: 20 + i });
    const all = await officerLeics.get('/api/officer/sessions?limit=200');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.limit, 200);
    assert.equal(all.body.next, null);
    assert.equal(all.body.previous, null);
    const ids = all.body.sessions.map((s) => s.id);
    assert.ok(ids.length >= 7 && ids.length < 200, `${ids.length} sessions`);
    // latest first, then the highest id
    for (let i = 1; i < all.body.sessions.length; i++) {
      const [a, b] = [all.body.sessions[i - 1], all.body.sessions[i]];
      assert.ok(a.starts_at > b.starts_at || (a.starts_at === b.starts_at && a.id > b.id), `order at ${i}`);
    }
    const first = await officerLeics.get('/api/officer/sessions?limit=3');
    assert.equal(first.body.sessions.length, 3);
    assert.equal(first.body.previous, null);
    assert.ok(first.body.next);
    const pages = await walk(officerLeics, '/api/officer/sessions?limit=3', first.body);
    assert.equal(pages.length, Math.ceil(ids.length / 3));
    assert.ok(pages.slice(0, -1).every((p) => p.sessions.length === 3));
    assert.deepEqual(pages.flatMap((p) => p.sessions.map((s) => s.id)), ids);
    assert.equal(pages.at(-1).next, null);
    // and back again from the last page
    const back = await walk(officerLeics, '/api/officer/sessions?limit=3', pages.at(-1), 'previous');
    assert.deepEqual(back.reverse().map((p) => p.sessions.map((s) => s.id)),
      pages.map((p) => p.sessions.map((s) => s.id)));
    assert.equal(back[0].previous, null);
    // another borough's officer does not page into Leicestershire's sessions
    const hollow = await officerHollow.get('/api/officer/sessions?limit=200');
    assert.ok(!hollow.body.sessions.some((s) => ids.includes(s.id)));
  });

  test('the default page is 50; an admin pages through every borough', async () => {
    const before = (await admin.get('/api/officer/sessions?limit=200')).body.sessions.length;
    for (let i = before; i < 53; i++)
      await session({ days: 40 });
    const page = await admin.get('/api/officer/sessions');
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.limit, 50);
    assert.equal(page.body.sessions.length, 50);
    assert.ok(page.body.next);
    const rest = await admin.get(`/api/officer/sessions?after=${encodeURIComponent(page.body.next)}`);
    const total = (await admin.get('/api/officer/sessions?limit=200')).body.sessions.length;
    assert.equal(rest.body.sessions.length, total - 50);
    assert.equal(rest.body.next, null);
    const head = rest.body.sessions[0];
    assert.equal(rest.body.previous, `${head.starts_at}~${head.id}`);
    const seen = new Set([...page.body.sessions, ...rest.body.sessions].map((s) => s.id));
    assert.equal(seen.size, total);
  });

  test('learners page through upcoming sessions, soonest first', async () => {
    const x = await learner();
    const all = await x.client.get('/api/sessions?limit=200');
    assert.equal(all.status, 200, all.text);
    const ids = all.body.sessions.map((s) => s.id);
    assert.ok(ids.length > 10);
    for (let i = 1; i < all.body.sessions.length; i++) {
      const [a, b] = [all.body.sessions[i - 1], all.body.sessions[i]];
      assert.ok(a.starts_at < b.starts_at || (a.starts_at === b.starts_at && a.id < b.id), `order at ${i}`);
    }
    const first = await x.client.get('/api/sessions?limit=4');
    assert.ok(first.body.sessions.every((s) => 'my_booking' in s && 'free_places' in s));
    const pages = await walk(x.client, '/api/sessions?limit=4', first.body);
    assert.deepEqual(pages.flatMap((p) => p.sessions.map((s) => s.id)), ids);
  });

  test('bad paging parameters are 422 with the field named', async () => {
    for (const [query, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=ten', 'limit'],
      ['limit=%205', 'limit'], ['after=2026-01-01T00:00:00Z~%2B3', 'after'], ['after=2026-01-01T00:00:00Z~', 'after'],
      ['after=yesterday', 'after'], ['before=2026-01-01T00:00:00Z~x', 'before'],
      ['after=2026-01-01T00:00:00Z~1&before=2026-01-01T00:00:00Z~2', 'before']]) {
      const r = await officerLeics.get(`/api/officer/sessions?${query}`);
      assert.equal(r.status, 422, `${query}: ${r.text}`);
      assert.equal(r.body.field, field, query);
    }
  });
});
