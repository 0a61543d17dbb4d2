// Import training records (import.html) and Charges (charges.html) in a
// browser, as an officer on a phone: check a file, import it, waive a
// charge; axe-core finds no serious or critical problem on either page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { AXE_PATH, launchBrowser, signIn } from '../lib/browser.mjs';

const PHONE = { width: 390, height: 844 };
const HOUR = 3600 * 1000, DAY = 24 * HOUR;
let srv, browser, page, officerAccount, learner, other;

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A no-show by an Eastmere learner, so the charges page has a row. */
async function noShow(officer, who) {
  const course = (await officer.get('/api/courses')).body.courses[0];
  let start = Date.now() + 10 * DAY;
  let r = await officer.post(`/api/courses/${course.id}/sessions`, {
    venue_name: 'Quayside Centre', venue_address: '1 Harbour Road', capacity: 5,
    dates: [{ starts_at: iso(start), ends_at: iso(start + 6 * HOUR) }] });
  assert.equal(r.status, 201, r.text);
  const s = r.body.session;
  assert.equal((await who.client.post(`/api/sessions/${s.id}/book`, {})).status, 201);
  start = Date.now() - 2 * DAY;
  r = await officer.request('PUT', `/api/sessions/${s.id}`, { json: {
    dates: [{ starts_at: iso(start), ends_at: iso(start + 6 * HOUR) }], booking_deadline: iso(start - DAY) } });
  assert.equal(r.status, 200, r.text);
  r = await officer.post(`/api/sessions/${s.id}/attendance`,
    { date_id: r.body.session.dates[0].id, user_id: who.user.id, status: 'no_show' });
  assert.equal(r.status, 200, r.text);
  return course;
}

async function axe(t) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of results.violations.filter((x) => !bad.includes(x)))
    t.diagnostic(`${v.impact} ${v.id}: ${v.help}`);
  assert.deepEqual(bad.map((v) => `${v.impact} ${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
}

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  officerAccount = srv.account('officer', 'eastmere');
  const officer = await new Client(srv.url).mustLogin(officerAccount.email, officerAccount.password);
  learner = await newLearner(srv.url, 'Eastmere', { name: 'Morgan Quay' });
  other = await newLearner(srv.url, 'Leicestershire');
  await noShow(officer, learner);
  browser = await launchBrowser({ bypassCSP: true, viewport: PHONE });
  page = browser.page;
  await signIn(page, srv.url, officerAccount.email, officerAccount.password);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('import training records', () => {
  test('check a file, see every line, import it', async (t) => {
    await page.goto(`${srv.url}/import.html`);
    await page.getByRole('heading', { name: 'Import training records' }).waitFor();
    await axe(t);
    // nothing chosen: the error summary links to the file field
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.locator('.govuk-error-summary a[href="#csv-file"]').waitFor();
    assert.equal(await page.title(), 'Error: Import training records – Cairn');

    const csv = 'email,item,date,hours,kind\n' +
      `${learner.email},Basic awareness,2024-03-01,3,elearning\n` +
      `${other.email},Basic awareness,2024-03-01,3,elearning\n` +
      `${learner.email},Safer recruitment,31/02/2024,6,course\n`;
    await page.setInputFiles('#csv-file', { name: 'history.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.locator('#report:not([hidden])').waitFor();
    const rows = await page.locator('#rows-body tr').allInnerTexts();
    assert.equal(rows.length, 3);
    assert.match(rows[0], /Will be imported/);
    assert.match(rows[1], /Left out[\s\S]*no learner with this email in your borough/);
    assert.match(rows[2], /Left out[\s\S]*is not a date/);
    await axe(t);

    await page.getByRole('button', { name: 'Import 1 record' }).click();
    await page.getByRole('heading', { name: '1 record imported' }).waitFor();
    assert.match(await page.locator('#rows-body tr').first().innerText(), /Imported/);

    // the same file again: nothing new
    await page.getByRole('button', { name: 'Check the file' }).click();
    await page.getByText('There is nothing new to import from this file.').waitFor();
    assert.match(await page.locator('#rows-body tr').first().innerText(), /Already there[\s\S]*already recorded/);
  });
});

describe('charges', () => {
  test('the no-show is listed with its amount and can be waived', async (t) => {
    await page.goto(`${srv.url}/charges.html`);
    await page.locator('#list:not([hidden])').waitFor();
    await axe(t);
    const row = page.locator('#charges-body tr', { hasText: 'Morgan Quay' });
    assert.match(await row.innerText(), /Did not attend[\s\S]*£25\.00[\s\S]*Flagged/);
    await row.getByRole('button', { name: /^Waive/ }).click();
    await page.getByRole('heading', { name: 'Charge waived' }).waitFor();
    assert.match(await page.locator('#charges-body tr', { hasText: 'Morgan Quay' }).innerText(), /Waived/);

    await page.goto(`${srv.url}/charges.html?status=flagged`);
    await page.getByText('There are no flagged charges.').waitFor();
    assert.equal(await page.locator('#status').inputValue(), 'flagged');
  });
});
