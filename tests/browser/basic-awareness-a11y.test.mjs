// The basic awareness module against WCAG 2.2 AA, on every page it has, at
// 1280 px and at 360 px: axe-core (WCAG A and AA rules) inside the content
// frame finds nothing; text at 200% needs no sideways scrolling; and a full
// screenshot of each page is kept for people to look at, under
// $CAIRN_BUILD/test-artefacts/basic-awareness/ (never in the source tree).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { newLearner, Client } from '../lib/client.mjs';
import { AXE_PATH, launchBrowser } from '../lib/browser.mjs';
import {
  ARTEFACTS, IDENTIFIER, answerQuestions, answerScenarios, completeLesson, heading, headingIs,
  moduleContent, openModule, openWithPlainApi, signInAs, startModuleServer,
} from './basic-awareness-lib.mjs';

const WIDTHS = [['desktop', 1280, 900], ['phone', 360, 740]];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let srv, browser, packageId;
const checked = [];

before(async () => {
  srv = await startModuleServer();
  const admin = srv.account('admin');
  const c = await new Client(srv.url).mustLogin(admin.email, admin.password);
  packageId = (await c.get('/api/packages')).body.packages.find((p) => p.identifier === IDENTIFIER).id;
  browser = await launchBrowser();
  fs.mkdirSync(ARTEFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

function describeNode(n) {
  return `    ${n.target.join(' ')}\n      ${(n.failureSummary || '').split('\n').join('\n      ')}`;
}

/** axe-core in the content frame: every WCAG A/AA violation fails. */
async function axe(frame, what) {
  if (!(await frame.evaluate(() => typeof window.axe !== 'undefined')))
    await frame.addScriptTag({ path: AXE_PATH });
  const results = await frame.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
  }), AXE_TAGS);
  assert.deepEqual(results.violations.map((v) => `${what}: ${v.impact} ${v.id}: ${v.help}\n${v.nodes.map(describeNode).join('\n')}`), []);
  checked.push(what);
}

/** At 200% text size the page still fits its width (WCAG 1.4.4 and 1.4.10). */
async function reflows(frame, what) {
  const r = await frame.evaluate(() => {
    const root = document.documentElement;
    root.style.fontSize = '200%';
    const out = { scroll: root.scrollWidth, client: root.clientWidth, wide: [] };
    if (out.scroll > out.client + 1) {
      for (const e of document.body.querySelectorAll('*')) {
        if (e.getBoundingClientRect().right > out.client + 1 && out.wide.length < 5)
          out.wide.push(`${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 40)}"`);
      }
    }
    root.style.fontSize = '';
    return out;
  });
  assert.ok(r.scroll <= r.client + 1, `${what} at 200% text: ${r.scroll} px wide in ${r.client} px: ${r.wide.join(', ')}`);
}

/** A screenshot of the player with the whole of the content page in view. */
async function screenshot(page, frame, name, width, height) {
  const box = await page.locator('#content-frame').boundingBox();
  const contentHeight = await frame.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height: Math.ceil(box.y + contentHeight + 4) });
  await page.waitForTimeout(100);
  const file = path.join(ARTEFACTS, `${name}-${width}.png`);
  await page.screenshot({ path: file });
  await page.setViewportSize({ width, height });
  assert.ok(fs.statSync(file).size > 1000, file);
}

