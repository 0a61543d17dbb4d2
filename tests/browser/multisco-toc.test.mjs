// golf12-runtime-minimum-multisco in the player: the table of contents,
// the Next and Previous part buttons, and the statuses the ToC shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { newLearner } from '../lib/client.mjs';
import { eventually, launchBrowser, signIn } from '../lib/browser.mjs';
import { GOLF12_MULTI, training } from '../lib/scorm.mjs';

let srv, browser, page, learner, id;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  browser = await launchBrowser();
  page = browser.page;
  learner = await newLearner(srv.url);
  await signIn(page, srv.url, learner.email, learner.password);
  id = (await training(learner.client, GOLF12_MULTI)).package_id;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

const toc = () => page.getByRole('navigation', { name: 'Module contents' });
const frameHeading = () => page.frameLocator('#content-frame').locator('h1').first();
// A ToC link's accessible name is "TITLE, STATUS".
const tocLink = (title) => toc().getByRole('link', { name: new RegExp(`^${title.replace(/[?]/g, '\\?')}\\s*,`) });

async function tocStatus(title) {
  const text = await tocLink(title).locator('.cairn-toc__status').innerText();
  return text.replace(/^[\s,]+/, '').trim();
}

async function expectPart(n, title, sco, heading) {
  await frameHeading().getByText(heading, { exact: true }).waitFor();
  await page.getByText(`Part ${n} of 18: ${title}`, { exact: true }).waitFor();
  assert.match(page.url(), new RegExp(`[?&]sco=${sco}(&|$)`));
  assert.equal(await tocLink(title).getAttribute('aria-current'), 'page');
  assert.equal(await toc().locator('[aria-current="page"]').count(), 1);
}

describe('multi-SCO navigation', () => {
  test('the player opens the first SCO with an 18-part table of contents', async () => {
    await page.goto(`${srv.url}/play.html?package=${id}`);
    await page.getByRole('heading', { name: GOLF12_MULTI.title, level: 1 }).waitFor();
    await expectPart(1, 'How to Play', 'playing_playing_item', 'Play of the game');
    assert.equal(await toc().getByRole('link').count(), 18);
    for (const group of ['Playing the Game', 'Etiquette', 'Handicapping', 'Having Fun'])
      assert.equal(await toc().getByText(group, { exact: true }).count(), 1, group);
    assert.equal(await tocStatus('Par?'), 'Not started');
    assert.equal(await page.getByRole('button', { name: 'Previous part' }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Next part' }).isVisible(), true);
  });

  test('a ToC entry opens its SCO', async () => {
    await tocLink('Par?').click();
    await expectPart(2, 'Par?', 'playing_par_item', 'Par');
    assert.equal(await page.getByRole('button', { name: 'Previous part' }).isVisible(), true);
  });

  test('Next part and Previous part move one SCO', async () => {
    await page.getByRole('button', { name: 'Next part' }).click();
    await expectPart(3, 'Keeping Score', 'playing_scoring_item', 'Scoring');
    await page.getByRole('button', { name: 'Previous part' }).click();
    await expectPart(2, 'Par?', 'playing_par_item', 'Par');
    await page.getByRole('button', { name: 'Next part' }).click();
    await expectPart(3, 'Keeping Score', 'playing_scoring_item', 'Scoring');
  });

  test('a quiz item gets its launch parameters (?questions=Etiquette)', async () => {
    await tocLink('Etiquette Quiz').click();
    await expectPart(10, 'Etiquette Quiz', 'etiquette_quiz_item', 'Knowledge Check');
    const frame = page.frameLocator('#content-frame');
    const n = await frame.locator('.question').count();
    assert.ok(n >= 2 && n <= 6, `only the etiquette questions: ${n}`);
  });

  test('the SCOs visited no longer show "Not started" in the ToC', async () => {
    // Each of these was opened, initialised and finished (the minimum
    // run-time calls: LMSInitialize on load, LMSFinish on unload, no status).
    for (const title of ['How to Play', 'Par?', 'Keeping Score'])
      assert.notEqual(await tocStatus(title), 'Not started', `${title} after a visit`);
    assert.equal(await tocStatus('Handicapping Overview'), 'Not started');
  });

  test('My training shows the module in progress and the time spent', async () => {
    const m = await eventually(async () => {
      const x = await training(learner.client, GOLF12_MULTI);
      return x.state === 'in progress' && x;
    }, { what: 'in progress' });
    assert.equal(m.score, null);
  });

  test('opening the module again resumes at the last SCO, with the statuses from the server', async () => {
    await page.goto(`${srv.url}/training.html`);
    await page.goto(`${srv.url}/play.html?package=${id}`);
    await expectPart(10, 'Etiquette Quiz', 'etiquette_quiz_item', 'Knowledge Check');
    for (const title of ['How to Play', 'Par?', 'Keeping Score'])
      assert.notEqual(await tocStatus(title), 'Not started', `${title} after a reload`);
    assert.deepEqual(browser.problems, []);
  });
});
