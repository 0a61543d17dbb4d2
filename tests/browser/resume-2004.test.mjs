// golf2004-3rd-runtime-basic: a partial visit, the tab closed (the final
// commit goes out as a beacon), the player opened again: the content
// resumes where the learner left it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { newLearner } from '../lib/client.mjs';
import { eventually, launchBrowser, playerFrames, signIn } from '../lib/browser.mjs';
import { GOLF2004, training } from '../lib/scorm.mjs';

const PAGES = ['Play of the game', 'Par', 'Scoring', 'Other Scoring Systems', 'The Rules of Golf',
  'Etiquette - Care For the Course', 'Etiquette - Avoiding Distraction', 'Etiquette - Playing the Game'];

let srv, browser;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

/** Opens the player on a new tab; resolves with {page, launch} (the launch answer). */
async function openPlayer(context, id) {
  const page = await context.newPage();
  const launched = page.waitForResponse((r) => /\/api\/packages\/\d+\/launch$/.test(new URL(r.url()).pathname));
  await page.goto(`${srv.url}/play.html?package=${id}`);
  const res = await launched;
  assert.equal(res.status(), 200, await res.text());
  return { page, launch: await res.json() };
}

async function goForward(page, pages) {
  const { content, inner } = playerFrames(page);
  const heading = inner.locator('h1').first();
  await heading.getByText(PAGES[0], { exact: true }).waitFor();
  for (let i = 1; i <= pages; i++) {
    await content.getByRole('button', { name: 'Next ->' }).click();
    await heading.getByText(PAGES[i], { exact: true }).waitFor();
  }
}

describe('2004 resume after closing the tab', () => {
  for (const [name, pages, closeOpts] of [
    ['page.close() (unload only)', 4, {}],
    ['closing with beforeunload', 6, { runBeforeUnload: true }],
  ]) {
    test(`${name}: the next launch resumes at the saved page`, async () => {
      const l = await newLearner(srv.url);
      // Sign in in the browser: a fresh context per learner.
      await browser.context.clearCookies();
      await signIn(browser.page, srv.url, l.email, l.password);
      const id = (await training(l.client, GOLF2004)).package_id;

      const first = await openPlayer(browser.context, id);
      assert.equal(first.launch.sco.cmi.cmi.entry, 'ab-initio');
      await goForward(first.page, pages);
      // Some time passes, so the session has a time to report.
      await first.page.waitForTimeout(1200);
      const before = await training(l.client, GOLF2004);
      assert.equal(before.time_spent_seconds, 0, 'nothing final was sent yet');

      await first.page.close(closeOpts);
      // The final commit is a beacon: wait until the server has it.
      const after = await eventually(async () => {
        const m = await training(l.client, GOLF2004);
        return m.time_spent_seconds >= 1 && m;
      }, { what: 'the beacon final commit stored' });
      assert.equal(after.state, 'in progress');

      const second = await openPlayer(browser.context, id);
      const cmi = second.launch.sco.cmi.cmi;
      assert.equal(cmi.entry, 'resume');
      assert.equal(cmi.location, String(pages));
      assert.equal(cmi.completion_status, 'incomplete');
      assert.equal(second.launch.sco.attempt, first.launch.sco.attempt, 'the same attempt goes on');
      assert.notEqual(cmi.total_time, 'PT0S');
      // The content asks whether to resume (accepted) and shows that page.
      const { inner } = playerFrames(second.page);
      await inner.locator('h1').first().getByText(PAGES[pages], { exact: true }).waitFor();
      assert.ok((second.page.dialogs || []).some((d) => /resume/i.test(d)), 'the content offered to resume');
      assert.deepEqual(await second.page.evaluate(() => [window.API_1484_11.cmi.entry, window.API_1484_11.cmi.location]),
        ['resume', String(pages)]);
      await second.page.close();
      assert.deepEqual(browser.problems, []);
    });
  }

  test('a closed tab also keeps the time: two visits add up', async () => {
    const l = await newLearner(srv.url);
    await browser.context.clearCookies();
    await signIn(browser.page, srv.url, l.email, l.password);
    const id = (await training(l.client, GOLF2004)).package_id;
    const first = await openPlayer(browser.context, id);
    await goForward(first.page, 1);
    await first.page.waitForTimeout(2100);
    await first.page.close();
    const t1 = (await eventually(async () => {
      const m = await training(l.client, GOLF2004);
      return m.time_spent_seconds >= 2 && m;
    }, { what: 'first visit stored' })).time_spent_seconds;
    const second = await openPlayer(browser.context, id);
    await playerFrames(second.page).inner.locator('h1').first().getByText(PAGES[1], { exact: true }).waitFor();
    await second.page.waitForTimeout(2100);
    await second.page.close();
    const t2 = (await eventually(async () => {
      const m = await training(l.client, GOLF2004);
      return m.time_spent_seconds >= t1 + 2 && m;
    }, { what: 'second visit stored' })).time_spent_seconds;
    assert.ok(t2 <= t1 + 4, `time counted once: ${t1} then ${t2}`);
  });
});

