// The blended journey of issue 5, through the real pages in headless
// Chromium: a course session has one place and learner A has it; learner B
// joins the waiting list on courses.html; A cancels with a reason on the
// same page (in a browser of their own) and B is promoted, which B sees on
// courses.html and messages.html; the session is moved to earlier today
// (by API: no page moves dates into the past) and the officer marks B
// attended on sessions.html; B finds the course on My record with its hours
// and certificate, gives feedback and opens the certificate; the officer
// finds B from the learners list and sees the course on B's record, and B's
// comment, without B's name, on the feedback summary. axe-core checks the
// two record pages with this real data on them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { AXE_PATH, launchBrowser, signIn } from '../lib/browser.mjs';

const TITLE = 'Recording and record keeping';
const HOUR = 3600 * 1000;
const B_NAME = 'Blessing Waitlisted';
const A_REASON = 'Clashes with a strategy meeting';
const COMMENT = 'The case studies on chronologies were the most useful part.';

/** ISO UTC, whole minutes, hours from now. */
function iso(hoursFromNow) {
  const d = new Date(Date.now() + hoursFromNow * HOUR);
  d.setUTCSeconds(0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let srv, officerAccount, officer, session, learnerA, learnerB;
let bBrowser, bPage, aBrowser, oBrowser, oPage;
let certificateHref;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  officerAccount = srv.account('officer', 'leics');
  officer = await new Client(srv.url).mustLogin(officerAccount.email, officerAccount.password);
  const courses = await officer.get('/api/courses');
  assert.equal(courses.status, 200, courses.text);
  const course = courses.body.courses.find((c) => c.title === TITLE);
  assert.ok(course, `no course ${TITLE}`);
  const r = await officer.post(`/api/courses/${course.id}/sessions`, {
    venue_name: 'County Hall, Room 3', venue_address: 'Glenfield, Leicester LE3 8RA',
    trainer: 'Jo Mills', capacity: 1, open_places: 0,
    dates: [{ starts_at: iso(240), ends_at: iso(244) }],
  });
  assert.equal(r.status, 201, r.text);
  session = r.body.session;
  learnerA = await newLearner(srv.url, 'Leicestershire', { name: 'Ade Firstbooker' });
  learnerB = await newLearner(srv.url, 'Leicestershire', { name: B_NAME });
  const booked = await learnerA.client.post(`/api/sessions/${session.id}/book`, {});
  assert.equal(booked.status, 201, booked.text);
  // axe is injected as a script: let it past the pages' Content-Security-Policy.
  bBrowser = await launchBrowser({ bypassCSP: true });
  bPage = bBrowser.page;
});

after(async () => {
  await bBrowser?.close();
  await aBrowser?.close();
  await oBrowser?.close();
  await srv?.stop();
});

/** The session's card on courses.html. */
function card(page) {
  return page.locator(`li[data-session-id="${session.id}"]`);
}

/** The value of a summary-list row on a card or record entry. */
async function value(scope, key) {
  const r = scope.locator('.govuk-summary-list__row').filter({ has: scope.page().locator('dt', { hasText: key }) });
  return (await r.locator('dd').innerText()).trim();
}

async function openCourses(page) {
  await page.goto(`${srv.url}/courses.html`);
  await page.getByRole('heading', { name: 'Face-to-face courses', level: 1 }).waitFor();
  await card(page).getByRole('heading', { name: TITLE, level: 2 }).waitFor();
}

/** The record entry (a summary card) whose heading is the course title. */
function recordEntry(page) {
  return page.locator('#record-entries > li').filter({ has: page.getByRole('heading', { name: TITLE, level: 3 }) });
}

