// No-shows and late cancellations flagged for the borough's charging rule:
// the charge plugin hook (plugins/eastmere), GET /api/officer/charges and
// POST /api/charges/#/status (docs/API.md "Charges").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';

const HOUR = 3600 * 1000, DAY = 24 * HOUR;
let srv, officerEast, officerLeics, admin, courseId;

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A session of the officer's borough starting `fromNow` ms from now. */
async function session(officer, fromNow, fields = {}) {
  const start = Math.floor((Date.now() + fromNow) / 1000) * 1000;
  const r = await officer.post(`/api/courses/${courseId}/sessions`, {
    venue_name: 'Quayside Centre', venue_address: '1 Harbour Road, Eastmere',
    capacity: 10, open_places: 0, cancel_notice_hours: 48,
    dates: [{ starts_at: iso(start), ends_at: iso(start + 6 * HOUR) }], ...fields,
  });
  assert.equal(r.status, 201, r.text);
  return r.body.session;
}

/** Moves a session two days into the past so attendance can be marked. */
async function intoThePast(officer, s) {
  const start = Date.now() - 2 * DAY;
  const r = await officer.request('PUT', `/api/sessions/${s.id}`, { json: {
    dates: [{ starts_at: iso(start), ends_at: iso(start + 6 * HOUR) }],
    booking_deadline: iso(start - DAY) } });
  assert.equal(r.status, 200, r.text);
  return r.body.session;
}

async function book(learner, s) {
  const r = await learner.client.post(`/api/sessions/${s.id}/book`, {});
  assert.equal(r.status, 201, r.text);
  return r.body.booking;
}

function mark(officer, s, learner, status) {
  return officer.post(`/api/sessions/${s.id}/attendance`,
    { date_id: s.dates[0].id, user_id: learner.user.id, status });
}