for (const [label, width, height] of WIDTHS) {
  describe(`basic awareness pages at ${label} width (${width} px)`, () => {
    let learner, player, content, launchUrl;

    async function check(what, shot) {
      await axe(player.frame, `${what} (${width} px)`);
      await reflows(player.frame, `${what} (${width} px)`);
      if (shot)
        await screenshot(player.page, player.frame, shot, width, height);
    }

    test('welcome, contents and the assessment before the lessons', async () => {
      learner = await newLearner(srv.url, 'Hollowfield', { name: `Axe ${label}` });
      await signInAs(browser.page, srv, learner);
      await browser.page.setViewportSize({ width, height });
      player = await openModule(browser.context, srv, packageId,
        { prepare: (page) => page.setViewportSize({ width, height }) });
      content = await moduleContent(player.frame);
      launchUrl = player.launch.sco.launch_url;
      await check('welcome', 'welcome');
      await player.frame.getByRole('button', { name: 'See the contents' }).click();
      await headingIs(player.frame, 'Contents');
      await check('contents', 'contents');
      await player.frame.getByRole('button', { name: content.assessment.title }).click();
      await headingIs(player.frame, content.assessment.title);
      await check('assessment before the lessons');
      await player.frame.getByRole('button', { name: /^Lesson 1:/ }).click();
      await headingIs(player.frame, content.lessons[0].title);
    });

    test('every lesson, with its error and feedback states', async () => {
      for (let i = 0; i < content.lessons.length; i++) {
        const { frame } = player;
        await headingIs(frame, content.lessons[i].title);
        if (i === 5)
          await frame.locator('.contacts[data-contacts]').waitFor();
        await check(`lesson ${i + 1}`);
        if (i === 1) {
          // Continuing without answering: the error summary and the fields' errors.
          await frame.getByRole('button', { name: 'Complete the lesson and continue' }).click();
          await frame.locator('.error-summary').waitFor();
          assert.equal(await frame.evaluate(() => document.activeElement.className), 'error-summary');
          await check('lesson 2 with errors', 'lesson-2-errors');
        }
        // Wrong answers first (the feedback then shows the best choice too), then the best.
        await answerScenarios(frame, content, i, 'wrong');
        await check(`lesson ${i + 1} with feedback`);
        await answerScenarios(frame, content, i, 'best');
        await check(`lesson ${i + 1} answered`, `lesson-${i + 1}`);
        await completeLesson(frame, content, i);
      }
    });

    test('lesson 6 shows national guidance when the contacts cannot be had', async () => {
      // As in another LMS (or when Cairn answers 404): the national text.
      const other = await openModule(browser.context, srv, packageId, {
        prepare: async (page) => {
          await page.setViewportSize({ width, height });
          await page.route('**/api/me/contacts', (r) => r.fulfill({ status: 404, contentType: 'text/html',
            body: 'Not found' }));
        },
      });
      await other.frame.getByRole('button', { name: 'Contents', exact: true }).click();
      await other.frame.getByRole('button', { name: /^Lesson 6:/ }).click();
      await headingIs(other.frame, content.lessons[5].title);
      const box = other.frame.locator('.contacts[data-contacts]');
      await box.waitFor();
      assert.equal(await box.getAttribute('data-contacts'), 'national');
      assert.match(await box.innerText(), /Report child abuse to a local council/);
      assert.match(await box.innerText(), /999/);
      await axe(other.frame, `lesson 6, national guidance (${width} px)`);
      await screenshot(other.page, other.frame, 'lesson-6-national', width, height);
      await other.page.close();
    });

    test('the assessment: a question, its feedback, a failed and a passed result', async () => {
      await player.page.close();
      player = await openModule(browser.context, srv, packageId,
        { prepare: (page) => page.setViewportSize({ width, height }) });
      const { frame } = player;
      await frame.getByRole('button', { name: 'Contents', exact: true }).click();
      await frame.getByRole('button', { name: content.assessment.title }).click();
      await headingIs(frame, content.assessment.title);
      await check('assessment', 'assessment');
      await frame.getByRole('button', { name: 'Start the assessment' }).click();
      await headingIs(frame, 'Question 1 of 15');
      await check('question', 'question');
      await frame.getByRole('button', { name: 'Submit answer' }).click();
      await frame.getByText('Choose an answer').first().waitFor();
      await check('question with an error');
      await answerQuestions(frame, content, () => false, { stopAfter: 1 });
      await check('question with feedback', 'question-feedback');
      await frame.getByRole('button', { name: 'Next question' }).click();
      await headingIs(frame, 'Question 2 of 15');
      await answerQuestions(frame, content, () => false);
      assert.match(await heading(frame), /You have not passed/);
      await frame.locator('.results-list details summary').first().click();
      await check('failed result', 'result-failed');
      await frame.getByRole('button', { name: 'Try again with new questions' }).click();
      await headingIs(frame, 'Question 1 of 15');
      await answerQuestions(frame, content, () => true);
      assert.match(await heading(frame), /You passed/);
      await check('passed result', 'result-passed');
      await player.page.close();
    });

    test('outside Cairn\'s player, with a plain SCORM API: "Save and exit" and "Finish"', async () => {
      assert.ok(launchUrl, 'the launch URL from the player');
      // Save and exit: the bookmark is kept ("suspend") and the LMS is asked to suspend.
      let page = await openWithPlainApi(browser.context, srv.url + launchUrl);
      await page.setViewportSize({ width, height });
      await headingIs(page.mainFrame(), content.title);
      let log = await page.evaluate(() => window.__scorm.log);
      assert.deepEqual(log[0], ['Initialize']);
      const setOf = (l, k) => l.filter((x) => x[0] === 'SetValue' && x[1] === k).map((x) => x[2]);
      assert.equal(setOf(log, 'cmi.exit').at(-1), 'suspend', 'exit "suspend" from the start');
      assert.equal(setOf(log, 'cmi.completion_status').at(-1), 'incomplete');
      assert.equal(setOf(log, 'cmi.location').at(-1), 'welcome');
      assert.ok(log.some((x) => x[0] === 'Commit'));
      await page.getByRole('button', { name: 'Save and exit' }).click();
      await headingIs(page.mainFrame(), 'Your progress has been saved');
      log = await page.evaluate(() => window.__scorm.log);
      assert.equal(setOf(log, 'adl.nav.request').at(-1), 'suspendAll');
      assert.deepEqual(log.at(-1), ['Terminate']);
      await axe(page.mainFrame(), `saved and closed (${width} px)`);
      await page.close();

      // A passed try, resumed on its result: "Finish" ends with exit "normal" and "exitAll".
      const ids = content.assessment.questions.slice(0, 15);
      const saved = { v: 1, l: '2222222', s: {}, h: [[15, 15]], p: 1,
        a: { n: 1, q: ids.map((q) => q.id), r: ids.map((q) => q.options.find((o) => o.correct).id).join(''), d: 1 } };
      page = await openWithPlainApi(browser.context, srv.url + launchUrl, {
        'cmi.entry': 'resume', 'cmi.location': 'results', 'cmi.suspend_data': JSON.stringify(saved),
        'cmi.success_status': 'passed', 'cmi.completion_status': 'completed' });
      await page.setViewportSize({ width, height });
      await headingIs(page.mainFrame(), 'You passed');
      await page.getByRole('button', { name: 'Finish the module' }).click();
      await headingIs(page.mainFrame(), 'You have finished the module');
      log = await page.evaluate(() => window.__scorm.log);
      assert.equal(setOf(log, 'cmi.exit').at(-1), 'normal');
      assert.equal(setOf(log, 'adl.nav.request').at(-1), 'exitAll');
      assert.deepEqual(log.at(-1), ['Terminate']);
      await axe(page.mainFrame(), `finished (${width} px)`);
      await page.close();
    });
  });
}

