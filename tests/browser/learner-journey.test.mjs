// A learner registers, passes golf 1.2 in the player, sees it in My
// training; their borough's officer sees it too, the other borough's does not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { eventually, forgetUser, launchBrowser, playerFrames, signIn } from '../lib/browser.mjs';
import { GOLF12 } from '../lib/scorm.mjs';

// The pages of golf12-runtime-basic-singlesco, in order (their <h1>).
const GOLF12_PAGES = ['Play of the game', 'Par', 'Scoring', 'Other Scoring Systems', 'The Rules of Golf',
  'Etiquette - Care For the Course', 'Etiquette - Avoiding Distraction', 'Etiquette - Playing the Game',
  'Handicapping', 'Calculating a Handicap', 'Calculating a Score', 'Handicaping Example',
  'How to Have Fun Golfing', 'How to Make Friends on the Golf Course', 'How to Be Stylish on the Golf Course',
  'Knowledge Check'];

const learner = {
  name: 'Robin Fairweather', email: `robin.${process.pid}@test.example`, password: 'purple kettle on the shelf',
  borough: 'Leicestershire and Rutland', organisation: 'Oakham Community Nursery', jobRole: 'Nursery assistant',
};

let srv, browser, page, packageId;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  browser = await launchBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function apiJson(path) {
  const r = await page.request.get(srv.url + path);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

// Two modules share this title (the 1.2 and the 2004 golf): My training adds
// the SCORM version to tell them apart.
const GOLF12_NAME = `${GOLF12.title} (SCORM 1.2)`;

/** The My training card of the golf 1.2 module. */
function golfCard() {
  return page.locator('li.cairn-module-card')
    .filter({ has: page.getByRole('heading', { name: GOLF12_NAME, exact: true }) })
    .filter({ has: page.locator(`a[href="/play.html?package=${packageId}"]`) });
}

describe('learner journey: register, pass golf 1.2, officer sees it', () => {
  test('registers through register.html and lands on My training', async () => {
    await page.goto(`${srv.url}/register.html`);
    await page.getByLabel('Full name').fill(learner.name);
    await page.getByLabel('Email address').fill(learner.email);
    await page.getByLabel('Create a password').fill(learner.password);
    await page.getByLabel('Borough').selectOption({ label: learner.borough });
    await page.getByLabel('Organisation').selectOption({ label: learner.organisation });
    await page.getByLabel('Job role').fill(learner.jobRole);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/training\.html$/);
    await page.getByRole('heading', { name: 'My training', level: 1 }).waitFor();
    await page.locator('#modules').waitFor();
    assert.match(await page.locator('#who').innerText(), new RegExp(`${learner.organisation}.*${learner.borough}`));
    const session = await apiJson('/api/session');
    assert.equal(session.user.email, learner.email);
    assert.equal(session.user.role, 'learner');
    assert.equal(session.user.job_role, learner.jobRole);
  });

  test('My training lists the golf module as not started', async () => {
    const training = await apiJson('/api/me/training');
    const m = training.modules.find((x) => x.title === GOLF12.title && x.scorm_version === '1.2');
    assert.ok(m, JSON.stringify(training));
    packageId = m.package_id;
    const card = golfCard();
    assert.equal(await card.count(), 1);
    await assert.doesNotReject(card.getByText('Not started', { exact: true }).waitFor());
    assert.equal(await card.getByRole('button', { name: `Start ${GOLF12_NAME}` }).count(), 1);
  });

  test('My training shows what the role needs and the borough\'s contacts', async () => {
    const required = page.getByRole('region', { name: 'Training your role needs' });
    await required.waitFor();
    assert.ok((await required.locator('.govuk-summary-list__row').count()) >= 1);
    const contacts = page.getByRole('region', { name: 'If you are worried about a child' });
    await contacts.waitFor();
    const { contacts: list } = await apiJson('/api/me/contacts');
    assert.ok(list.length >= 1);
    for (const c of list)
      assert.equal(await contacts.getByRole('heading', { name: c.role, exact: true }).count(), 1, c.role);
  });

  test('plays the module to the end and passes its quiz', async () => {
    await golfCard().getByRole('button', { name: `Start ${GOLF12_NAME}` }).click();
    await page.waitForURL(/\/play\.html\?package=/);
    await page.getByRole('heading', { name: GOLF12.title, level: 1 }).waitFor();
    const { content, inner } = playerFrames(page);
    const heading = inner.locator('h1').first();
    await assert.doesNotReject(heading.getByText(GOLF12_PAGES[0], { exact: true }).waitFor());
    for (let i = 1; i < GOLF12_PAGES.length; i++) {
      await content.getByRole('button', { name: 'Next ->' }).click();
      await heading.getByText(GOLF12_PAGES[i], { exact: true }).waitFor();
    }
    assert.equal(await content.getByRole('button', { name: 'Next ->' }).isDisabled(), true, 'the last page');

    // The quiz: every question answered as a person who read the pages would.
    const questions = inner.locator('.question');
    const n = await questions.count();
    assert.ok(n >= 10, `${n} questions`);
    for (let i = 0; i < n; i++) {
      const right = questions.nth(i).locator('.correctAnswer');
      const input = right.locator('input');
      if (await input.getAttribute('type') === 'radio') {
        await input.check();
      } else {
        const answer = /\((\d+)\)/.exec(await right.innerText())[1];
        await input.fill(answer);
      }
    }
    await inner.getByRole('button', { name: 'Submit Answers' }).click();
    await inner.getByText('Score: 100', { exact: true }).waitFor();

    // The content's own Exit button ends the session (LMSFinish).
    await content.getByRole('button', { name: 'Exit' }).click();
    await page.getByText('Your progress has been saved').waitFor();
    const record = await eventually(async () => {
      const t = await apiJson('/api/me/training');
      const m = t.modules.find((x) => x.package_id === packageId);
      return m.state === 'passed' && m;
    }, { what: 'the final commit stored' });
    assert.equal(record.score, 100);
    assert.ok(record.time_spent_seconds >= 1, `time ${record.time_spent_seconds}`);
    assert.notEqual(record.completed_at, null);
    assert.deepEqual(browser.problems, []);
  });

  test('leaves the player; My training shows passed with the score', async () => {
    await page.getByRole('button', { name: 'Return to My training' }).click();
    await page.waitForURL(/\/training\.html$/);
    const card = golfCard();
    await card.getByText('Passed', { exact: true }).waitFor();
    assert.match(await card.innerText(), /Score\s+100%/);
    assert.match(await card.innerText(), /Completed on/);
    assert.equal(await card.getByRole('button', { name: `Review ${GOLF12_NAME}` }).count(), 1);
  });

  test('the borough\'s officer signs in and sees the learner passed with the score', async () => {
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login\.html/);
    const officer = srv.account('officer', 'leics');
    await signIn(page, srv.url, officer.email, officer.password, /\/dashboard\.html$/);
    await page.locator('[data-cairn-nav]').getByRole('link', { name: 'Learners' }).click();
    await page.getByRole('heading', { name: 'Learners', level: 1 }).waitFor();
    const table = page.locator('#learners-table');
    await table.waitFor();
    const row = table.getByRole('row').filter({ hasText: learner.email });
    assert.equal(await row.count(), 1);
    assert.equal(await row.getByRole('rowheader').innerText(), learner.name);
    assert.match(await row.innerText(), new RegExp(learner.organisation));

    // The golf 1.2 column (columns follow the API's module order).
    const data = await apiJson('/api/officer/learners');
    const ids = [];
    for (const l of data.learners)
      for (const m of l.modules)
        if (!ids.includes(m.package_id))
          ids.push(m.package_id);
    const cell = row.locator('th, td').nth(4 + ids.indexOf(packageId));
    const text = await cell.innerText();
    assert.match(text, /Passed/);
    assert.match(text, /Score 100%/);

    // The filter finds the learner by name.
    await page.getByLabel('Filter by name or email').fill(learner.name.split(' ')[1]);
    await page.getByText(/^Showing 1 of \d+ learners?$/).waitFor();
    assert.equal(await row.isVisible(), true);
  });

  test('the other borough\'s officer does not see the learner', async () => {
    await forgetUser(page);
    const officer = srv.account('officer', 'hollowfield');
    await signIn(page, srv.url, officer.email, officer.password, /\/dashboard\.html$/);
    await page.goto(`${srv.url}/officer.html`);
    await page.locator('#learners-table, #learners p').first().waitFor();
    assert.equal(await page.getByText(learner.email).count(), 0);
    assert.equal(await page.getByText(learner.name).count(), 0);
  });
});
