// Data protection in the browser: a partnership user's figures page (axe at
// desktop and phone width), an admin granting and revoking access and
// setting a retention period, an officer's audit log, erasure with its
// confirmation step on the learner's page, and a learner downloading their
// data from My record.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner, uniqueEmail } from '../lib/client.mjs';
import { AXE_PATH, forgetUser, launchBrowser, signIn } from '../lib/browser.mjs';

const WIDTHS = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 375, height: 740 }]];
let srv, browser, page, partner, learner, admin, officer;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  partner = { email: uniqueEmail('partner'), password: 'partnership password' };
  await srv.addUser({ ...partner, name: 'Pat Partnership', role: 'partnership' });
  learner = await newLearner(srv.url, 'Leicestershire', { name: 'Robin Erasable' });
  const a = srv.account('admin');
  admin = a;
  officer = srv.account('officer', 'leics');
  // an officer's view, for the audit log
  const o = await new Client(srv.url).mustLogin(officer.email, officer.password);
  assert.equal((await o.get(`/api/officer/learners/${learner.user.id}/record`)).status, 200);
  browser = await launchBrowser({ bypassCSP: true });   // axe is injected as a script
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function as(account, landing) {
  await forgetUser(page);
  await signIn(page, srv.url, account.email, account.password, landing);
}

async function axe() {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('data protection pages', () => {
  test('a partnership user lands on the figures, with no names, and passes axe', async () => {
    await as(partner, /\/partnership\.html/);
    const table = page.getByRole('table', { name: 'Learners and training by borough' });
    await table.waitFor();
    const rows = await table.locator('tbody tr').count();
    assert.equal(rows, 3);
    const text = await page.locator('main').innerText();
    assert.ok(!text.includes('Robin Erasable') && !text.includes(learner.email));
    assert.ok(text.includes('Learners you have been granted access to'));
    assert.equal(await page.getByRole('link', { name: 'Partnership figures' }).count(), 1);
    for (const [name, viewport] of WIDTHS) {
      await page.setViewportSize(viewport);
      assert.deepEqual(await axe(), [], `axe at ${name} width`);
    }
    await page.setViewportSize(WIDTHS[0][1]);
    if (process.env.CAIRN_SCREENSHOT_DIR)
      await page.screenshot({ path: `${process.env.CAIRN_SCREENSHOT_DIR}/partnership.png`, fullPage: true });
    // an officer's page is refused them: they are sent back to their own
    await page.goto(`${srv.url}/officer.html`);
    await page.waitForURL(/\/partnership\.html/);
  });

  test('an admin grants access (errors first), the partnership user sees the learner, the admin revokes it', async () => {
    await as(admin, /\/dashboard\.html/);
    await page.goto(`${srv.url}/partnership.html`);
    await page.getByRole('heading', { name: 'Grants to partnership users' }).waitFor();
    assert.deepEqual(await axe(), []);
    await page.getByRole('button', { name: 'Grant access' }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Enter the partnership user’s email address/);
    await summary.getByRole('link', { name: /email address/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'grant-email');

    await page.getByLabel('Partnership user’s email address').fill(partner.email);
    await page.getByLabel('Learner’s number').fill(String(learner.user.id));
    const until = new Date(Date.now() + 5 * 86400000).toISOString().slice(0, 10);
    await page.getByLabel('Last day of access').fill(until);
    await page.getByLabel('Reason').fill('Case review 7');
    await page.getByRole('button', { name: 'Grant access' }).click();
    await page.getByText('Access granted').waitFor();
    const grantRow = page.locator('#grants-body tr', { hasText: 'Robin Erasable' });
    await grantRow.waitFor();

    // the partnership user now sees them, read-only
    const p = await new Client(srv.url).mustLogin(partner.email, partner.password);
    assert.equal((await p.get(`/api/officer/learners/${learner.user.id}/record`)).status, 200);

    await grantRow.getByRole('button', { name: /Revoke/ }).click();
    await page.getByText('Grant revoked').waitFor();
    assert.equal((await p.get(`/api/officer/learners/${learner.user.id}/record`)).status, 403);

    // a retention period: a bad one is refused, then one is saved
    const field = page.getByLabel('Hollowfield (London): months without activity');
    await field.fill('0');
    await page.getByRole('button', { name: 'Save retention periods' }).click();
    await page.locator('[data-retention-errors] .govuk-error-summary').waitFor();
    await field.fill('36');
    await page.getByRole('button', { name: 'Save retention periods' }).click();
    await page.getByText('Retention periods saved').waitFor();
    const a = await new Client(srv.url).mustLogin(admin.email, admin.password);
    const listed = (await a.get('/api/admin/retention')).body.boroughs;
    assert.equal(listed.find((b) => b.slug === 'hollowfield').retention_months, 36);
  });

  test('an officer reads their borough\'s audit log', async () => {
    await as(officer, /\/dashboard\.html/);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(/\/audit\.html/);
    const row = page.locator('#audit-body tr', { hasText: 'Priya Shah' }).first();
    await row.waitFor();
    assert.match(await row.innerText(), /Priya Shah \(officer\)\tViewed the record\tRobin Erasable\tLeicestershire and Rutland/);
    // so is the partnership user's view under the grant
    assert.match(await page.locator('#audit-body tr', { hasText: 'Pat Partnership' }).first().innerText(),
      /\(partnership\)\tViewed the record\tRobin Erasable/);
    // the admin's grant and revoke concern this borough's learner: the officer sees them too
    await page.locator('#audit-body tr', { hasText: 'Revoked access' }).first().waitFor();
    assert.deepEqual(await axe(), []);
    await page.getByLabel('What was done').selectOption('erase');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await page.getByText('No entries match').waitFor();
  });

  test('an officer erases a learner after confirming, and the page says so', async () => {
    await page.goto(`${srv.url}/learner.html?id=${learner.user.id}`);
    await page.getByRole('heading', { name: 'Robin Erasable' }).waitFor();
    await page.getByRole('button', { name: 'Erase personal data' }).click();
    const form = page.locator('#erase-form');
    await form.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'erase-reason');
    await page.getByRole('button', { name: 'Erase now' }).click();
    const errors = page.locator('[data-erase-errors] .govuk-error-summary');
    await errors.waitFor();
    assert.match(await errors.innerText(), /Enter why the data is being erased/);
    assert.match(await errors.innerText(), /Confirm that you understand/);
    assert.deepEqual(await axe(), []);
    await page.getByLabel('Why the data is being erased').fill('Request from the learner by email');
    await page.getByLabel('I understand that this cannot be undone').check();
    await page.getByRole('button', { name: 'Erase now' }).click();
    await page.getByText('Personal data erased').waitFor();
    await page.getByRole('heading', { name: `Anonymised learner #${learner.user.id}` }).waitFor();
    assert.equal(await page.locator('#erase-section').isHidden(), true);
  });

  test('a learner downloads their data from My record', async () => {
    const other = await newLearner(srv.url, 'Leicestershire', { name: 'Dana Download' });
    await as({ email: other.email, password: other.password }, /\/training\.html/);
    await page.goto(`${srv.url}/record.html`);
    await page.getByRole('heading', { name: 'Download my data' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /as a spreadsheet \(CSV\)/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'cairn-my-data.csv');
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.match(text, /^section,row,field,value\r\n/);
    assert.ok(text.includes(`account,1,email,${other.email}`));
    assert.ok(!text.includes('Robin'));
    assert.deepEqual(await axe(), []);
  });
});
