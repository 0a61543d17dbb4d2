// Notifications (docs/API.md "Notifications"): booking, waitlist and session
// messages go through the outbox and are delivered to a real SMTP server on
// 127.0.0.1 (tests/lib/smtp-sink.py, Debian's python3-aiosmtpd); without
// SMTP they stay pending and are listed on the Messages pages; a server
// that is down is retried; `cairn notify run` sends expiry reminders once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runCairn, startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SINK = path.resolve(here, '..', 'lib', 'smtp-sink.py');
const PYTHON = '/usr/bin/python3';
const FROM = 'Cairn <noreply@example.org>';
const PUBLIC = 'http://cairn.example.test';

const HOUR = 3600 * 1000, DAY = 24 * HOUR;

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

// ---- Europe/London wording, as the pages write it ----
const london = (opts) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', ...opts });
function londonDay(iso) {
  const d = new Date(iso);
  return `${london({ weekday: 'long' }).format(d)} ${london({ day: 'numeric', month: 'long', year: 'numeric' }).format(d)}`;
}
function londonTime(iso) {
  const parts = Object.fromEntries(london({ hour: 'numeric', minute: 'numeric', hourCycle: 'h23' })
    .formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const h = Number(parts.hour), m = Number(parts.minute);
  if (m === 0 && h === 12) return 'midday';
  if (m === 0 && h === 0) return 'midnight';
  return `${h % 12 === 0 ? 12 : h % 12}:${String(m).padStart(2, '0')}${h < 12 ? 'am' : 'pm'}`;
}
function londonSpan(d) {
  return `${londonDay(d.starts_at)}, ${londonTime(d.starts_at)} to ${londonTime(d.ends_at)}`;
}

// ---- the SMTP sink ----

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startSink(port = 0, env = {}) {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-smtp-'));
  const child = spawn(PYTHON, [SINK, dir, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let out = '', err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const bound = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`smtp-sink did not start: ${err}`)), 15000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exited.then((code) => { clearTimeout(timer); reject(new Error(`smtp-sink exited ${code}: ${err}`)); });
  });
  const onExit = () => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', onExit);
  return {
    port: bound,
    dir,
    /** Every message received so far, parsed. */
    messages() {
      return fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()
        .map((f) => parseMail(fs.readFileSync(path.join(dir, f))));
    },
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

/** RFC 2047 B and Q words (what Cairn writes is B). */
function decodeWords(value) {
  return value.replace(/\s*=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, enc, text) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi,
        (__, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

function parseMail(raw) {
  const text = raw.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no header/body split in ${text.slice(0, 200)}`);
  const headers = {};
  const rawHeaders = {};
  for (const line of text.slice(0, split).replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).toLowerCase();
    rawHeaders[name] = line.slice(i + 1).trim();
    headers[name] = decodeWords(rawHeaders[name]);
  }
  return { headers, rawHeaders, body: text.slice(split + 4), raw: text };
}

async function waitFor(what, fn, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v)
      return v;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function mailsTo(sink, email, subjectPart) {
  return sink.messages().filter((m) => m.headers.to === email &&
    (!subjectPart || m.headers.subject.includes(subjectPart)));
}

function waitMail(sink, email, subjectPart, timeoutMs = 15000) {
  return waitFor(`a message to ${email} about "${subjectPart}"`,
    () => mailsTo(sink, email, subjectPart)[0], timeoutMs);
}

// ---- set-up shared by the servers ----

async function signIn(srv, role, part) {
  const a = srv.account(role, part);
  return new Client(srv.url).mustLogin(a.email, a.password);
}

async function courseId(officer, title = 'Recording and record keeping') {
  const r = await officer.get('/api/courses');
  assert.equal(r.status, 200, r.text);
  const c = r.body.courses.find((x) => x.title === title);
  assert.ok(c, `no course ${title}`);
  return c.id;
}

async function makeSession(officer, cid, fields = {}) {
  const r = await officer.post(`/api/courses/${cid}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
    access_notes: 'Step-free entrance; hearing loop', trainer: 'Jo Mills',
    capacity: 10, open_places: 0, cancel_notice_hours: 48, dates: dates(10), ...fields,
  });
  assert.equal(r.status, 201, r.text);
  return r.body.session;
}

function book(learner, sessionId, json = {}) {
  return learner.client.post(`/api/sessions/${sessionId}/book`, json);
}

describe('with an SMTP server', () => {
  let sink, srv, officer, cid;

  before(async () => {
    sink = await startSink();
    srv = await startServer({
      demo: true, packages: false,
      args: ['--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--smtp-from', FROM,
        '--public-url', PUBLIC + '/'],
    });
    officer = await signIn(srv, 'officer', 'leics');
    cid = await courseId(officer);
  });

  after(async () => {
    await srv?.stop();
    await sink?.stop();
  });

  test('a booking confirmation arrives with the right headers, subject and body', async () => {
    const s = await makeSession(officer, cid);
    const l = await newLearner(srv.url, 'Leicestershire', { name: 'Alex Carter' });
    const r = await book(l, s.id);
    assert.equal(r.status, 201, r.text);
    const m = await waitMail(sink, l.email, 'Booking confirmed');
    const day = londonDay(s.dates[0].starts_at);
    assert.equal(m.headers.subject, `Booking confirmed: Recording and record keeping, ${day}`);
    assert.equal(m.headers.from, FROM);
    assert.equal(m.headers['x-envelope-from'], 'noreply@example.org');
    assert.equal(m.headers['x-envelope-to'], l.email);
    assert.equal(m.headers['mime-version'], '1.0');
    assert.equal(m.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(m.headers['content-transfer-encoding'], '8bit');
    assert.match(m.headers['message-id'], /^<cairn-outbox-\d+\.\d+@example\.org>$/);
    assert.ok(!Number.isNaN(Date.parse(m.headers.date)), m.headers.date);
    assert.ok(Math.abs(Date.parse(m.headers.date) - Date.now()) < 120000, m.headers.date);
    assert.match(m.body, /^Dear Alex Carter,\r\n/);
    assert.ok(m.body.includes('Your place on this course is booked.'), m.body);
    assert.ok(m.body.includes('Course: Recording and record keeping\r\n'), m.body);
    assert.ok(m.body.includes(`When: ${londonSpan(s.dates[0])}\r\n`), m.body);
    assert.ok(m.body.includes('Where: County Hall, Room 3, Glenfield, Leicester LE3 8RA\r\n'), m.body);
    assert.ok(m.body.includes('Access: Step-free entrance; hearing loop\r\n'), m.body);
    assert.ok(m.body.includes('Trainer: Jo Mills\r\n'), m.body);
    // the trailing slash of --public-url is dropped
    assert.ok(m.body.includes(`Your bookings: ${PUBLIC}/courses.html\r\n`), m.body);
    // every line ends in CRLF; no bare LF
    assert.ok(!/[^\r]\n/.test(m.raw), 'bare LF in the message');

    // the learner's list says it was e-mailed
    const mine = await waitFor('the message marked sent', async () => {
      const x = await l.client.get('/api/me/messages');
      assert.equal(x.status, 200, x.text);
      return x.body.messages[0]?.status === 'sent' ? x.body : null;
    });
    assert.equal(mine.email_enabled, true);
    assert.equal(mine.messages.length, 1);
    assert.equal(mine.messages[0].kind, 'booking_confirmed');
    assert.equal(mine.messages[0].emailed, true);
    assert.equal(mine.messages[0].attempts, 1);
    assert.equal(mine.messages[0].subject, m.headers.subject);
    assert.ok(mine.messages[0].sent_at);
    assert.equal(mine.messages[0].last_error, undefined, 'a learner does not see errors');
  });

  test('a subject that is not ASCII is RFC 2047 encoded and decodes to the title', async () => {
    const title = 'Safeguarding in cafés — “Level 2” refresher';
    const c = await officer.post('/api/courses', {
      title, group: 'B', category: 'SPECIALIST', level: 2, duration_hours: 3,
    });
    assert.equal(c.status, 201, c.text);
    const s = await makeSession(officer, c.body.course.id);
    const l = await newLearner(srv.url, 'Leicestershire');
    assert.equal((await book(l, s.id)).status, 201);
    const m = await waitMail(sink, l.email, 'Booking confirmed');
    assert.match(m.rawHeaders.subject, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$/);
    assert.equal(m.headers.subject, `Booking confirmed: ${title}, ${londonDay(s.dates[0].starts_at)}`);
    assert.ok(m.body.includes(`Course: ${title}\r\n`), 'the body is UTF-8 8bit');
  });

  test('a waitlist promotion after a cancellation reaches the promoted learner', async () => {
    const s = await makeSession(officer, cid, { capacity: 1 });
    const [a, b] = [await newLearner(srv.url), await newLearner(srv.url)];
    assert.equal((await book(a, s.id)).status, 201);
    const w = await book(b, s.id, { waitlist: true });
    assert.equal(w.status, 201, w.text);
    assert.equal(w.body.booking.status, 'waitlisted');
    const wl = await waitMail(sink, b.email, 'On the waitlist');
    assert.ok(wl.body.includes('You are number 1 on its waitlist'), wl.body);

    const cancel = await a.client.post(`/api/bookings/${(await a.client.get('/api/sessions')).body
      .sessions.find((x) => x.id === s.id).my_booking.id}/cancel`, { reason: 'Clash with a case conference' });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(cancel.body.promoted, true);
    const p = await waitMail(sink, b.email, 'A place is free for you');
    assert.ok(p.body.includes('the place is yours'), p.body);
    const c = await waitMail(sink, a.email, 'Booking cancelled');
    assert.ok(c.body.includes('Reason: Clash with a case conference'), c.body);
    // exactly one of each
    assert.equal(mailsTo(sink, b.email, 'A place is free').length, 1);
    assert.equal(mailsTo(sink, a.email, 'Booking confirmed').length, 1);
  });

  test('a session change and a cancellation reach every booked and waitlisted learner', async () => {
    const s = await makeSession(officer, cid, { capacity: 2 });
    const ls = [await newLearner(srv.url), await newLearner(srv.url), await newLearner(srv.url)];
    assert.equal((await book(ls[0], s.id)).status, 201);
    assert.equal((await book(ls[1], s.id)).status, 201);
    assert.equal((await book(ls[2], s.id, { waitlist: true })).status, 201);
    const other = await newLearner(srv.url);   // not booked: hears nothing
    // two days in British Summer Time: written in London time (UTC+1)
    const newDates = [
      { starts_at: '2027-07-05T08:30:00Z', ends_at: '2027-07-05T14:00:00Z' },
      { starts_at: '2027-07-06T11:00:00Z', ends_at: '2027-07-06T15:45:00Z' },
    ];
    const put = await officer.request('PUT', `/api/sessions/${s.id}`, {
      json: { venue_name: 'Brookfield Centre, Hall B', dates: newDates },
    });
    assert.equal(put.status, 200, put.text);
    for (const l of ls) {
      const m = await waitMail(sink, l.email, 'Session changed');
      assert.ok(m.body.includes('Where: Brookfield Centre, Hall B, Glenfield'), m.body);
      assert.ok(m.body.includes('Dates: Monday 5 July 2027, 9:30am to 3:00pm\r\n'
        + '       Tuesday 6 July 2027, midday to 4:45pm\r\n'), m.body);
      assert.equal(m.headers.subject, 'Session changed: Recording and record keeping, Monday 5 July 2027');
    }
    const cancel = await officer.post(`/api/sessions/${s.id}/cancel`, { reason: 'Trainer unwell' });
    assert.equal(cancel.status, 200, cancel.text);
    for (const l of ls) {
      const m = await waitMail(sink, l.email, 'Session cancelled');
      assert.ok(m.body.includes('Reason: Trainer unwell'), m.body);
      assert.equal(mailsTo(sink, l.email, 'Session cancelled').length, 1);
    }
    assert.equal(mailsTo(sink, other.email).length, 0);
  });
});

describe('without an SMTP server', () => {
  let srv, officerLeics, officerHollow, admin, cid;

  before(async () => {
    srv = await startServer({ demo: true, packages: false });
    officerLeics = await signIn(srv, 'officer', 'leics');
    officerHollow = await signIn(srv, 'officer', 'hollowfield');
    admin = await signIn(srv, 'admin');
    cid = await courseId(officerLeics);
  });

  after(async () => {
    await srv?.stop();
  });

  test('messages stay pending, listed for the learner and their borough only', async () => {
    const s = await makeSession(officerLeics, cid);
    const l = await newLearner(srv.url, 'Leicestershire');
    assert.equal((await book(l, s.id)).status, 201);
    const mine = await l.client.get('/api/me/messages');
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.email_enabled, false);
    assert.equal(mine.body.messages.length, 1);
    const msg = mine.body.messages[0];
    assert.equal(msg.status, 'pending');
    assert.equal(msg.emailed, false);
    assert.equal(msg.attempts, 0);
    assert.equal(msg.kind, 'booking_confirmed');
    assert.match(msg.subject, /^Booking confirmed: Recording and record keeping, /);
    assert.ok(msg.body.includes('County Hall, Room 3'));
    assert.ok(!msg.body.includes('http'), 'no link without --public-url');

    const off = await officerLeics.get('/api/officer/messages');
    assert.equal(off.status, 200, off.text);
    const seen = off.body.messages.find((m) => m.id === msg.id);
    assert.ok(seen, 'the borough officer sees the message');
    assert.equal(seen.recipient.email, l.email);
    assert.equal(seen.recipient.id, l.user.id);
    assert.equal(seen.status, 'pending');
    assert.equal(seen.last_error, null);

    const hollow = await officerHollow.get('/api/officer/messages');
    assert.equal(hollow.status, 200, hollow.text);
    assert.ok(!hollow.body.messages.some((m) => m.id === msg.id), 'another borough does not');
    assert.ok(hollow.body.messages.every((m) => m.recipient.borough !== l.borough.name));

    const all = await admin.get('/api/officer/messages?status=pending');
    assert.ok(all.body.messages.some((m) => m.id === msg.id), 'an admin sees every message');
    const sent = await officerLeics.get('/api/officer/messages?status=sent');
    assert.equal(sent.body.messages.length, 0);

    // a learner cannot read the officers' list; bad parameters are 422
    assert.equal((await l.client.get('/api/officer/messages')).status, 403);
    for (const q of ['status=bogus', 'limit=0', 'limit=101', 'limit=x', 'before=-1', 'before=1x']) {
      const bad = await officerLeics.get(`/api/officer/messages?${q}`);
      assert.equal(bad.status, 422, `${q}: ${bad.text}`);
      assert.equal(bad.body.field, q.split('=')[0]);
    }
  });

  test('lists are newest first and page with limit and before', async () => {
    const s = await makeSession(officerLeics, cid, { capacity: 1 });
    const l = await newLearner(srv.url, 'Leicestershire');
    const w = await newLearner(srv.url, 'Leicestershire');
    assert.equal((await book(l, s.id)).status, 201);
    assert.equal((await book(w, s.id, { waitlist: true })).status, 201);
    const bid = (await l.client.get('/api/me/messages')).body.messages[0];
    assert.ok(bid);
    const mineBooking = (await l.client.get('/api/sessions')).body.sessions.find((x) => x.id === s.id).my_booking;
    assert.equal((await l.client.post(`/api/bookings/${mineBooking.id}/cancel`, { reason: 'Ill' })).status, 200);
    const list = (await l.client.get('/api/me/messages')).body.messages;
    assert.deepEqual(list.map((m) => m.kind), ['booking_cancelled', 'booking_confirmed']);
    const p1 = await l.client.get('/api/me/messages?limit=1');
    assert.equal(p1.body.messages.length, 1);
    assert.equal(p1.body.messages[0].kind, 'booking_cancelled');
    assert.equal(p1.body.next_before, p1.body.messages[0].id);
    const p2 = await l.client.get(`/api/me/messages?limit=1&before=${p1.body.next_before}`);
    assert.equal(p2.body.messages[0].kind, 'booking_confirmed');
    assert.equal(p2.body.next_before, null);
    const promoted = (await w.client.get('/api/me/messages')).body.messages;
    assert.deepEqual(promoted.map((m) => m.kind), ['waitlist_promoted', 'waitlisted']);
  });

  test('`cairn notify run` queues an expiry reminder once, and an expiry notice', async () => {
    const expiring = await newLearner(srv.url, 'Leicestershire');
    const expired = await newLearner(srv.url, 'Leicestershire');
    const fresh = await newLearner(srv.url, 'Leicestershire');
    // records completed about three years ago (the borough's refresh period)
    const daysAgo = (n) => new Date(Date.now() - n * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sql = [
      [expiring.user.id, daysAgo(3 * 365 - 20)],
      [expired.user.id, daysAgo(3 * 365 + 30)],
      [fresh.user.id, daysAgo(10)],
    ].map(([id, when]) => `INSERT INTO learner_records (user_id, kind, item_ref, title, completed_at,`
      + ` status) VALUES (${Number(id)}, 'elearning', 'cairn.basic-awareness',`
      + ` 'Introduction to safeguarding: basic awareness', '${when}', 'passed');`).join('\n');
    const py = spawnSync(PYTHON, ['-c',
      'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); c.executescript(sys.argv[2]); c.commit()',
      path.join(srv.dataDir, 'cairn.db'), sql], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);

    // the borough's plugin, with an on_expiry observer that counts what it sees
    const plugins = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-plugins-'));
    const dir = path.join(plugins, 'leicestershire-rutland');
    fs.cpSync(path.resolve(here, '..', '..', 'plugins', 'leicestershire-rutland'), dir, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'plugin.json'), 'utf8'));
    manifest.hooks.push('on_expiry');
    fs.writeFileSync(path.join(dir, 'plugin.json'), JSON.stringify(manifest));
    const init = fs.readFileSync(path.join(dir, 'init.lua'), 'utf8');
    fs.writeFileSync(path.join(dir, 'init.lua'), init.replace(/return hooks\s*$/, `
function hooks.on_expiry(event, learner)
  local key = event.kind .. ":" .. learner.email .. ":" .. event.item .. ":" .. event.expires
  cairn.storage.set(key, (cairn.storage.get(key) or 0) + 1)
end
return hooks
`));
    const run = () => runCairn(['notify', 'run', '--data', srv.dataDir, '--plugins', plugins]);
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /expiry sweep: 2 reminders queued/);
    assert.match(first.stdout, /no SMTP URL set; messages stay pending/);
    const again = await run();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /expiry sweep: 0 reminders queued/);

    const m1 = (await expiring.client.get('/api/me/messages')).body.messages;
    assert.equal(m1.length, 1, JSON.stringify(m1));
    assert.equal(m1[0].kind, 'expiry_reminder');
    assert.match(m1[0].subject, /^Training expires on \d+ \w+ \d{4}: Safeguarding children: Group 1 training$/);
    assert.ok(m1[0].body.includes('Please refresh it before then.'), m1[0].body);
    const m2 = (await expired.client.get('/api/me/messages')).body.messages;
    assert.equal(m2.length, 1, JSON.stringify(m2));
    assert.equal(m2[0].kind, 'training_expired');
    assert.match(m2[0].subject, /^Training expired: /);
    const m3 = (await fresh.client.get('/api/me/messages')).body.messages;
    assert.equal(m3.length, 0);
    // on_expiry ran once, for the expired record only
    const kv = spawnSync(PYTHON, ['-c',
      'import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1], timeout=10);'
      + ' print(json.dumps(c.execute("SELECT key, value FROM plugin_kv WHERE plugin = ?", (sys.argv[2],)).fetchall()))',
      path.join(srv.dataDir, 'cairn.db'), 'leicestershire-rutland'], { encoding: 'utf8' });
    assert.equal(kv.status, 0, kv.stderr);
    const expires = new Date(Date.now() - (3 * 365 + 30) * DAY);
    const rows = JSON.parse(kv.stdout);
    assert.equal(rows.length, 1, kv.stdout);
    assert.match(rows[0][0], new RegExp(`^expired:${expired.email.replace(/[.+]/g, '\\$&')}:single-agency-1:\\d{4}-\\d{2}-\\d{2}$`));
    assert.equal(rows[0][1], '1');
    assert.ok(Math.abs(Date.parse(rows[0][0].slice(-10)) - expires.getTime() - 3 * 365 * DAY) < 3 * DAY);
    await fs.promises.rm(plugins, { recursive: true, force: true });
    // the officer sees them too
    const off = (await officerLeics.get('/api/officer/messages')).body.messages;
    assert.ok(off.some((m) => m.recipient.id === expiring.user.id && m.kind === 'expiry_reminder'));
  });

  test('the settings are checked', async () => {
    const bad = [
      ['--smtp-url', 'http://127.0.0.1:25', '--smtp-from', FROM],
      ['--smtp-url', 'smtp://', '--smtp-from', FROM],
      ['--smtp-url', 'smtp://127.0.0.1:25'],
      ['--smtp-url', 'smtp://127.0.0.1:25', '--smtp-from', 'nobody'],
      ['--public-url', 'ftp://example.org'],
      ['--reminder-interval', '0'],
    ];
    for (const args of bad) {
      const r = await runCairn(['serve', '--data', path.join(srv.dataDir, 'unused'), ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0);
    }
    const help = await runCairn(['serve', '--help']);
    for (const opt of ['--smtp-url', '--smtp-from', '--public-url', '--reminder-interval'])
      assert.ok(help.stdout.includes(opt), opt);
  });
});

