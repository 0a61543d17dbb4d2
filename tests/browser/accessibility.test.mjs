// axe-core on Cairn's pages at desktop and phone width: any serious or
// critical violation fails; the others are printed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { AXE_PATH, forgetUser, launchBrowser, signIn } from '../lib/browser.mjs';
import { GOLF12, training } from '../lib/scorm.mjs';

const WIDTHS = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]];

// who: null (signed out), 'learner' or 'officer'; ready: what shows once the
// page has loaded its data.
const PAGES = [
  ['index', '/', null, 'main h1'],
  ['login', '/login.html', null, '#login-form'],
  ['register', '/register.html', null, '#organisation'],
  ['training', '/training.html', 'learner', '#modules:not([hidden])'],
  ['officer', '/officer.html', 'officer', '#learners-table'],
  ['learners, sorted', '/officer.html?sort=last_activity&order=desc&limit=1', 'officer', '#learners-table th[aria-sort="descending"]'],
  ['records', '/records.html', 'officer', '#records-table tbody tr'],
  ['question analytics', '/analytics.html?package=PKG', 'officer', '#analytics:not([hidden])'],
  ['upload', '/upload.html', 'officer', 'main form'],
  ['courses', '/courses.html', 'learner', '#sessions:not([hidden])'],
  ['sessions', '/sessions.html', 'officer', '#overview:not([hidden])'],
  ['session', '/sessions.html?session=SID', 'officer', '#bookings-table'],
  ['feedback list', '/feedback.html', 'learner', '#list:not([hidden])'],
  ['feedback form', '/feedback.html?session=ATTENDED', 'learner', '#feedback-form:not([hidden])'],
  ['feedback summary', '/feedback-summary.html?by=session', 'officer', '#groups section'],
  ['messages (officer)', '/messages.html', 'officer', '#messages:not([hidden])'],
  ['messages', '/messages.html', 'learner', '#messages:not([hidden])'],
  ['record', '/record.html', 'learner', '#record:not([hidden])'],
  ['certificate', '/certificate.html?code=CERT', 'learner', '#certificate:not([hidden])'],
  ['learner (officer)', '/learner.html?id=LID', 'officer', '#evidence-section:not([hidden])'],
  ['verify', '/verify/CERT', null, '#result:not([hidden])'],
  ['verify, unknown code', '/verify/ABCD-EFGH-JKMN', null, '#verify-form'],
  // The player around third-party content: the content itself is not Cairn's.
  ['player', '/play.html?package=PKG', 'learner', '#content-frame[src^="/content/"]'],
];

let srv, browser, page, learner, packageId, bookedSessionId, attendedSessionId, certificateCode, signedInAs = null;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  learner = await newLearner(srv.url, 'Leicestershire', { name: 'Axe Learner' });
  packageId = (await training(learner.client, GOLF12)).package_id;
  await courseSessions();
  await attendedSession();
  // attending the whole session gave the learner a certificate
  const record = await learner.client.get('/api/me/record');
  certificateCode = record.body.entries.find((e) => e.certificate)?.certificate.code;
  assert.ok(certificateCode, record.text);
  // axe is injected as a script: let it past the pages' Content-Security-Policy.
  browser = await launchBrowser({ bypassCSP: true });
  page = browser.page;
});

/** Two sessions for courses.html and sessions.html: one the learner has booked, one open. */
async function courseSessions() {
  const o = srv.account('officer', 'leics');
  const officer = await new Client(srv.url).mustLogin(o.email, o.password);
  const course = (await officer.get('/api/courses')).body.courses[0];
  const day = (n, h) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 11) + `${h}:00:00Z`;
  for (const [n, capacity] of [[10, 1], [20, 8]]) {
    const r = await officer.post(`/api/courses/${course.id}/sessions`, {
      venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
      access_notes: 'Step-free entrance; hearing loop', capacity, dates: [{ starts_at: day(n, 10), ends_at: day(n, 16) }],
    });
    assert.equal(r.status, 201, r.text);
    if (n === 10) {
      const b = await learner.client.post(`/api/sessions/${r.body.session.id}/book`, {});
      assert.equal(b.status, 201, b.text);
      bookedSessionId = r.body.session.id;
    }
  }
}