async function charges(client, query = '') {
  const r = await client.get(`/api/officer/charges${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body.charges;
}

function chargeOf(list, learner, s, reason) {
  return list.find((c) => c.learner.id === learner.user.id && c.session.id === s.id &&
    (!reason || c.reason === reason));
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const e = srv.account('officer', 'eastmere');
  officerEast = await new Client(srv.url).mustLogin(e.email, e.password);
  const l = srv.account('officer', 'leics');
  officerLeics = await new Client(srv.url).mustLogin(l.email, l.password);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  const list = (await officerEast.get('/api/courses')).body.courses;
  courseId = list.find((c) => c.title === 'Recording and record keeping').id;
});

after(async () => {
  await srv?.stop();
});

describe('charges flagged from attendance and cancellations', () => {
  let s, noShow, reMarked, attended, late, early;

  before(async () => {
    [noShow, reMarked, attended, late, early] = await Promise.all(
      Array.from({ length: 5 }, () => newLearner(srv.url, 'Eastmere')));
    s = await session(officerEast, 10 * DAY);
    for (const l of [noShow, reMarked, attended])
      await book(l, s);
    s = await intoThePast(officerEast, s);
  });

  test("a no-show is charged the borough plugin's amount", async () => {
    const r = await mark(officerEast, s, noShow, 'no_show');
    assert.equal(r.status, 200, r.text);
    const c = chargeOf(await charges(officerEast), noShow, s);
    assert.ok(c, 'a charge for the no-show');
    assert.equal(c.reason, 'no_show');
    assert.equal(c.amount_pence, 2500);
    assert.equal(c.status, 'flagged');
    assert.match(c.note, /£25/);
    assert.equal(c.session.title, 'Recording and record keeping');
    assert.equal(c.learner.email, noShow.email);
    assert.ok(Number.isInteger(c.booking_id));
    // attended learners are not charged
    assert.equal((await mark(officerEast, s, attended, 'attended')).status, 200);
    assert.equal(chargeOf(await charges(officerEast), attended, s), undefined);
  });

  test('re-marking a no-show as attended removes the flagged charge', async () => {
    assert.equal((await mark(officerEast, s, reMarked, 'no_show')).status, 200);
    assert.ok(chargeOf(await charges(officerEast), reMarked, s, 'no_show'));
    assert.equal((await mark(officerEast, s, reMarked, 'attended')).status, 200);
    assert.equal(chargeOf(await charges(officerEast), reMarked, s), undefined);
    // marked a late cancellation instead: that reason, with its amount
    assert.equal((await mark(officerEast, s, reMarked, 'cancelled_late')).status, 200);
    const list = await charges(officerEast);
    assert.equal(chargeOf(list, reMarked, s, 'no_show'), undefined);
    assert.equal(chargeOf(list, reMarked, s, 'late_cancellation').amount_pence, 1500);
  });

  test('a learner cancelling inside the notice period is charged; with notice, not', async () => {
    const soon = await session(officerEast, 20 * HOUR);
    const b = await book(late, soon);
    let r = await late.client.post(`/api/bookings/${b.id}/cancel`, { reason: 'Car broke down' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.late_cancellation, true);
    const c = chargeOf(await charges(officerEast), late, soon);
    assert.equal(c.reason, 'late_cancellation');
    assert.equal(c.amount_pence, 1500);
    assert.equal(c.booking_id, b.id);

    // late for the session (72 hours' notice asked) but 60 hours ahead:
    // Eastmere's rule charges nothing, and says so
    const later = await session(officerEast, 60 * HOUR, { cancel_notice_hours: 72 });
    const b2 = await book(early, later);
    r = await early.client.post(`/api/bookings/${b2.id}/cancel`, { reason: 'Rota changed' });
    assert.equal(r.body.late_cancellation, true);
    const c2 = chargeOf(await charges(officerEast), early, later);
    assert.equal(c2.amount_pence, 0);
    assert.match(c2.note, /No charge/);
  });

  test('a borough with no charging rule: flagged with no amount', async () => {
    const list = (await officerLeics.get('/api/courses')).body.courses;
    assert.ok(list.find((c) => c.id === courseId));
    const learner = await newLearner(srv.url, 'Leicestershire');
    let ls = await session(officerLeics, 10 * DAY);
    await book(learner, ls);
    ls = await intoThePast(officerLeics, ls);
    assert.equal((await mark(officerLeics, ls, learner, 'no_show')).status, 200);
    const c = chargeOf(await charges(officerLeics), learner, ls);
    assert.equal(c.status, 'flagged');
    assert.equal(c.amount_pence, null);
  });

  test("officers see and change only their own borough's learners' charges", async () => {
    const c = chargeOf(await charges(officerEast), noShow, s);
    assert.equal(chargeOf(await charges(officerLeics), noShow, s), undefined);
    assert.ok(chargeOf(await charges(admin), noShow, s), 'admins see every borough');
    const r = await officerLeics.post(`/api/charges/${c.id}/status`, { status: 'waived' });
    assert.equal(r.status, 404, r.text);
    const learnerTry = await noShow.client.post(`/api/charges/${c.id}/status`, { status: 'waived' });
    assert.equal(learnerTry.status, 403, learnerTry.text);
    assert.equal((await noShow.client.get('/api/officer/charges')).status, 403);
    assert.equal(chargeOf(await charges(officerEast), noShow, s).status, 'flagged');
  });

  test('status changes are validated; waived and invoiced charges stay put', async () => {
    const c = chargeOf(await charges(officerEast), noShow, s);
    let r = await officerEast.post(`/api/charges/${c.id}/status`, { status: 'paid' });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'status');
    r = await officerEast.post(`/api/charges/${c.id}/status`, { status: 'waived', note: 'x'.repeat(501) });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'note');
    r = await officerEast.post('/api/charges/999999/status', { status: 'waived' });
    assert.equal(r.status, 404, r.text);
    r = await officerEast.post(`/api/charges/${c.id}/status`,
      { status: 'waived', note: 'First time; family emergency' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.charge.status, 'waived');
    assert.equal(r.body.charge.note, 'First time; family emergency');
    assert.equal(r.body.charge.amount_pence, 2500);

    // a waived charge is not removed or re-flagged by attendance marked again
    assert.equal((await mark(officerEast, s, noShow, 'attended')).status, 200);
    assert.equal((await mark(officerEast, s, noShow, 'no_show')).status, 200);
    const after = chargeOf(await charges(officerEast), noShow, s);
    assert.deepEqual([after.id, after.status, after.note], [c.id, 'waived', 'First time; family emergency']);

    const waived = await charges(officerEast, '?status=waived');
    assert.ok(waived.length >= 1 && waived.every((x) => x.status === 'waived'));
    assert.ok(chargeOf(waived, noShow, s));
    assert.equal(chargeOf(await charges(officerEast, '?status=flagged'), noShow, s), undefined);
    r = await officerEast.get('/api/officer/charges?status=unpaid');
    assert.equal(r.status, 422, r.text);

    r = await officerEast.post(`/api/charges/${c.id}/status`, { status: 'invoiced' });
    assert.equal(r.body.charge.status, 'invoiced');
    assert.equal(r.body.charge.note, 'First time; family emergency', 'no note keeps the note');
  });
});

describe('a charge hook that fails', () => {
  let srv2, dir, officer2;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-plugins-'));
    await fs.promises.mkdir(path.join(dir, 'broken-charge'));
    await fs.promises.writeFile(path.join(dir, 'broken-charge', 'plugin.json'), JSON.stringify({
      name: 'broken-charge', borough: 'leicestershire-rutland', api_version: 1, hooks: ['charge'],
      description: 'a charge hook that errors or answers nonsense' }));
    await fs.promises.writeFile(path.join(dir, 'broken-charge', 'init.lua'), `
local hooks = {}
function hooks.charge(event, learner)
  if event.reason == "no_show" then return { amount_pence = -5 } end
  error("no tariff for " .. event.reason)
end
return hooks
`);
    srv2 = await startServer({ demo: true, packages: false, args: ['--plugins', dir] });
    const o = srv2.account('officer', 'leics');
    officer2 = await new Client(srv2.url).mustLogin(o.email, o.password);
  });

  after(async () => {
    await srv2?.stop();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  test('the charge is still flagged, with no amount and a note saying why', async () => {
    const list = (await officer2.get('/api/courses')).body.courses;
    const cid = list.find((c) => c.title === 'Recording and record keeping').id;
    const [a, b] = [await newLearner(srv2.url, 'Leicestershire'), await newLearner(srv2.url, 'Leicestershire')];
    const start = Date.now() + 10 * DAY;
    let r = await officer2.post(`/api/courses/${cid}/sessions`, {
      venue_name: 'Hall', venue_address: '1 Street', capacity: 5,
      dates: [{ starts_at: iso(start), ends_at: iso(start + 6 * HOUR) }] });
    assert.equal(r.status, 201, r.text);
    let s = r.body.session;
    for (const l of [a, b])
      await book(l, s);
    s = await intoThePast(officer2, s);
    assert.equal((await mark(officer2, s, a, 'no_show')).status, 200);      // a bad answer
    assert.equal((await mark(officer2, s, b, 'cancelled_late')).status, 200); // an error
    const all = await charges(officer2);
    for (const [l, reason] of [[a, 'no_show'], [b, 'late_cancellation']]) {
      const c = chargeOf(all, l, s, reason);
      assert.ok(c, reason);
      assert.equal(c.status, 'flagged');
      assert.equal(c.amount_pence, null);
      assert.match(c.note, /could not be run/);
    }
  });
});