describe('the pages checked', () => {
  test('the check itself can fail: axe in the content frame finds poor contrast', async () => {
    const learner = await newLearner(srv.url, 'Hollowfield', { name: 'Axe Control' });
    await signInAs(browser.page, srv, learner);
    const { page, frame } = await openModule(browser.context, srv, packageId);
    await frame.evaluate(() => {
      const p = document.createElement('p');
      p.textContent = 'Pale grey text on white';
      p.style.color = '#cccccc';
      document.querySelector('#view').append(p);
    });
    await assert.rejects(axe(frame, 'control'), /color-contrast/);
    await page.close();
  });

  test('every page of the module was checked at both widths', () => {
    const pages = ['welcome', 'contents', 'assessment before the lessons', 'lesson 2 with errors',
      'lesson 6, national guidance', 'assessment', 'question', 'question with an error',
      'question with feedback', 'failed result', 'passed result', 'saved and closed', 'finished'];
    for (let i = 1; i <= 7; i++)
      pages.push(`lesson ${i}`, `lesson ${i} with feedback`, `lesson ${i} answered`);
    for (const [, width] of WIDTHS)
      for (const p of pages)
        assert.ok(checked.includes(`${p} (${width} px)`), `${p} at ${width} px`);
    for (const [, width] of WIDTHS)
      for (let i = 1; i <= 7; i++)
        assert.ok(fs.existsSync(path.join(ARTEFACTS, `lesson-${i}-${width}.png`)));
  });
});
