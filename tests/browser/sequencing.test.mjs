// SCORM 2004 sequencing in the player (docs/SCORM.md "Sequencing"), with
// golf2004-3rd-seq-forced-sequential: the manifest's activity tree drives
// scorm-again's sequencing engine. A later module is refused until the one
// before it is passed; the course rolls up to completed and passed; Suspend
// All then a new browser session resumes at the same activity.
//
// The first block checks, without a browser, what core/web/js/sequencing.js
// changes for scorm-again (docs/SCORM.md "Deviations").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { SOURCE_DIR, startServer } from '../lib/server.mjs';
import { newLearner } from '../lib/client.mjs';
import { AXE_PATH, eventually, launchBrowser, playerFrames, signIn } from '../lib/browser.mjs';
import { GOLF2004_SEQ, training } from '../lib/scorm.mjs';

const { Scorm2004API } = await import(pathToFileURL(
  path.join(SOURCE_DIR, 'node_modules/scorm-again/dist/esm/scorm2004.js')).href);
const { activityTreeFrom, rootRollup } = await import(pathToFileURL(
  path.join(SOURCE_DIR, 'core/web/js/sequencing.js')).href);

const MODULES = [
  { id: 'playing_item', title: 'Playing the Game', pages: ['Play of the game', 'Par', 'Scoring', 'Other Scoring Systems', 'The Rules of Golf'] },
  { id: 'etuqiette_item', title: 'Etiquette', pages: ['Etiquette - Care For the Course', 'Etiquette - Care For the Course', 'Etiquette - Playing the Game'] },
  { id: 'handicapping_item', title: 'Handicapping', pages: ['Handicapping', 'Calculating a Handicap', 'Calculating a Score', 'Calculating a Score'] },
  { id: 'havingfun_item', title: 'Having Fun', pages: ['How to Have Fun Golfing', 'How to Make Friends on the Golf Course'] },
  { id: 'assessment_item', title: 'Quiz', pages: [] },
];

/** A quiet engine on a tree; completes leaves in flow order. */
function engine(tree) {
  const api = new Scorm2004API({ logLevel: 5, sequencing: { activityTree: activityTreeFrom(tree) } });
  api.processNavigationRequest('start');
  let first = true;
  return {
    api,
    complete(status = 'completed', success) {
      if (!first) api.reset();
      first = false;
      api.Initialize('');
      api.SetValue('cmi.completion_status', status);
      if (success) api.SetValue('cmi.success_status', success);
      api.SetValue('adl.nav.request', 'continue');
      api.Terminate('');
    },
    current: () => api.getSequencingState().currentActivity?.id,
    root: () => api.getSequencingState().rootActivity,
  };
}