/** A past session the learner attended (feedback.html asks about it) and
 * another learner gave feedback on (feedback-summary.html shows it). */
async function attendedSession() {
  const o = srv.account('officer', 'leics');
  const officer = await new Client(srv.url).mustLogin(o.email, o.password);
  const course = (await officer.get('/api/courses')).body.courses[0];
  const day = (n, h) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 11) + `${h}:00:00Z`;
  const r = await officer.post(`/api/courses/${course.id}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA', trainer: 'Jo Mills',
    capacity: 5, dates: [{ starts_at: day(5, 10), ends_at: day(5, 16) }],
  });
  assert.equal(r.status, 201, r.text);
  const id = r.body.session.id;
  const other = await newLearner(srv.url, 'Leicestershire');
  for (const l of [learner, other])
    assert.equal((await l.client.post(`/api/sessions/${id}/book`, {})).status, 201);
  const moved = await officer.request('PUT', `/api/sessions/${id}`,
    { json: { dates: [{ starts_at: day(-2, 10), ends_at: day(-2, 16) }], booking_deadline: day(-3, 10) } });
  assert.equal(moved.status, 200, moved.text);
  for (const l of [learner, other]) {
    const m = await officer.post(`/api/sessions/${id}/attendance`,
      { date_id: moved.body.session.dates[0].id, user_id: l.user.id, status: 'attended' });
    assert.equal(m.status, 200, m.text);
  }
  const f = await other.client.post('/api/feedback', { session_id: id, usefulness: 4, confidence_before: 2,
    confidence_after: 4, comments: 'Clear and practical.' });
  assert.equal(f.status, 201, f.text);
  attendedSessionId = id;
}

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function becomes(who) {
  if (signedInAs === who)
    return;
  await forgetUser(page);
  if (who === 'learner')
    await signIn(page, srv.url, learner.email, learner.password);
  else if (who === 'officer') {
    const o = srv.account('officer', 'leics');
    await signIn(page, srv.url, o.email, o.password);
  }
  signedInAs = who;
}

function describeNode(n) {
  return `    ${n.target.join(' ')}\n      ${(n.failureSummary || '').split('\n').join('\n      ')}`;
}

describe('accessibility (axe-core)', () => {
  for (const [name, path, who, ready] of PAGES) {
    for (const [widthName, viewport] of WIDTHS) {
      test(`${name} page at ${widthName} width (${viewport.width} px)`, async (t) => {
        await becomes(who);
        await page.setViewportSize(viewport);
        const target = path.replace('PKG', packageId).replace('SID', bookedSessionId).replace('ATTENDED', attendedSessionId)
          .replace('CERT', certificateCode).replace('LID', learner.user.id);
        await page.goto(srv.url + target);
        await page.waitForLoadState('networkidle');
        await page.locator(ready).first().waitFor();
        assert.equal(new URL(page.url()).pathname, new URL(srv.url + target).pathname, 'not sent elsewhere');
        await page.addScriptTag({ path: AXE_PATH });
        const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
        const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        const minor = results.violations.filter((v) => !bad.includes(v));
        for (const v of minor)
          t.diagnostic(`${v.impact} ${v.id}: ${v.help} (${v.nodes.length})\n${v.nodes.map(describeNode).join('\n')}`);
        assert.deepEqual(bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map(describeNode).join('\n')}`), []);
      });
    }
  }

  test('the check itself can fail: axe finds the golf launch page\'s untitled frame', async () => {
    await becomes('learner');
    await page.goto(`${srv.url}/content/${packageId}/1/shared/launchpage.html`);
    await page.addScriptTag({ path: AXE_PATH });
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
    assert.ok(results.violations.some((v) => v.id === 'frame-title'), JSON.stringify(results.violations.map((v) => v.id)));
  });
});