async function axeClean(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
  assert.deepEqual(results.violations.map((v) => `${v.impact} ${v.id}: ${v.help} at ${
    v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${page.url()}`);
}

describe('blended journey: book, waitlist, promotion, attendance, feedback, record', () => {
  test('learner B finds the session full and joins the waiting list on the Courses page', async () => {
    await signIn(bPage, srv.url, learnerB.email, learnerB.password, /\/training\.html$/);
    await bPage.locator('[data-cairn-nav]').getByRole('link', { name: 'Courses' }).click();
    await bPage.waitForURL(/\/courses\.html$/);
    await card(bPage).getByRole('heading', { name: TITLE, level: 2 }).waitFor();
    assert.equal(await value(card(bPage), 'Places left'), '0 places left: this course is full');
    assert.equal(await value(card(bPage), 'Your booking'), 'Not booked');
    assert.equal(await card(bPage).getByRole('button', { name: `Book a place on ${TITLE}` }).count(), 0);

    await card(bPage).getByRole('button', { name: `Join the waiting list for ${TITLE}` }).click();
    await bPage.getByRole('alert').getByText(`You are on the waiting list for ${TITLE}`).waitFor();
    assert.equal(await value(card(bPage), 'Your booking'), 'On the waiting list, number 1');
    assert.equal(await card(bPage).getByRole('link', { name: /Add to calendar/ }).count(), 0);
  });

  test('learner A cancels with a reason on their own Courses page', async () => {
    aBrowser = await launchBrowser();
    const page = aBrowser.page;
    await signIn(page, srv.url, learnerA.email, learnerA.password, /\/training\.html$/);
    await openCourses(page);
    assert.equal(await value(card(page), 'Your booking'), 'Booked');
    await card(page).getByLabel(/Why are you cancelling\?/).fill(A_REASON);
    await card(page).getByRole('button', { name: `Cancel booking for ${TITLE}` }).click();
    await page.getByRole('alert').getByText(`Your booking for ${TITLE} is cancelled`).waitFor();
    assert.equal(await value(card(page), 'Your booking'), 'You cancelled');
    // the place went straight to B: still full
    assert.equal(await value(card(page), 'Places left'), '0 places left: this course is full');
    assert.deepEqual(aBrowser.problems, []);
    await aBrowser.close();
    aBrowser = null;
  });

  test('learner B is promoted: Courses shows the booking, Messages the promotion', async () => {
    await openCourses(bPage);
    assert.equal(await value(card(bPage), 'Your booking'), 'Booked');
    assert.equal(await card(bPage).getByRole('link', { name: `Add to calendar for ${TITLE}` }).count(), 1);

    await bPage.locator('[data-cairn-nav]').getByRole('link', { name: 'Messages' }).click();
    await bPage.waitForURL(/\/messages\.html$/);
    const list = bPage.locator('#messages');
    await list.waitFor();
    // newest first: the promotion, then the waiting-list message
    const headings = await list.getByRole('heading', { level: 2 }).allInnerTexts();
    assert.equal(headings.length, 2, JSON.stringify(headings));
    assert.match(headings[0], new RegExp(`^A place is free for you: ${TITLE}, `));
    assert.match(headings[1], new RegExp(`^On the waitlist: ${TITLE}, `));
    const newest = list.locator('li').first();
    assert.match(await newest.innerText(), /you were next on the waitlist: the place is yours/);
    assert.match(await value(newest, 'Email'), /^Not sent by email/);
  });

  test('the officer marks B attended on the session page', async () => {
    // Booking needs a session that has not begun, attendance one that has:
    // move it to earlier today.
    const start = iso(-5);
    const moved = await officer.request('PUT', `/api/sessions/${session.id}`, {
      json: { dates: [{ starts_at: start, ends_at: iso(-1) }], booking_deadline: iso(-6) },
    });
    assert.equal(moved.status, 200, moved.text);

    oBrowser = await launchBrowser({ bypassCSP: true });
    oPage = oBrowser.page;
    await signIn(oPage, srv.url, officerAccount.email, officerAccount.password);
    await oPage.locator('[data-cairn-nav]').getByRole('link', { name: 'Sessions' }).click();
    await oPage.waitForURL(/\/sessions\.html$/);
    const row = oPage.locator(`#sessions-body tr[data-session-id="${session.id}"]`);
    await row.getByRole('link', { name: new RegExp(`^${TITLE}`) }).click();
    await oPage.waitForURL(new RegExp(`/sessions\\.html\\?session=${session.id}$`));
    await oPage.getByRole('heading', { name: TITLE, level: 2 }).waitFor();

    const booking = oPage.locator('#bookings-table tbody tr').filter({ hasText: B_NAME });
    await booking.waitFor();
    assert.match(await booking.innerText(), /Booked/);
    const group = oPage.getByRole('group', { name: B_NAME });
    await group.getByLabel('Attended', { exact: true }).check();
    await oPage.getByRole('button', { name: /^Save attendance/ }).click();
    const banner = oPage.getByRole('alert').filter({ hasText: 'Attendance saved' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /1 learner marked, 4 hours in all/);
    assert.equal(await oPage.locator('.govuk-error-summary').count(), 0);
  });

  test('learner B sees the course on My record with hours and a certificate, and gives feedback', async () => {
    await bPage.locator('[data-cairn-nav]').getByRole('link', { name: 'My record' }).click();
    await bPage.waitForURL(/\/record\.html$/);
    const entry = recordEntry(bPage);
    await entry.waitFor();
    assert.equal(await entry.count(), 1);
    assert.equal(await value(entry, 'Kind'), 'Face-to-face course');
    assert.equal(await value(entry, 'Hours'), '4 hours');
    assert.equal(await value(entry, 'Status'), 'Attended');
    const cert = entry.getByRole('link', { name: new RegExp(`^View certificate for ${TITLE}`) });
    certificateHref = await cert.getAttribute('href');
    assert.match(certificateHref, /^\/certificate\.html\?code=/);

    await entry.getByRole('link', { name: `Give feedback on ${TITLE}` }).click();
    await bPage.waitForURL(new RegExp(`/feedback\\.html\\?session=${session.id}$`));
    await bPage.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    const form = bPage.locator('#feedback-form');
    await form.waitFor();
    // sending with nothing chosen: each scale is named in the error summary
    await bPage.getByRole('button', { name: 'Send feedback' }).click();
    const summary = bPage.locator('.govuk-error-summary');
    await summary.getByRole('link', { name: 'Choose how useful it was, from 1 to 5' }).waitFor();

    await bPage.getByRole('group', { name: 'How useful was it to you?' }).getByLabel('4', { exact: true }).check();
    await bPage.getByRole('group', { name: 'Before, how confident were you about its aims?' })
      .getByLabel('2', { exact: true }).check();
    await bPage.getByRole('group', { name: 'Now, how confident are you about its aims?' })
      .getByLabel('5 – Very confident').check();
    await bPage.getByLabel('Anything else you want to tell us? (optional)').fill(COMMENT);
    await bPage.getByRole('button', { name: 'Send feedback' }).click();
    await bPage.getByRole('heading', { name: 'Feedback sent', level: 1 }).waitFor();
    assert.match(await bPage.locator('#sent').innerText(), new RegExp(`Thank you for your feedback on ${TITLE}`));
    assert.equal(await bPage.locator('.govuk-error-summary').count(), 0);

    // the record now thanks instead of asking
    await bPage.goto(`${srv.url}/record.html`);
    await recordEntry(bPage).waitFor();
    assert.match(await value(recordEntry(bPage), 'Links'), /You gave feedback\. Thank you\./);
    assert.equal(await bPage.getByRole('link', { name: `Give feedback on ${TITLE}` }).count(), 0);
  });

  test('the certificate link opens B\'s certificate for the course', async () => {
    await recordEntry(bPage).getByRole('link', { name: new RegExp(`^View certificate for ${TITLE}`) }).click();
    await bPage.waitForURL(/\/certificate\.html\?code=/);
    assert.equal(new URL(bPage.url()).pathname + new URL(bPage.url()).search, certificateHref);
    const certificate = bPage.getByRole('article', { name: 'Certificate of training' });
    await certificate.waitFor();
    assert.equal((await certificate.locator('#learner').innerText()).trim(), B_NAME);
    assert.equal((await certificate.locator('#title').innerText()).trim(), TITLE);
    assert.match(await certificate.innerText(), /4 hours/);
  });

  test('the officer finds B in the learners list and sees the course on B\'s record', async () => {
    await oPage.locator('[data-cairn-nav]').getByRole('link', { name: 'Learners' }).click();
    await oPage.waitForURL(/\/officer\.html/);
    await oPage.getByRole('link', { name: B_NAME }).click();
    await oPage.waitForURL(new RegExp(`/learner\\.html\\?id=${learnerB.user.id}$`));
    await oPage.getByRole('heading', { name: B_NAME, level: 1 }).waitFor();
    const entry = recordEntry(oPage);
    await entry.waitFor();
    assert.equal(await value(entry, 'Kind'), 'Face-to-face course');
    assert.equal(await value(entry, 'Hours'), '4 hours');
    assert.equal(await value(entry, 'Status'), 'Attended');
    const cert = entry.getByRole('link', { name: new RegExp(`^View certificate for ${TITLE}`) });
    assert.equal(await cert.getAttribute('href'), certificateHref);
    assert.equal(await entry.getByRole('link', { name: /Give feedback/ }).count(), 0, 'feedback is the learner\'s');
  });

  test('the feedback summary shows one response with B\'s comment, without B\'s name', async () => {
    await oPage.locator('[data-cairn-nav]').getByRole('link', { name: 'Feedback', exact: true }).click();
    await oPage.waitForURL(/\/feedback-summary\.html$/);
    await oPage.getByLabel('Session', { exact: true }).check();
    await oPage.getByRole('button', { name: 'Show', exact: true }).click();
    await oPage.waitForURL(/\/feedback-summary\.html\?by=session$/);
    const section = oPage.getByRole('region', { name: TITLE })
      .filter({ has: oPage.locator(`a[href="/sessions.html?session=${session.id}"]`) });
    await section.waitFor();
    const figures = section.getByRole('table', { name: `Figures for ${TITLE}` });
    const cell = async (key) => (await figures.getByRole('row', { name: new RegExp(`^${key}`) })
      .getByRole('cell').innerText()).trim();
    assert.equal(await cell('Responses'), '1 of 1 who attended (100%)');
    assert.equal(await cell('How useful'), '4 out of 5');
    assert.equal(await cell('Confidence before'), '2 out of 5');
    assert.equal(await cell('Confidence after'), '5 out of 5');
    assert.equal(await cell('Change in confidence'), '+3 points');
    await section.getByRole('heading', { name: 'Comments (1)' }).waitFor();
    const comments = section.getByRole('listitem');
    assert.deepEqual((await comments.allInnerTexts()).map((t) => t.trim()), [COMMENT]);
    const text = await section.innerText();
    assert.ok(!text.includes(B_NAME) && !text.includes('Blessing') && !text.includes(learnerB.email),
      `the comment is anonymous: ${text}`);
  });

  test('axe-core finds no violations on the two record pages with this data', async () => {
    await bPage.goto(`${srv.url}/record.html`);
    await recordEntry(bPage).waitFor();
    await axeClean(bPage);
    await oPage.goto(`${srv.url}/learner.html?id=${learnerB.user.id}`);
    await recordEntry(oPage).waitFor();
    await oPage.locator('#evidence-section:not([hidden])').waitFor();
    await axeClean(oPage);
    assert.deepEqual([...bBrowser.problems, ...oBrowser.problems], []);
  });
});