describe('the manifest tree as scorm-again reads it', () => {
  test('rollup minimumPercent is a fraction in the manifest and a percentage in scorm-again', () => {
    const tree = { id: 'root', title: 'R', sequencingControls: { choice: true, flow: true },
      rollupRules: { rules: [
        { action: 'completed', consideration: 'atLeastPercent', minimumPercent: 0.5, conditionCombination: 'any',
          conditions: [{ condition: 'completed', operator: 'noOp' }] },
        { action: 'incomplete', consideration: 'all', conditionCombination: 'any', conditions: [{ condition: 'always' }] }] },
      children: ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id })) };
    const e = engine(tree);
    e.complete();
    assert.equal(e.root().completionStatus, 'incomplete', '1 of 4 is not 50%');
    e.complete();
    assert.equal(e.root().completionStatus, 'completed', '2 of 4 is 50%');
  });

  test('reorderChildren shuffles, and selectCount picks that many children', () => {
    const bank = (controls) => ({ id: 'root', title: 'R', sequencingControls: { choice: true, flow: true },
      children: [{ id: 'bank', title: 'Bank', sequencingControls: { flow: true, ...controls },
        children: ['q1', 'q2', 'q3', 'q4', 'q5'].map((id) => ({ id, title: id })) }] });
    const orders = new Set();
    const counts = new Set();
    for (let i = 0; i < 20; i++) {
      const e = engine(bank({ reorderChildren: true, randomizationTiming: 'once', selectCount: 3, selectionTiming: 'once' }));
      const seen = [];
      for (let n = 0; n < 6 && e.current() && !seen.includes(e.current()); n++) {
        seen.push(e.current());
        e.complete();
      }
      orders.add(seen.join());
      counts.add(seen.length);
    }
    assert.deepEqual([...counts], [3], 'three of five delivered');
    assert.ok(orders.size > 3, `shuffled: ${orders.size} different orders in 20`);
  });

  test('adl.data written by one SCO is read by the next, and survives a saved and restored state', () => {
    const tree = { id: 'root', title: 'R', sequencingControls: { choice: true, flow: true }, children: [
      { id: 'a', title: 'a', sharedDataMaps: [{ targetID: 'notes', readSharedData: true, writeSharedData: true }] },
      { id: 'b', title: 'b', sharedDataMaps: [{ targetID: 'notes', readSharedData: true, writeSharedData: false }] }] };
    const make = () => new Scorm2004API({ logLevel: 5, sequencing: { activityTree: activityTreeFrom(tree) } });
    const first = make();
    first.processNavigationRequest('start');
    first.Initialize('');
    assert.equal(first.SetValue('adl.data.0.store', 'hello'), 'true');
    first.SetValue('cmi.exit', 'suspend');
    first.SetValue('adl.nav.request', 'suspendAll');
    first.Terminate('');
    const saved = first.serializeSequencingState();
    assert.deepEqual(JSON.parse(saved).sharedData, { notes: 'hello' });
    const second = make();
    assert.equal(second.deserializeSequencingState(saved), true);
    assert.equal(second.processNavigationRequest('resumeAll'), true);
    second.Initialize('');
    second.SetValue('cmi.completion_status', 'completed');
    second.SetValue('adl.nav.request', 'continue');
    second.Terminate('');
    assert.equal(second.getSequencingState().currentActivity.id, 'b');
    second.reset();
    second.Initialize('');
    assert.equal(second.GetValue('adl.data.0.store'), 'hello');
  });

  test('the root of a tree rolls up for the record', () => {
    const e = engine({ id: 'root', title: 'R', sequencingControls: { flow: true },
      children: [{ id: 'a', title: 'a' }, { id: 'b', title: 'b' }] });
    e.complete('completed', 'passed');
    assert.notEqual(rootRollup(e.api.getSequencingState()).completion_status, 'completed', 'one of two');
    e.complete('completed', 'passed');
    assert.deepEqual(rootRollup(e.api.getSequencingState()),
      { completion_status: 'completed', success_status: 'passed', score_scaled: null });
  });
});

let srv, browser, learner, id;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  browser = await launchBrowser();
  learner = await newLearner(srv.url);
  await signIn(browser.page, srv.url, learner.email, learner.password);
  id = (await training(learner.client, GOLF2004_SEQ)).package_id;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

const toc = (page) => page.getByRole('navigation', { name: 'Module contents' });
const tocLink = (page, title) => toc(page).getByRole('link', { name: new RegExp(`^${title}\\s*,`) });
const tocEntry = (page, moduleId) => toc(page).locator(`[data-activity="${moduleId}"]`);

async function seeModule(page, m, pageIndex = 0) {
  const { inner } = playerFrames(page);
  await inner.locator('h1').first().getByText(m.pages[pageIndex], { exact: true }).waitFor();
  await page.getByText(new RegExp(`^Part ${MODULES.indexOf(m) + 1} of 5: ${m.title}$`)).waitFor();
}

/** Pages through the SCO to its last page (which completes and passes it). */
async function finishModule(page, m, from = 0) {
  const { content, inner } = playerFrames(page);
  for (let i = from + 1; i < m.pages.length; i++) {
    await content.getByRole('button', { name: 'Next ->' }).click();
    await inner.locator('h1').first().getByText(m.pages[i], { exact: true }).waitFor();
  }
}

