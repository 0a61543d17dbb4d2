// Course sessions through sessions.html, for an officer: a learner books a
// session (then moved to earlier today, so attendance can be marked); the
// officer finds it in the list, sees the learner among the bookings, marks
// "partly attended, 90 minutes", and the learner's record shows 1.5 hours.
// A wrong minutes value is an error; a second session is cancelled after
// confirming.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { launchBrowser, signIn } from '../lib/browser.mjs';

const TITLE = 'Recording and record keeping';
const HOUR = 3600 * 1000;

/** ISO UTC, whole minutes, hours from now. */
function iso(hoursFromNow) {
  const d = new Date(Date.now() + hoursFromNow * HOUR);
  d.setUTCSeconds(0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let srv, browser, page, officer, learner, session, other;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('officer', 'leics');
  officer = await new Client(srv.url).mustLogin(a.email, a.password);
  const course = (await officer.get('/api/courses')).body.courses.find((c) => c.title === TITLE);
  assert.ok(course, `no course ${TITLE}`);
  const make = async (venue) => {
    const r = await officer.post(`/api/courses/${course.id}/sessions`, {
      venue_name: venue, venue_address: 'Glenfield, Leicester LE3 8RA', capacity: 4,
      dates: [{ starts_at: iso(72), ends_at: iso(76) }],
    });
    assert.equal(r.status, 201, r.text);
    return r.body.session;
  };
  session = await make('County Hall, Room 3');
  other = await make('County Hall, Room 7');
  learner = await newLearner(srv.url, 'Leicestershire', { name: 'Partly Present' });
  const b = await learner.client.post(`/api/sessions/${session.id}/book`, {});
  assert.equal(b.status, 201, b.text);
  // Booking needs a session that has not begun; attendance one that has:
  // move the booked session to earlier today.
  const start = iso(-3);
  const moved = await officer.request('PUT', `/api/sessions/${session.id}`, {
    json: { dates: [{ starts_at: start, ends_at: iso(-1) }], booking_deadline: start },
  });
  assert.equal(moved.status, 200, moved.text);
  session = moved.body.session;
  browser = await launchBrowser({ viewport: { width: 360, height: 800 } });
  page = browser.page;
  await signIn(page, srv.url, a.email, a.password);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('course sessions page (officer)', () => {
  test('the officer finds the session in the list through the navigation', async () => {
    const nav = page.locator('[data-cairn-nav] a[href="/sessions.html"]');
    await nav.waitFor({ state: 'attached' });
    assert.equal(await nav.textContent(), 'Sessions');
    await page.goto(`${srv.url}/sessions.html`);
    await page.getByRole('heading', { name: 'Course sessions', level: 1 }).waitFor();
    const row = page.locator(`#sessions-body tr[data-session-id="${session.id}"]`);
    await row.waitFor();
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    assert.equal(cells[1], 'County Hall, Room 3');
    assert.deepEqual(cells.slice(2, 5), ['4', '1', '0']);
    assert.equal(cells[5], 'Scheduled');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
    const link = row.getByRole('link', { name: new RegExp(`^${TITLE}`) });
    await link.click();
    await page.waitForURL(new RegExp(`/sessions\\.html\\?session=${session.id}$`));
    await page.getByRole('heading', { name: TITLE, level: 2 }).waitFor();
  });

  test('the learner is in the bookings list', async () => {
    const r = page.locator(`#bookings-table tbody tr[data-user-id]`).filter({ hasText: 'Partly Present' });
    await r.waitFor();
    assert.match(await r.innerText(), new RegExp(learner.email.replace(/[.+]/g, '\\$&')));
    assert.match(await r.innerText(), /Booked/);
  });

  test('partly attended needs the minutes as a whole number', async () => {
    const group = page.getByRole('group', { name: 'Partly Present' });
    await group.getByLabel('Partly attended').check();
    const minutes = group.getByLabel('Minutes attended');
    await minutes.waitFor();
    await minutes.fill('an hour');
    await page.getByRole('button', { name: /^Save attendance/ }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.getByRole('link', { name: /Enter how many minutes Partly Present attended/ }).waitFor();
    assert.match(await page.title(), /^Error: /);
  });

  test('the officer marks partly attended, 90 minutes; the record shows 1.5 hours', async () => {
    const group = page.getByRole('group', { name: 'Partly Present' });
    await group.getByLabel('Minutes attended').fill('90');
    await page.getByRole('button', { name: /^Save attendance/ }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Attendance saved' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /1 learner marked, 1\.5 hours in all/);
    assert.equal(await page.locator('.govuk-error-summary').count(), 0);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');

    const record = await learner.client.get('/api/me/record');
    assert.equal(record.status, 200, record.text);
    const entry = record.body.entries.find((e) => e.kind === 'face_to_face' && e.session_id === session.id);
    assert.ok(entry, record.text);
    assert.equal(entry.hours, 1.5);
    assert.equal(entry.title, TITLE);
  });

  test('an error from the server shows in the error summary', async () => {
    // More minutes than the date lasts (2 hours): the server refuses.
    const group = page.getByRole('group', { name: 'Partly Present' });
    await group.getByLabel('Minutes attended').fill('500');
    await page.getByRole('button', { name: /^Save attendance/ }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.getByText(/Attendance for Partly Present was not saved/).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('govuk-error-summary')), true);
  });

  test('another session is cancelled after confirming, with a reason', async () => {
    await page.goto(`${srv.url}/sessions.html?session=${other.id}`);
    await page.getByRole('heading', { name: TITLE, level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Cancel this session' }).click();
    await page.getByRole('button', { name: 'Yes, cancel this session' }).click();
    await page.locator('.govuk-error-summary').getByRole('link', { name: 'Enter why the session is cancelled' }).waitFor();
    await page.getByLabel('Why is the session cancelled?').fill('Trainer unwell');
    await page.getByRole('button', { name: 'Yes, cancel this session' }).click();
    await page.getByRole('alert').getByText(`${TITLE} is cancelled`).waitFor();
    assert.match(await page.locator('.govuk-summary-list__row', { hasText: 'Status' }).innerText(), /Cancelled\s+Trainer unwell/);
    assert.equal(await page.getByRole('button', { name: 'Cancel this session' }).count(), 0);
    const list = await officer.get('/api/officer/sessions');
    assert.equal(list.body.sessions.find((s) => s.id === other.id).status, 'cancelled');
    assert.deepEqual(browser.problems, []);
  });
});
