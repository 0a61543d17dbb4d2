// The officers' dashboard and training needs pages in chromium: they render
// the API's figures (the bars drawn under the pages' Content-Security-Policy,
// the same figures in tables), axe-core finds no violation at desktop and
// phone width, ordering organisations by gap works, and a screenshot of the
// dashboard is saved (its path is printed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer } from '../lib/server.mjs';
import { Client, boroughs, uniqueEmail } from '../lib/client.mjs';
import { AXE_PATH, launchBrowser, signIn } from '../lib/browser.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';

const WIDTHS = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]];
const BA_TITLE = 'Introduction to safeguarding: basic awareness';

let srv, officer, officerClient, hollow, shots;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  hollow = (await boroughs(srv.url)).find((b) => b.name.startsWith('Hollowfield'));
  officer = srv.account('officer', 'hollowfield');
  officerClient = await new Client(srv.url).mustLogin(officer.email, officer.password);
  // The basic awareness module, so that evidence of it expires by Hollowfield's rule.
  const ad = srv.account('admin');
  const admin = await new Client(srv.url).mustLogin(ad.email, ad.password);
  const zip = makeZip([
    { name: 'imsmanifest.xml', data: manifest12({ identifier: 'cairn.basic-awareness', title: BA_TITLE }) },
    { name: 'index.html', data: '<html><body>Basic awareness</body></html>' },
  ]);
  const up = await admin.post('/api/packages?filename=ba.zip', undefined, { body: zip, contentType: 'application/zip' });
  assert.equal(up.status, 201, up.text);
  // Three learners in two organisations: one in date, one expired, one with nothing.
  const add = async (org, role, name) => {
    const c = new Client(srv.url);
    const r = await c.register({ name, email: uniqueEmail('dash'), password: 'a long enough password',
      borough_id: hollow.id, organisation_id: hollow.organisations[org].id, job_role: role });
    assert.equal(r.status, 201, r.text);
    return r.body.user;
  };
  const a = await add(0, 'Library volunteer', 'Dana Dash');
  const b = await add(1, 'Teacher', 'Dev Dash');
  await add(1, 'Teacher', 'Dora Dash');
  const recent = new Date(Date.now() - 5 * 86400000).toISOString().slice(0, 10);
  for (const [u, on] of [[a, recent], [b, '2019-03-01']]) {
    const r = await officerClient.post(`/api/officer/learners/${u.id}/evidence`,
      { kind: 'elearning', title: BA_TITLE, provider: 'Test', hours: 3, completed_on: on });
    assert.equal(r.status, 201, r.text);
  }
  shots = process.env.CAIRN_SCREENSHOT_DIR || await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-dashboard-'));
});

after(async () => {
  await srv?.stop();
});

describe('the dashboard page', () => {
  let browser, page;
  before(async () => {
    browser = await launchBrowser();     // the real Content-Security-Policy
    page = browser.page;
    await signIn(page, srv.url, officer.email, officer.password);
  });
  after(async () => {
    await browser?.close();
  });

  test('shows the API\'s figures, bars drawn and the same figures in tables', async () => {
    const api = (await officerClient.get('/api/officer/dashboard')).body;
    await page.goto(`${srv.url}/dashboard.html`);
    await page.locator('#dashboard:not([hidden])').waitFor();
    assert.equal(await page.locator('#scope-caption').textContent(), hollow.name);
    const nav = page.locator('[data-cairn-nav] a').first();
    assert.equal((await nav.textContent()).trim(), 'Dashboard');
    assert.equal(await nav.getAttribute('aria-current'), 'page');
    const cards = await page.locator('#cards li').allTextContents();
    assert.match(cards[0], /^Learners3/);
    assert.equal(api.learners, 3);
    assert.match(cards[2], /^Learners overdue1/);
    // The organisations' table, hidden in a details until opened, has the API's numbers.
    const rows = await page.locator('#organisations-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    const scouts = rows.find((r) => r[0] === hollow.organisations[1].name);
    const apiScouts = api.by_organisation.find((o) => o.id === hollow.organisations[1].id);
    // name, in date, expired, overdue, not yet due, learners, required, gap
    assert.deepEqual(scouts, [hollow.organisations[1].name, String(apiScouts.in_date), String(apiScouts.expired),
      String(apiScouts.overdue), String(apiScouts.not_yet_due), '2', '4', String(apiScouts.gap)]);
    assert.equal(apiScouts.expired, 1);
    // The bars have widths: the CSP did not stop them being drawn.
    const parts = page.locator('[data-chart="organisations"] .cairn-chart__part--expired');
    assert.equal(await parts.count(), 1);
    const box = await parts.first().boundingBox();
    assert.ok(box && box.width > 5, JSON.stringify(box));
    assert.deepEqual(browser.problems, []);
    for (const [name, viewport] of WIDTHS) {
      await page.setViewportSize(viewport);
      const file = path.join(shots, `dashboard-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10000);
      console.log(`screenshot: ${file}`);
    }
  });

  test('training needs: ordered by largest gap on request', async () => {
    await page.setViewportSize(WIDTHS[0][1]);
    await page.goto(`${srv.url}/tna.html`);
    await page.locator('#tna:not([hidden])').waitFor();
    const first = () => page.locator('#organisations section h3').first().textContent();
    // by name first: "Hollowfield Library volunteers" (gap 1) before "Hollowfield Primary School"
    assert.notEqual(await first(), hollow.organisations[1].name);
    await page.getByLabel('Order organisations by').selectOption('gap');
    assert.equal(await first(), hollow.organisations[1].name);    // gap 4, the largest
    assert.match(page.url(), /order=gap/);
    const totals = await page.locator('#totals-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    // Group and level, need it, in date, share, expired, not trained, gap
    assert.deepEqual(totals, [
      ['Group A', '1', '0', '0%', '0', '1', '1'],
      ['Group B', '2', '0', '0%', '0', '2', '2'],
      ['No group or level', '3', '1', '33%', '1', '1', '2'],
    ]);
    // the same figures download as a spreadsheet, through the page's own link
    const link = page.getByRole('link', { name: 'Download the analysis as a spreadsheet (CSV)' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.match(download.suggestedFilename(), /^cairn-training-needs-\d{4}-\d{2}-\d{2}\.csv$/);
    assert.match(text, /^organisation,borough,group,level,required,in_date,expired,untrained,gap\r\n/);
    assert.match(text, /\r\nAll organisations,[^\r\n]*,B,,2,0,0,2,2\r\n/);
  });
});

describe('accessibility of the report pages (axe-core)', () => {
  let browser, page;
  before(async () => {
    browser = await launchBrowser({ bypassCSP: true });     // axe is injected as a script
    page = browser.page;
    await signIn(page, srv.url, officer.email, officer.password);
  });
  after(async () => {
    await browser?.close();
  });

  for (const [pagePath, ready] of [['/dashboard.html', '#dashboard:not([hidden])'], ['/tna.html', '#tna:not([hidden])']]) {
    for (const [name, viewport] of WIDTHS) {
      test(`${pagePath} at ${name} width: no violations`, async () => {
        await page.setViewportSize(viewport);
        await page.goto(srv.url + pagePath);
        await page.locator(ready).waitFor();
        // open every details, so the tables inside are checked too
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
        await page.addScriptTag({ path: AXE_PATH });
        const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        assert.deepEqual(results.violations.map((v) => `${v.impact} ${v.id}: ${v.help} ` +
          v.nodes.map((n) => n.target.join(' ')).join(', ')), []);
      });
    }
  }
});
