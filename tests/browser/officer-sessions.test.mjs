// Officers managing courses, sessions and bookings in the browser, on a
// phone-sized screen: add a course (course-new.html), schedule a session of
// it over two dates entered in London time (session-edit.html), see it in
// the list, change it, move a learner's booking to another session of the
// course and cancel another learner's booking (sessions.html), and page
// through the list.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { AXE_PATH, forgetUser, launchBrowser, signIn } from '../lib/browser.mjs';

const TITLE = 'Safer sleep advice for childminders';
const WIDTH = 360;

/** "YYYY-MM-DD" in London, days from now. */
function londonDay(daysFromNow) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() + daysFromNow * 86400000));
}

/** An ISO UTC time as "YYYY-MM-DD HH:MM" in London. */
function inLondon(iso) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

async function noSidewaysScroll(page) {
  assert.ok(await page.evaluate((w) => document.documentElement.scrollWidth <= w, WIDTH),
    `no sideways scrolling at ${WIDTH} px on ${page.url()}`);
}

/** axe-core on the page as it is: no serious or critical violation. */
async function axeCheck(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
    `axe on ${page.url()}`);
}

let srv, browser, page, officer, account, session, other, mover, canceller;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  account = srv.account('officer', 'leics');
  officer = await new Client(srv.url).mustLogin(account.email, account.password);
  // the browser in UTC: what the officer types is London time all the same
  browser = await launchBrowser({ viewport: { width: WIDTH, height: 800 }, timezoneId: 'UTC', bypassCSP: true });
  page = browser.page;
  await signIn(page, srv.url, account.email, account.password);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('an officer manages courses and sessions', () => {
  test('adds a course; a missing title and group are shown in the error summary', async () => {
    await page.goto(`${srv.url}/sessions.html`);
    await page.getByRole('link', { name: 'Add a course' }).click();
    await page.getByRole('heading', { name: 'Add a course', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add the course' }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.getByRole('link', { name: 'Enter the course title' }).waitFor();
    assert.ok(await summary.getByRole('link', { name: 'Choose the group the course is for' }).isVisible());
    assert.match(await page.title(), /^Error: /);
    await summary.getByRole('link', { name: 'Enter the course title' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'title');
    await axeCheck(page);

    await page.getByLabel('Course title').fill(TITLE);
    await page.getByLabel('Group B').check();
    await page.getByLabel('Core').check();
    await page.getByLabel('Level 1').check();
    await page.getByLabel('Length in hours').fill('3');
    await page.getByLabel('Aims (optional)').fill('Give parents consistent, current advice on safe sleep.');
    await page.getByRole('button', { name: 'Add the course' }).click();
    await page.getByRole('alert').getByText(`${TITLE} is added`).waitFor();
    await noSidewaysScroll(page);
    const course = (await officer.get('/api/courses')).body.courses.find((c) => c.title === TITLE);
    assert.ok(course, 'the course is in the catalogue');
    assert.deepEqual([course.group, course.category, course.level, course.duration_hours],
      ['B', 'CORE', 1, 3]);

    const schedule = await page.getByRole('link', { name: 'Schedule a session of this course' }).getAttribute('href');
    assert.equal(schedule, `/session-edit.html?course=${course.id}`);

    // the same title and level again: the API's 409 is shown at the title
    await page.getByLabel('Course title').fill(TITLE);
    await page.getByLabel('Group B').check();
    await page.getByLabel('Core').check();
    await page.getByLabel('Level 1').check();
    await page.getByLabel('Length in hours').fill('3');
    await page.getByRole('button', { name: 'Add the course' }).click();
    await page.locator('.govuk-error-summary').getByRole('link', { name: /already a course/ }).waitFor();
    await page.goto(`${srv.url}${schedule}`);
  });

  test('schedules a session over two dates, in London time', async () => {
    await page.waitForURL(/\/session-edit\.html\?course=\d+$/);
    await page.getByRole('heading', { name: 'Schedule a session', level: 1 }).waitFor();
    const course = page.getByLabel('Course');
    await course.locator('option', { hasText: TITLE }).waitFor({ state: 'attached' });
    assert.match(await course.locator('option:checked').innerText(), new RegExp(`^${TITLE}`));

    // a third date row is added and removed again
    await page.getByRole('button', { name: 'Add another date' }).click();
    await page.getByRole('button', { name: 'Add another date' }).click();
    assert.equal(await page.getByRole('group', { name: /^Date \d$/ }).count(), 3);
    await page.getByRole('button', { name: 'Remove date 3' }).click();
    assert.equal(await page.getByRole('group', { name: /^Date \d$/ }).count(), 2);

    const day1 = londonDay(20), day2 = londonDay(21);
    const d1 = page.getByRole('group', { name: 'Date 1' });
    await d1.getByLabel('Day').fill(day1);
    await d1.getByLabel('Starts').fill('09:30');
    await d1.getByLabel('Ends').fill('12:30');
    const d2 = page.getByRole('group', { name: 'Date 2' });
    await d2.getByLabel('Day').fill(day2);
    await d2.getByLabel('Starts').fill('13:00');
    await d2.getByLabel('Ends').fill('12:00');
    await page.getByLabel('Number of places').fill('12');
    await page.getByRole('button', { name: 'Schedule the session' }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.getByRole('link', { name: 'Date 2 must end after it starts' }).waitFor();
    assert.ok(await summary.getByRole('link', { name: 'Enter the venue name' }).isVisible());
    await summary.getByRole('link', { name: 'Enter the venue name' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'venue_name');
    await axeCheck(page);

    await d2.getByLabel('Ends').fill('16:00');
    await page.getByLabel('Venue name').fill('Wigston Library, Room 2');
    await page.getByLabel('Address').fill('Bull Head Street, Wigston LE18 1PA');
    await page.getByLabel('Access notes (optional)').fill('Lift to the first floor');
    await page.getByLabel('Trainer (optional)').fill('Sam Patel');
    await page.getByLabel('Places open to other boroughs').fill('2');
    // a deadline after the start: the API's 422 is shown at the deadline
    await page.getByRole('group', { name: 'Booking deadline (optional)' }).getByLabel('Date').fill(londonDay(25));
    await page.getByRole('group', { name: 'Booking deadline (optional)' }).getByLabel('Time').fill('17:00');
    await page.getByRole('button', { name: 'Schedule the session' }).click();
    await summary.getByRole('link', { name: /booking deadline must not be after/ }).waitFor();
    await page.getByRole('group', { name: 'Booking deadline (optional)' }).getByLabel('Date').fill(londonDay(18));
    await page.getByRole('button', { name: 'Schedule the session' }).click();

    await page.waitForURL(/\/sessions\.html\?session=\d+&done=scheduled$/);
    await page.getByRole('alert').getByText('The session is scheduled').waitFor();
    const id = Number(new URL(page.url()).searchParams.get('session'));
    session = (await officer.get(`/api/sessions/${id}/bookings`)).body.session;
    assert.equal(session.course.title, TITLE);
    assert.deepEqual(session.dates.map((d) => [inLondon(d.starts_at), inLondon(d.ends_at)]),
      [[`${day1} 09:30`, `${day1} 12:30`], [`${day2} 13:00`, `${day2} 16:00`]]);
    assert.equal(inLondon(session.booking_deadline), `${londonDay(18)} 17:00`);
    assert.deepEqual([session.capacity, session.open_places, session.cancel_notice_hours], [12, 2, 48]);
    assert.equal(session.venue.access_notes, 'Lift to the first floor');
    assert.equal(session.trainer, 'Sam Patel');
    await noSidewaysScroll(page);
  });

  test('the session is in the list', async () => {
    await page.goto(`${srv.url}/sessions.html`);
    const row = page.locator(`#sessions-body tr[data-session-id="${session.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(TITLE));
    assert.match(await row.innerText(), /Wigston Library, Room 2/);
    await noSidewaysScroll(page);
    await axeCheck(page);
  });

  test('changes the session: the form is filled in, and the change is saved', async () => {
    await page.goto(`${srv.url}/sessions.html?session=${session.id}`);
    await page.getByRole('link', { name: 'Change session details' }).click();
    await page.waitForURL(/\/session-edit\.html\?session=\d+$/);
    const d2 = page.getByRole('group', { name: 'Date 2' });
    await d2.getByLabel('Starts').waitFor();
    assert.equal(await d2.getByLabel('Starts').inputValue(), '13:00');
    assert.equal(await page.getByLabel('Venue name').inputValue(), 'Wigston Library, Room 2');
    assert.equal(await page.getByLabel('Course').isDisabled(), true);
    await page.getByLabel('Trainer (optional)').fill('Ruth Okafor');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/done=changed$/);
    await page.getByRole('alert').getByText('The session is changed').waitFor();
    const now = (await officer.get(`/api/sessions/${session.id}/bookings`)).body.session;
    assert.equal(now.trainer, 'Ruth Okafor');
    assert.equal(now.sequence, session.sequence + 1);
    assert.deepEqual(now.dates.map((d) => d.starts_at), session.dates.map((d) => d.starts_at));
  });
});

describe('an officer moves and cancels learners\' bookings', () => {
  before(async () => {
    const r = await officer.post(`/api/courses/${session.course.id}/sessions`, {
      venue_name: 'Oadby Library', venue_address: 'Sandhurst Street, Oadby LE2 5AR', capacity: 6,
      dates: [{ starts_at: new Date(Date.now() + 30 * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ends_at: new Date(Date.now() + 30 * 86400000 + 3 * 3600000).toISOString().replace(/\.\d{3}Z$/, 'Z') }],
    });
    assert.equal(r.status, 201, r.text);
    other = r.body.session;
    mover = await newLearner(srv.url, 'Leicestershire', { name: 'Morgan Mover' });
    canceller = await newLearner(srv.url, 'Leicestershire', { name: 'Casey Cancelled' });
    for (const l of [mover, canceller]) {
      const b = await l.client.post(`/api/sessions/${session.id}/book`, {});
      assert.equal(b.status, 201, b.text);
      l.booking = b.body.booking;
    }
  });

  test('moves a booking to another session of the course', async () => {
    await page.goto(`${srv.url}/sessions.html?session=${session.id}`);
    const row = page.locator('#bookings-table tbody tr', { hasText: 'Morgan Mover' });
    await row.getByRole('button', { name: 'Move Morgan Mover’s booking' }).click();
    await page.getByRole('heading', { name: 'Move Morgan Mover’s booking', level: 2 }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'booking-action-title');
    await page.getByRole('button', { name: 'Move the booking' }).click();
    await page.locator('.govuk-error-summary').getByRole('link', { name: 'Choose the session Morgan Mover should move to' }).waitFor();
    const group = page.getByRole('group', { name: 'Which session should Morgan Mover move to?' });
    const choice = group.getByRole('radio');
    assert.equal(await choice.count(), 1, 'one other session of the course');
    assert.match(await group.innerText(), /Oadby Library/);
    await axeCheck(page);
    await choice.check();
    await page.getByLabel('Reason (optional)').fill('Asked for a later date');
    await page.getByRole('button', { name: 'Move the booking' }).click();
    await page.getByRole('alert').getByText('Morgan Mover’s booking is moved').waitFor();
    // here: among the cancelled bookings now; there: booked, moved from here
    assert.equal(await page.locator('#bookings-table tbody tr', { hasText: 'Morgan Mover' }).count(), 0);
    assert.match(await page.locator('#cancelled-table tbody tr', { hasText: 'Morgan Mover' }).innerText(), /Cancelled/);
    const there = (await officer.get(`/api/sessions/${other.id}/bookings`)).body.bookings;
    const moved = there.find((b) => b.learner.name === 'Morgan Mover');
    assert.ok(moved, JSON.stringify(there));
    assert.equal(moved.status, 'booked');
    assert.equal(moved.moved_from, session.id);
    await noSidewaysScroll(page);
  });

  test('cancels a booking after confirming, with a reason; it is not a late cancellation', async () => {
    const row = page.locator('#bookings-table tbody tr', { hasText: 'Casey Cancelled' });
    await row.getByRole('button', { name: 'Cancel Casey Cancelled’s booking' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the booking' }).click();
    await page.locator('.govuk-error-summary').getByRole('link', { name: 'Enter why Casey Cancelled’s booking is cancelled' }).waitFor();
    await page.getByLabel('Why is Casey Cancelled’s booking cancelled?').fill('Left the organisation');
    await page.getByRole('button', { name: 'Yes, cancel the booking' }).click();
    await page.getByRole('alert').getByText('Casey Cancelled’s booking is cancelled').waitFor();
    const b = await canceller.client.get('/api/sessions?limit=200');
    const mine = b.body.sessions.find((s) => s.id === session.id).my_booking;
    assert.equal(mine.status, 'cancelled');
    const list = (await officer.get(`/api/sessions/${session.id}/bookings`)).body.cancelled;
    const c = list.find((x) => x.learner.name === 'Casey Cancelled');
    assert.equal(c.reason, 'Left the organisation');
    assert.equal(c.late_cancellation, false);
  });

  test('the list pages with Next and Previous', async () => {
    await page.goto(`${srv.url}/sessions.html?limit=1`);
    const rows = page.locator('#sessions-body tr[data-session-id]');
    await rows.first().waitFor();
    const first = await rows.first().getAttribute('data-session-id');
    assert.equal(await page.getByRole('link', { name: 'Previous page of sessions' }).count(), 0);
    await page.getByRole('link', { name: 'Next page of sessions' }).click();
    await page.waitForURL(/after=/);
    await page.waitForFunction((id) => {
      const r = document.querySelector('#sessions-body tr[data-session-id]');
      return r && r.getAttribute('data-session-id') !== id;
    }, first);
    const second = await rows.first().getAttribute('data-session-id');
    assert.notEqual(second, first);
    await page.getByRole('link', { name: 'Previous page of sessions' }).click();
    await page.waitForURL(/before=/);
    await page.waitForFunction((id) => {
      const r = document.querySelector('#sessions-body tr[data-session-id]');
      return r && r.getAttribute('data-session-id') === id;
    }, first);
  });

  test('the learner\'s course list pages too, and offers to remove the old session from the calendar', async () => {
    await forgetUser(page);
    await signIn(page, srv.url, mover.email, mover.password);
    await page.goto(`${srv.url}/courses.html?limit=1`);
    const cards = page.locator('#sessions > *');
    await cards.first().waitFor();
    // soonest first: the session the booking moved from, with a calendar cancellation
    const remove = page.getByRole('link', { name: `Remove from your calendar ${TITLE}` });
    assert.equal(await remove.getAttribute('href'), `/api/bookings/${mover.booking.id}/invite.ics`);
    assert.equal(await page.getByRole('link', { name: 'Previous page of courses' }).count(), 0);
    await page.getByRole('link', { name: 'Next page of courses' }).click();
    await page.waitForURL(/after=/);
    await page.getByRole('link', { name: `Add to calendar for ${TITLE}` }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Remove from your calendar' }).count(), 0);
    assert.ok(await page.getByRole('link', { name: 'Previous page of courses' }).isVisible());
    assert.deepEqual(browser.problems, []);
  });
});
