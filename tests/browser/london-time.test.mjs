// Times on pages read in Europe/London whatever the browser's time zone:
// the browser here runs in America/New_York (5 hours behind London in
// winter, 4 in summer once both have changed clocks), and a session on
// courses.html (learner) and sessions.html (officer) must show London's
// wall clock, as the email and the calendar invitation do. One session is
// in summer (BST, UTC+1) and one in winter (GMT); their booking deadlines
// are London midnight, which in New York is still the day before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { forgetUser, launchBrowser, signIn } from '../lib/browser.mjs';

const TITLE = 'Recording and record keeping';

// UTC instants and what London's clock says at them.
const CASES = {
  summer: {
    dates: [{ starts_at: '2027-07-14T08:30:00Z', ends_at: '2027-07-14T15:00:00Z' }],
    deadline: '2027-07-12T23:00:00Z',
    span: 'Wednesday 14 July 2027, 9:30am to 4:00pm',
    bookBy: '13 July 2027 at midnight',
    hidden: ', Wednesday 14 July 2027',
  },
  winter: {
    dates: [{ starts_at: '2027-01-13T09:30:00Z', ends_at: '2027-01-13T16:00:00Z' }],
    deadline: '2027-01-12T00:00:00Z',
    span: 'Wednesday 13 January 2027, 9:30am to 4:00pm',
    bookBy: '12 January 2027 at midnight',
    hidden: ', Wednesday 13 January 2027',
  },
};

let srv, browser, page, officerAccount, learner;
const sessions = {};

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  officerAccount = srv.account('officer', 'leics');
  const officer = await new Client(srv.url).mustLogin(officerAccount.email, officerAccount.password);
  const course = (await officer.get('/api/courses')).body.courses.find((c) => c.title === TITLE);
  assert.ok(course, `no course ${TITLE}`);
  for (const [name, c] of Object.entries(CASES)) {
    const r = await officer.post(`/api/courses/${course.id}/sessions`, {
      venue_name: `County Hall, ${name} room`, venue_address: 'Glenfield, Leicester LE3 8RA',
      capacity: 6, dates: c.dates, booking_deadline: c.deadline,
    });
    assert.equal(r.status, 201, r.text);
    sessions[name] = r.body.session;
  }
  learner = await newLearner(srv.url, 'Leicestershire', { name: 'Far Away' });
  browser = await launchBrowser({ timezoneId: 'America/New_York' });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

/** The text of a summary list row's value under host. */
async function value(host, key) {
  const r = host.locator('.govuk-summary-list__row').filter({ has: page.locator('dt', { hasText: key }) });
  return (await r.locator('dd').innerText()).trim();
}

describe('times read in London from a browser in New York', () => {
  test('the browser really is in New York', async () => {
    await page.goto(`${srv.url}/login.html`);
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.equal(zone, 'America/New_York');
    // 9:30 in London in summer is 4:30 in New York: the page must not show that
    assert.equal(await page.evaluate(() => new Date('2027-07-14T08:30:00Z').getHours()), 4);
  });

  test('courses.html shows the London times to a learner', async () => {
    await signIn(page, srv.url, learner.email, learner.password, /\/training\.html$/);
    await page.goto(`${srv.url}/courses.html`);
    await page.getByRole('heading', { name: 'Face-to-face courses', level: 1 }).waitFor();
    for (const [name, c] of Object.entries(CASES)) {
      const card = page.locator(`li[data-session-id="${sessions[name].id}"]`);
      await card.waitFor();
      assert.equal(await value(card, 'Date'), c.span, name);
      assert.equal(await value(card, 'Book by'), c.bookBy, name);
    }
  });

  test('sessions.html shows the London times to an officer, in the list and the session', async () => {
    await forgetUser(page);
    await signIn(page, srv.url, officerAccount.email, officerAccount.password);
    for (const [name, c] of Object.entries(CASES)) {
      const id = sessions[name].id;
      await page.goto(`${srv.url}/sessions.html?limit=100`);
      const row = page.locator(`#sessions-body tr[data-session-id="${id}"]`);
      await row.waitFor();
      const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
      assert.equal(cells[0], c.span, name);
      assert.equal((await row.locator('th .govuk-visually-hidden').textContent()), c.hidden, name);

      await page.goto(`${srv.url}/sessions.html?session=${id}`);
      const detail = page.locator('dl.govuk-summary-list').first();
      await page.getByRole('heading', { name: TITLE, level: 2 }).waitFor();
      assert.equal(await value(detail, 'Date'), c.span, name);
      assert.equal(await value(detail, 'Book by'), c.bookBy, name);
    }
  });

  test('no page errors', () => {
    assert.deepEqual(browser.problems, []);
  });
});
