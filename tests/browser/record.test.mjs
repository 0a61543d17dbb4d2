// The learner record in the browser: an officer finds a learner from the
// list, sees their e-learning and attendance, adds evidence of a course done
// elsewhere (errors first), and deletes it; the learner sees their record,
// opens a certificate; anyone checks the code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, boroughs, uniqueEmail } from '../lib/client.mjs';
import { cmi12, commit, launch } from '../lib/scorm.mjs';
import { makeZip, manifest12 } from '../lib/zip.mjs';
import { forgetUser, launchBrowser, signIn } from '../lib/browser.mjs';

const DAY = 86400000;
const at = (n, h = 9, m = 30) => {
  const d = new Date(Date.now() + n * DAY);
  d.setUTCHours(h, m, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};
const dates = (n, k) => Array.from({ length: k }, (_, i) => ({ starts_at: at(n + i), ends_at: at(n + i, 15, 30) }));

let srv, browser, page, learner, officerAccount, code;

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  officerAccount = srv.account('officer', 'hollowfield');
  const officer = await new Client(srv.url).mustLogin(officerAccount.email, officerAccount.password);
  const a = srv.account('admin');
  const admin = await new Client(srv.url).mustLogin(a.email, a.password);
  const zip = makeZip([
    { name: 'imsmanifest.xml', data: manifest12({ identifier: 'cairn.basic-awareness',
      title: 'Introduction to safeguarding: basic awareness' }) },
    { name: 'index.html', data: '<html><body>Basic awareness</body></html>' },
  ]);
  const up = await admin.post('/api/packages?filename=ba.zip', undefined, { body: zip, contentType: 'application/zip' });
  assert.equal(up.status, 201, up.text);

  // A Hollowfield sports coach: six pathway courses.
  const b = (await boroughs(srv.url)).find((x) => x.name.startsWith('Hollowfield'));
  const client = new Client(srv.url);
  learner = { client, email: uniqueEmail('browser-record'), password: 'a long enough password' };
  const r = await client.register({ name: 'Sam Pathway', email: learner.email, password: learner.password,
    borough_id: b.id, organisation_id: b.organisations[0].id, job_role: 'Sports coach' });
  assert.equal(r.status, 201, r.text);
  learner.user = r.body.user;
  const l = await launch(client, up.body.package.id);
  assert.equal((await commit(client, l.sco, cmi12({ status: 'completed', session: '00:45:00' }), { final: true })).status, 200);

  const course = (await officer.get('/api/courses')).body.courses.find((c) => c.title === 'Recording and record keeping');
  const s = await officer.post(`/api/courses/${course.id}/sessions`,
    { venue_name: 'Civic Centre', venue_address: '1 High Street', capacity: 8, dates: dates(10, 2) });
  assert.equal(s.status, 201, s.text);
  assert.equal((await client.post(`/api/sessions/${s.body.session.id}/book`, {})).status, 201);
  const moved = await officer.request('PUT', `/api/sessions/${s.body.session.id}`,
    { json: { dates: dates(-4, 2), booking_deadline: at(-5) } });
  assert.equal(moved.status, 200, moved.text);
  for (const d of moved.body.session.dates) {
    const m = await officer.post(`/api/sessions/${s.body.session.id}/attendance`,
      { date_id: d.id, user_id: learner.user.id, status: 'attended' });
    assert.equal(m.status, 200, m.text);
  }
  browser = await launchBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('the officer', () => {
  before(async () => {
    await signIn(page, srv.url, officerAccount.email, officerAccount.password);
    await page.locator('[data-cairn-nav]').getByRole('link', { name: 'Learners' }).click();
    await page.waitForURL(/\/officer\.html/);
  });

  test('opens the learner from the list and sees their e-learning and attendance', async () => {
    await page.getByRole('link', { name: 'Sam Pathway' }).click();
    await page.waitForURL(/\/learner\.html\?id=\d+$/);
    await page.locator('#record:not([hidden])').waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Sam Pathway');
    const cards = page.locator('#record-entries > li');
    assert.equal(await cards.count(), 3);
    assert.deepEqual(await page.locator('#record-entries h3').allInnerTexts(), [
      'Recording and record keeping', 'Recording and record keeping',
      'Introduction to safeguarding: basic awareness']);
    assert.match(await page.locator('#record-totals').innerText(), /12\.75 hours of training in all/);
    assert.equal(await page.getByRole('link', { name: /View certificate/ }).count(), 3);
    assert.equal(await page.getByRole('link', { name: /Give feedback/ }).count(), 0, 'feedback is the learner\'s');
    assert.match(await page.locator('#pathway-summary').innerText(), /^1 of 6 pathway courses done/);
    assert.equal(await page.locator('progress').getAttribute('value'), '1');
    // hollowfield's report_columns for a sports coach
    await page.getByRole('heading', { name: 'Borough details', level: 2 }).waitFor();
    const rows = page.locator('#report-columns .govuk-summary-list__row');
    assert.deepEqual(await rows.locator('dt').allInnerTexts(), ['Competence Matters group', 'Sample pathway']);
    assert.deepEqual(await rows.locator('dd').allInnerTexts(), ['A', 'Sports Instructor']);
  });

  test('an empty form shows every problem in the error summary', async () => {
    await page.getByRole('button', { name: 'Add evidence' }).click();
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    assert.deepEqual(await summary.locator('li').allInnerTexts(), [
      'Enter the name of the training', 'Enter the date the training was completed', 'Enter the hours of training']);
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('govuk-error-summary')), true);
    await summary.getByRole('link', { name: 'Enter the hours of training' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'ev-hours');
    assert.match(await page.title(), /^Error: /);
  });

  test('adds evidence of a pathway course done elsewhere; the pathway moves on', async () => {
    await page.getByLabel('Name of the training').fill('Safe working practices');
    await page.getByLabel('A face-to-face course elsewhere').check();
    await page.getByLabel('Who provided it (optional)').fill('Hollowfield Sports Partnership');
    await page.getByLabel('Day').fill('1');
    await page.getByLabel('Month').fill('5');
    await page.getByLabel('Year').fill('2024');
    await page.getByLabel('Hours of training').fill('6');
    await page.getByLabel('Group (optional)').selectOption('A');
    await page.getByLabel('Evidence seen (optional)').fill('Certificate seen and copied to file.');
    await page.getByRole('button', { name: 'Add evidence' }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Evidence added' });
    await banner.waitFor();
    assert.equal(await page.locator('.govuk-error-summary').count(), 0);
    assert.match(await page.locator('#pathway-summary').innerText(), /^2 of 6 pathway courses done/);
    const first = page.locator('#record-entries > li').first();
    assert.equal(await first.locator('h3').innerText(), 'Safe working practices');
    assert.match(await first.innerText(), /Hollowfield Sports Partnership/);
    assert.match(await first.innerText(), /Certificate seen and copied to file\./);
    assert.match(await first.innerText(), /1 May 2024/);
  });

  test('the same evidence again: the server\'s 409 shows in the summary', async () => {
    for (const [label, value] of [['Name of the training', 'Safe working practices'], ['Day', '1'], ['Month', '5'],
      ['Year', '2024'], ['Hours of training', '6']])
      await page.getByLabel(label).fill(value);
    await page.getByLabel('A face-to-face course elsewhere').check();
    await page.getByRole('button', { name: 'Add evidence' }).click();
    await page.locator('.govuk-error-summary').getByText(/already has course evidence/).waitFor();
  });

  test('deletes the evidence', async () => {
    await page.getByRole('button', { name: /Delete evidence: Safe working practices/ }).click();
    await page.getByRole('alert').filter({ hasText: 'Evidence deleted' }).waitFor();
    assert.equal(await page.locator('#record-entries > li').count(), 3);
    assert.match(await page.locator('#pathway-summary').innerText(), /^1 of 6 pathway courses done/);
  });
});

describe('the learner', () => {
  before(async () => {
    await forgetUser(page);
    await signIn(page, srv.url, learner.email, learner.password);
  });

  test('sees My record on a phone, with certificates and feedback links', async () => {
    await page.getByRole('link', { name: 'My record' }).click();
    await page.waitForURL(/\/record\.html$/);
    await page.setViewportSize({ width: 360, height: 800 });
    await page.locator('#record:not([hidden])').waitFor();
    assert.equal(await page.locator('#record-entries > li').count(), 3);
    assert.equal(await page.getByRole('link', { name: /Give feedback/ }).count(), 3);
    const ba = page.locator('#required .govuk-summary-list__row').filter({ hasText: 'Introduction to safeguarding' });
    assert.match(await ba.innerText(), /Done/);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling');
  });

  test('opens a certificate: name, course, hours, code and where to check it', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('link', { name: /View certificate for Recording and record keeping/ }).first().click();
    await page.waitForURL(/\/certificate\.html\?code=/);
    await page.locator('#certificate:not([hidden])').waitFor();
    code = await page.locator('#code').innerText();
    assert.match(code, /^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
    const text = await page.locator('#certificate').innerText();
    assert.match(text, /Sam Pathway/);
    assert.match(text, /Recording and record keeping/);
    assert.match(text, /12 hours/);
    assert.match(text, /Hollowfield Safeguarding Children Partnership recognises this training/);
    assert.match(await page.locator('#verify-url').innerText(), new RegExp(`/verify/${code}$`));
    await page.getByRole('button', { name: 'Print this certificate' }).waitFor();
  });
});

describe('anyone', () => {
  test('checks the code without signing in', async () => {
    await forgetUser(page);
    await page.goto(`${srv.url}/verify/${code}`);
    await page.locator('#result:not([hidden])').waitFor();
    const text = await page.locator('#result').innerText();
    assert.match(text, /Genuine and in date/);
    assert.match(text, /Sam Pathway/);
    assert.ok(!text.includes('@'));
    await page.getByLabel('Certificate code').fill('abcd efgh jkmn');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForURL(/\/verify\/ABCD-EFGH-JKMN$/);
    await page.getByRole('heading', { name: 'Certificate not found' }).waitFor();
  });
});