describe('when the SMTP server is down', () => {
  let srv, sink, port;

  before(async () => {
    port = await freePort();
    srv = await startServer({
      demo: true, packages: false,
      args: ['--smtp-url', `smtp://127.0.0.1:${port}`, '--smtp-from', FROM, '--smtp-retry', '1'],
    });
  });

  after(async () => {
    await srv?.stop();
    await sink?.stop();
  });

  test('a message stays pending with the error, and is delivered once it is back', async () => {
    const officer = await signIn(srv, 'officer', 'leics');
    const s = await makeSession(officer, await courseId(officer));
    const l = await newLearner(srv.url, 'Leicestershire');
    assert.equal((await book(l, s.id)).status, 201);
    const failing = await waitFor('a failed attempt', async () => {
      const r = await officer.get('/api/officer/messages');
      const m = r.body.messages.find((x) => x.recipient.email === l.email);
      return m && m.attempts >= 1 ? m : null;
    });
    assert.equal(failing.status, 'pending');
    assert.ok(failing.last_error && failing.last_error.length > 3, JSON.stringify(failing));
    assert.equal(failing.sent_at, null);

    sink = await startSink(port);
    const m = await waitMail(sink, l.email, 'Booking confirmed', 20000);
    assert.equal(m.headers.to, l.email);
    const done = await waitFor('the message marked sent', async () => {
      const r = await officer.get('/api/officer/messages?status=sent');
      return r.body.messages.find((x) => x.recipient.email === l.email);
    });
    assert.ok(done.attempts >= 2, JSON.stringify(done));
    assert.equal(done.last_error, null);
    assert.equal(mailsTo(sink, l.email).length, 1);
  });

  test('a server that refuses the recipient: retried, with the SMTP code in last_error', async () => {
    await sink.stop();
    sink = await startSink(port, { REFUSE: '550' });
    const officer = await signIn(srv, 'officer', 'leics');
    const s = await makeSession(officer, await courseId(officer));
    const l = await newLearner(srv.url, 'Leicestershire');
    assert.equal((await book(l, s.id)).status, 201);
    const m = await waitFor('a refused attempt', async () => {
      const r = await officer.get('/api/officer/messages');
      const x = r.body.messages.find((y) => y.recipient.email === l.email);
      return x && x.attempts >= 1 ? x : null;
    });
    assert.equal(m.status, 'pending');
    assert.match(m.last_error, /550/);
    assert.equal(sink.messages().length, 0);
  });
});