async function passQuiz(page) {
  const { inner } = playerFrames(page);
  const questions = inner.locator('.question');
  await questions.first().waitFor();
  const n = await questions.count();
  for (let i = 0; i < n; i++) {
    const right = questions.nth(i).locator('.correctAnswer');
    const input = right.locator('input');
    if (await input.getAttribute('type') === 'radio') await input.check();
    else await input.fill(/\((\d+)\)/.exec(await right.innerText())[1]);
  }
  await inner.getByRole('button', { name: 'Submit Answers' }).click();
  await inner.getByText('Score: 100', { exact: true }).waitFor();
}

async function savedState(client) {
  const info = await client.get(`/api/packages/${id}/sequencing`);
  return info.body.saved;
}

describe('forced sequential order in the player', () => {
  let page;

  test('the first module opens; later ones are listed but not available', async () => {
    page = browser.page;
    await page.goto(`${srv.url}/play.html?package=${id}`);
    await page.getByRole('heading', { name: GOLF2004_SEQ.title, level: 1 }).waitFor();
    await seeModule(page, MODULES[0]);
    assert.equal(await tocLink(page, 'Playing the Game').getAttribute('aria-current'), 'page');
    for (const m of MODULES.slice(1)) {
      assert.equal(await tocLink(page, m.title).count(), 0, `${m.title} is not a link`);
      assert.match(await tocEntry(page, m.id).innerText(), /not available yet/);
    }
    assert.equal(await page.getByRole('button', { name: 'Save and close' }).isVisible(), true);
  });

  test('Next part before the module is passed is refused with a message, and the module stays', async () => {
    await page.getByRole('button', { name: 'Next part' }).click();
    await page.getByRole('alert').getByText('The next part is not available yet. Finish this part first.').waitFor();
    // The learner is still in the first module, on its page, and can go on.
    await seeModule(page, MODULES[0]);
    await playerFrames(page).content.getByRole('button', { name: 'Next ->' }).click();
    await playerFrames(page).inner.locator('h1').first().getByText(MODULES[0].pages[1], { exact: true }).waitFor();
    assert.equal(await tocLink(page, 'Etiquette').count(), 0);
  });

  test('a module passed makes the next one available, and Next part opens it', async () => {
    await finishModule(page, MODULES[0], 1);
    await page.getByRole('button', { name: 'Next part' }).click();
    await seeModule(page, MODULES[1]);
    assert.equal(await tocLink(page, 'Playing the Game').count(), 1, 'back to an earlier module is allowed');
    assert.equal(await tocLink(page, 'Handicapping').count(), 0, 'but not two ahead');
    const saved = await eventually(() => savedState(learner.client), { what: 'state saved' });
    assert.equal(saved.state.sequencing.activityStates.playing_item.successStatus, 'passed');
  });

  test('adl.nav.request from the content: a choice back is followed, a choice ahead refused', async () => {
    // The golf content has no navigation of its own; act as content does:
    // SetValue("adl.nav.request", ...) then Terminate.
    const request = (nav) => page.evaluate((value) => {
      const api = window.API_1484_11;
      api.SetValue('cmi.exit', 'suspend');
      api.SetValue('adl.nav.request', value);
      return api.Terminate('');
    }, nav);
    assert.equal(await request('{target=playing_item}choice'), 'true');
    // Suspended there on its last page: it resumes at its bookmark.
    await seeModule(page, MODULES[0], 4);
    assert.equal(await page.evaluate(() => window.API_1484_11.cmi.entry), 'resume');
    assert.equal(await request('continue'), 'true');
    await seeModule(page, MODULES[1]);

    assert.equal(await request('{target=handicapping_item}choice'), 'true');
    const refusal = page.getByRole('alert').getByText('“Handicapping” is not available yet. Finish the parts before it first.');
    await refusal.waitFor();
    await page.getByRole('button', { name: 'Back to this part' }).click();
    await seeModule(page, MODULES[1]);
  });

  test('Save and close, then a new browser session resumes at the same module', async () => {
    const { content, inner } = playerFrames(page);
    await content.getByRole('button', { name: 'Next ->' }).click();
    await inner.locator('h1').first().getByText(MODULES[1].pages[1], { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Save and close' }).click();
    await page.waitForURL(/\/training\.html$/);
    const saved = await eventually(async () => {
      const s = await savedState(learner.client);
      return s && s.suspended_activity === 'etuqiette_item' && s;
    }, { what: 'suspended state saved' });
    assert.equal(saved.rollup.completion_status, 'incomplete');
    await browser.close();

    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, srv.url, learner.email, learner.password);
    await page.goto(`${srv.url}/play.html?package=${id}`);
    await page.getByText(/^Part 2 of 5: Etiquette$/).waitFor();
    // The content offers to resume its own bookmark; accepted, it shows page 2.
    await playerFrames(page).inner.locator('h1').first().getByText(MODULES[1].pages[1], { exact: true }).waitFor();
    assert.deepEqual(await page.evaluate(() => window.API_1484_11.cmi.entry), 'resume');
    assert.equal(await tocLink(page, 'Handicapping').count(), 0, 'still not available');
  });

  test('all modules and the quiz passed: the course rolls up to completed and passed', async () => {
    await finishModule(page, MODULES[1], 1);
    for (const m of MODULES.slice(2, 4)) {
      await page.getByRole('button', { name: 'Next part' }).click();
      await seeModule(page, m);
      await finishModule(page, m);
    }
    await page.getByRole('button', { name: 'Next part' }).click();
    await page.getByText(/^Part 5 of 5: Quiz$/).waitFor();
    await passQuiz(page);
    await page.getByRole('button', { name: 'Next part' }).click();
    await page.getByText('You have reached the end of this module').waitFor();
    assert.match(await page.locator('#messages').innerText(), /Result: Passed/);
    const record = await eventually(async () => {
      const t = await training(learner.client, GOLF2004_SEQ);
      return t.state === 'passed' && t;
    }, { what: 'the rolled-up result in the record', timeoutMs: 15000 });
    assert.notEqual(record.completed_at, null);
    const saved = await savedState(learner.client);
    assert.deepEqual([saved.rollup.completion_status, saved.rollup.success_status], ['completed', 'passed']);
    assert.deepEqual(browser.problems, []);
  });
});

describe('closing the tab without Save and close', () => {
  test('the module passed just before is still passed on the next visit', async () => {
    const l = await newLearner(srv.url);
    await browser.context.clearCookies();
    await signIn(browser.page, srv.url, l.email, l.password);
    const page = await browser.context.newPage();
    await page.goto(`${srv.url}/play.html?package=${id}`);
    await seeModule(page, MODULES[0]);
    await finishModule(page, MODULES[0]);
    await page.close();
    // The content's Terminate runs while the page goes; the state follows
    // as a keepalive request.
    const saved = await eventually(async () => {
      const s = (await l.client.get(`/api/packages/${id}/sequencing`)).body.saved;
      return s && s.state.sequencing.activityStates.playing_item.successStatus === 'passed' && s;
    }, { what: 'the state saved on unload' });
    assert.equal(saved.suspended_activity, null);
    const again = await browser.context.newPage();
    await again.goto(`${srv.url}/play.html?package=${id}`);
    await toc(again).waitFor();
    await tocLink(again, 'Etiquette').waitFor();
    assert.match(await tocLink(again, 'Playing the Game').innerText(), /Passed/);
    await again.close();
  });
});

describe('accessibility of the sequenced player', () => {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 375, height: 740 }]]) {
    test(`no serious or critical axe-core violations at ${name} width`, async () => {
      const l = await newLearner(srv.url);
      // axe is injected as a script: let it past the Content-Security-Policy.
      const b = await launchBrowser({ bypassCSP: true, viewport });
      try {
        await signIn(b.page, srv.url, l.email, l.password);
        await b.page.goto(`${srv.url}/play.html?package=${id}`);
        await seeModule(b.page, MODULES[0]);
        await b.page.getByRole('button', { name: 'Next part' }).click();
        await b.page.getByRole('alert').getByText(/not available yet/).waitFor();
        await b.page.addScriptTag({ path: AXE_PATH });
        const results = await b.page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'], iframes: false }));
        const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(bad.map((v) => `${v.impact} ${v.id}: ${v.help} ${v.nodes.map((n) => n.target).join(' ')}`), []);
      } finally {
        await b.close();
      }
    });
  }
});
