// Face-to-face courses through courses.html: an officer makes a session
// with one place; a learner books it and gets the calendar invitation; a
// second learner finds it full and joins the waiting list; the first cancels
// with a reason and the second is promoted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { forgetUser, launchBrowser, signIn } from '../lib/browser.mjs';

const TITLE = 'Recording and record keeping';
const DAY = 24 * 3600 * 1000;

/** ISO UTC, whole seconds, days from now at a given time. */
function at(daysFromNow, hour, minute = 0) {
  const d = new Date(Date.now() + daysFromNow * DAY);
  d.setUTCHours(hour, minute, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let srv, browser, page, session, first, second;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('officer', 'leics');
  const officer = await new Client(srv.url).mustLogin(a.email, a.password);
  const courses = await officer.get('/api/courses');
  assert.equal(courses.status, 200, courses.text);
  const course = courses.body.courses.find((c) => c.title === TITLE);
  assert.ok(course, `no course ${TITLE}`);
  const r = await officer.post(`/api/courses/${course.id}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
    access_notes: 'Step-free entrance; hearing loop', trainer: 'Jo Mills',
    capacity: 1, open_places: 0, cancel_notice_hours: 48,
    dates: [{ starts_at: at(12, 9, 30), ends_at: at(12, 15, 30) }],
  });
  assert.equal(r.status, 201, r.text);
  session = r.body.session;
  first = await newLearner(srv.url, 'Leicestershire', { name: 'First Booker' });
  second = await newLearner(srv.url, 'Leicestershire', { name: 'Second Booker' });
  browser = await launchBrowser({ viewport: { width: 360, height: 800 } });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function openAs(learner) {
  await forgetUser(page);
  await signIn(page, srv.url, learner.email, learner.password, /\/training\.html$/);
  const nav = page.locator('[data-cairn-nav] a[href="/courses.html"]');
  await nav.waitFor({ state: 'attached' });
  assert.equal(await nav.textContent(), 'Courses');
  await page.goto(`${srv.url}/courses.html`);
  await page.waitForURL(/\/courses\.html$/);
  await page.getByRole('heading', { name: 'Face-to-face courses', level: 1 }).waitFor();
  await card().waitFor();
}

function card() {
  return page.locator(`li[data-session-id="${session.id}"]`);
}

async function value(key) {
  const r = card().locator('.govuk-summary-list__row').filter({ has: page.locator('dt', { hasText: key }) });
  return (await r.locator('dd').innerText()).trim();
}

describe('face-to-face courses page', () => {
  test('a learner sees the session in plain English and books the one place', async () => {
    await openAs(first);
    assert.equal(await card().getByRole('heading', { name: TITLE, level: 2 }).count(), 1);
    assert.match(await value('Date'), /^\w+day \d{1,2} \w+ \d{4}, \d{1,2}:\d\d(am|pm) to \d{1,2}:\d\d(am|pm)$/);
    assert.match(await value('Venue'), /County Hall, Room 3\s+Glenfield, Leicester LE3 8RA/);
    assert.equal(await value('Access'), 'Step-free entrance; hearing loop');
    assert.equal(await value('Places left'), '1 place left');
    assert.match(await value('Book by'), / at /);
    assert.equal(await value('Your booking'), 'Not booked');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');

    await card().getByRole('button', { name: `Book a place on ${TITLE}` }).click();
    await page.getByRole('alert').getByText(`You have booked a place on ${TITLE}`).waitFor();
    assert.equal(await value('Places left'), '0 places left: this course is full');
    assert.equal(await value('Your booking'), 'Booked');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'done');
  });

  test('the calendar link gives the invitation with the session title', async () => {
    const link = card().locator('a[href$="/invite.ics"]');
    assert.equal(await link.textContent(), `Add to calendar for ${TITLE}`);
    const href = await link.getAttribute('href');
    assert.match(href, /^\/api\/bookings\/\d+\/invite\.ics$/);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.match(download.suggestedFilename(), /\.ics$/);
    const r = await page.request.get(srv.url + href);
    assert.equal(r.status(), 200);
    assert.match(r.headers()['content-type'], /^text\/calendar/);
    const ics = (await r.text()).replace(/\r\n[ \t]/g, '');
    assert.match(ics, /BEGIN:VEVENT/);
    assert.ok(ics.includes(`SUMMARY:${TITLE}`), ics);
  });

  test('a second learner finds it full, is refused a place, and joins the waiting list', async () => {
    await openAs(second);
    assert.equal(await value('Places left'), '0 places left: this course is full');
    assert.equal(await card().getByRole('button', { name: `Book a place on ${TITLE}` }).count(), 0);

    await card().getByRole('button', { name: `Join the waiting list for ${TITLE}` }).click();
    await page.getByRole('alert').getByText(`You are on the waiting list for ${TITLE}`).waitFor();
    assert.equal(await value('Your booking'), 'On the waiting list, number 1');
    assert.equal(await card().getByRole('link', { name: /Add to calendar/ }).count(), 0);
  });

  test('a refused booking shows the server\'s reason', async () => {
    // A page that does not know of the waiting-list place: the server
    // refuses (409 already_booked) and the page shows its reason.
    const again = await second.client.post(`/api/sessions/${session.id}/book`, { waitlist: true });
    assert.equal(again.status, 409, again.text);
    const reason = again.body.error;
    assert.ok(reason);
    await page.route('**/api/sessions', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      for (const s of body.sessions) s.my_booking = null;
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await card().getByRole('button', { name: `Join the waiting list for ${TITLE}` }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    assert.ok((await summary.innerText()).includes(reason), await summary.innerText());
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('govuk-error-summary')), true);
    await page.unroute('**/api/sessions');
  });

  test('the first learner cancels with a reason; an empty reason is an error', async () => {
    await openAs(first);
    await card().getByRole('button', { name: `Cancel booking for ${TITLE}` }).click();
    await page.locator('.govuk-error-summary').getByRole('link', { name: 'Enter why you are cancelling' }).waitFor();
    assert.match(await page.title(), /^Error: /);
    await card().getByLabel(/Why are you cancelling\?/).fill('Clashes with a child protection conference');
    await card().getByRole('button', { name: `Cancel booking for ${TITLE}` }).click();
    await page.getByRole('alert').getByText(`Your booking for ${TITLE} is cancelled`).waitFor();
    assert.equal(await page.locator('.govuk-error-summary').count(), 0);
    assert.equal(await value('Your booking'), 'You cancelled');
  });

  test('the second learner\'s page now shows booked (promoted from the waiting list)', async () => {
    await openAs(second);
    assert.equal(await value('Your booking'), 'Booked');
    assert.equal(await value('Places left'), '0 places left: this course is full');
    assert.equal(await card().locator('a[href$="/invite.ics"]').count(), 1);
    assert.deepEqual(browser.problems, []);
  });
});
