// The officers' Learners and Records lists in a browser: the filter form puts
// the filters in the URL, the sort buttons in the headers set aria-sort,
// pagination goes through every learner once, "Export CSV" carries the same
// filters; then Records. axe-core finds no serious or critical problem.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, boroughs, uniqueEmail } from '../lib/client.mjs';
import { AXE_PATH, launchBrowser, signIn } from '../lib/browser.mjs';

let srv, browser, page, officer;
const NAMES = ['Abe Ash', 'Bea Birch', 'Cal Cedar', 'Dee Dale', 'Eve Elm'];

async function axe(t) {
  await page.addScriptTag({ path: AXE_PATH });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of results.violations.filter((x) => !bad.includes(x)))
    t.diagnostic(`${v.impact} ${v.id}: ${v.help}`);
  assert.deepEqual(bad.map((v) => `${v.impact} ${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
}

const rowNames = () => page.locator('#learners-body th[scope=row]').allInnerTexts();

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const leics = (await boroughs(srv.url)).find((b) => b.name.startsWith('Leicestershire'));
  const o = srv.account('officer', 'leics');
  officer = await new Client(srv.url).mustLogin(o.email, o.password);
  for (const [i, name] of NAMES.entries()) {
    const c = new Client(srv.url);
    const r = await c.register({ name, email: uniqueEmail('list'), password: 'correct horse battery',
      borough_id: leics.id, organisation_id: leics.organisations[i % 2].id, job_role: 'Volunteer' });
    assert.equal(r.status, 201, r.text);
    const e = await officer.post(`/api/officer/learners/${r.body.user.id}/evidence`,
      { title: `Safer recruitment ${i}`, kind: 'external', hours: 2, completed_on: `2025-0${i + 1}-15` });
    assert.equal(e.status, 201, e.text);
  }
  browser = await launchBrowser({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = browser.page;
  await signIn(page, srv.url, o.email, o.password);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('the learners list', () => {
  test('filtering puts the filters in the URL', async (t) => {
    await page.goto(`${srv.url}/officer.html`);
    await page.locator('#learners-table').waitFor();
    await page.getByLabel('Filter by name or email').fill('test.example');
    await page.getByLabel('Job role').fill('volunteer');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/q=test\.example/);
    assert.match(page.url(), /job_role=volunteer/);
    await page.locator('#learners-table').waitFor();
    assert.deepEqual(await rowNames(), NAMES);
    assert.equal(await page.getByLabel('Job role').inputValue(), 'volunteer');
    assert.match(await page.locator('#filter-count').innerText(), /^5 learners$/);
    const href = await page.getByRole('link', { name: /Export CSV/ }).getAttribute('href');
    assert.equal(href, '/api/officer/learners?q=test.example&job_role=volunteer&format=csv');
    await axe(t);
  });

  test('the header buttons sort, and say so with aria-sort', async () => {
    const nameHeader = page.locator('#learners-head th').filter({ hasText: 'Name' });
    assert.equal(await nameHeader.getAttribute('aria-sort'), 'ascending');
    await nameHeader.getByRole('button').click();
    await page.waitForURL(/sort=name&order=desc/);
    await page.locator('#learners-table').waitFor();
    assert.deepEqual(await rowNames(), [...NAMES].reverse());
    assert.equal(await page.locator('#learners-head th').filter({ hasText: 'Name' }).getAttribute('aria-sort'), 'descending');
    await page.locator('#learners-head th').filter({ hasText: 'Last activity' }).getByRole('button').click();
    await page.waitForURL(/sort=last_activity&order=asc/);
    await page.locator('#learners-table').waitFor();
    assert.deepEqual(await rowNames(), NAMES);
    assert.equal(await page.locator('#learners-head th').filter({ hasText: 'Last activity' }).getAttribute('aria-sort'), 'ascending');
    assert.equal(await page.locator('#learners-head th').filter({ hasText: 'Name' }).getAttribute('aria-sort'), 'none');
  });

  test('pages of two go through everyone once', async () => {
    await page.goto(`${srv.url}/officer.html?q=test.example&limit=2`);
    const seen = [];
    for (let i = 0; i < 3; i++) {
      await page.locator('#learners-table').waitFor();
      seen.push(...await rowNames());
      const next = page.getByRole('link', { name: /Next/ });
      if (i < 2) {
        await next.click();
        await page.waitForURL(new RegExp(`offset=${(i + 1) * 2}`));
      } else {
        assert.equal(await next.count(), 0);
      }
    }
    assert.deepEqual(seen, NAMES);
    assert.equal(await page.getByRole('link', { name: 'Page 3' }).getAttribute('aria-current'), 'page');
  });

  test('a bad value in the URL is shown on its field', async () => {
    await page.goto(`${srv.url}/officer.html?registered_from=2025-02-30`);
    await page.locator('.govuk-error-summary').waitFor();
    assert.match(await page.locator('.govuk-error-summary').innerText(), /registered_from must be a date/);
    assert.equal(await page.locator('#registered-from-error').count(), 1);
  });
});

describe('the records list', () => {
  test('latest first, filtered by title, with Records in the menu', async (t) => {
    await page.goto(`${srv.url}/officer.html`);
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Records', exact: true }).click();
    await page.waitForURL(/\/records\.html$/);
    await page.locator('#records-table tbody tr').first().waitFor();
    const learners = (await page.locator('#records-body th[scope=row]').allInnerTexts()).filter((n) => NAMES.includes(n));
    assert.deepEqual(learners, [...NAMES].reverse());
    assert.equal(await page.locator('#records-head th').filter({ hasText: 'Date' }).getAttribute('aria-sort'), 'descending');
    await page.getByLabel('Module or course title').fill('recruitment 1');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/title=recruitment\+1/);
    await page.locator('#records-table tbody tr').first().waitFor();
    assert.equal(await page.locator('#records-body tr').count(), 1);
    assert.match(await page.locator('#records-body tr').innerText(), /Bea Birch/);
    assert.equal(await page.getByRole('link', { name: /Export CSV/ }).getAttribute('href'),
      '/api/officer/records?title=recruitment+1&format=csv');
    await axe(t);
  });
});
