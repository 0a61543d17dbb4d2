// Cairn's own module "Introduction to safeguarding: basic awareness"
// (modules-content/), imported by `cairn serve` at first start and played in
// the player like any SCORM 2004 package:
//  - a learner completes every lesson and passes: My training shows passed
//    with the score, the learner record exists, interactions were reported;
//  - a second learner fails, sees the result saved, retakes and passes;
//  - a third stops in lesson 4, closes the tab and is back in lesson 4; then
//    stops half way through the assessment and resumes at the same question
//    with the same questions and answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { newLearner, Client } from '../lib/client.mjs';
import { eventually, launchBrowser } from '../lib/browser.mjs';
import { launch } from '../lib/scorm.mjs';
import {
  IDENTIFIER, TITLE, answerQuestions, answerScenarios, apiValues, completeLesson, doLessons,
  heading, headingIs, moduleContent, moduleEntry, openModule, openWithPlainApi, signInAs, startModuleServer,
} from './basic-awareness-lib.mjs';

let srv, browser, packageId, content;

before(async () => {
  srv = await startModuleServer();
  browser = await launchBrowser();
  const admin = srv.account('admin');
  const c = await new Client(srv.url).mustLogin(admin.email, admin.password);
  const list = await c.get('/api/packages');
  const pkg = list.body.packages.find((p) => p.identifier === IDENTIFIER);
  assert.ok(pkg, `the module was imported at first start: ${list.text}`);
  assert.equal(pkg.scorm_version, '2004');
  assert.equal(pkg.title, TITLE);
  packageId = pkg.id;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

/** The number of interactions in a commit body (scorm-again sends them as a list). */
function countOf(body) {
  const i = body.cmi.interactions;
  if (!i)
    return 0;
  if (Array.isArray(i.childArray))
    return i.childArray.length;
  return Object.keys(i).filter((k) => /^\d+$/.test(k)).length;
}

/** Polls My training until the module's entry satisfies ok. */
function trainingUntil(client, ok, what) {
  return eventually(async () => {
    const e = await moduleEntry(client);
    return ok(e) && e;
  }, { what, timeoutMs: 15000 });
}

describe('basic awareness: a learner completes every lesson and passes', () => {
  let learner, player;

  test('the module opens on its welcome page', async () => {
    learner = await newLearner(srv.url, 'Leicestershire', { name: 'Alex Passmore' });
    await signInAs(browser.page, srv, learner);
    player = await openModule(browser.context, srv, packageId);
    const cmi = player.launch.sco.cmi.cmi;
    assert.equal(cmi.entry, 'ab-initio');
    assert.equal(cmi.scaled_passing_score, '0.8', 'the manifest\'s minNormalizedMeasure');
    content = await moduleContent(player.frame);
    assert.equal(content.lessons.length, 7);
    assert.ok(content.assessment.questions.length >= 25);
    assert.equal(await heading(player.frame), TITLE);
    assert.match(await player.page.title(), /basic awareness/);
    assert.equal(await player.frame.evaluate(() => document.documentElement.lang), 'en-GB');
  });

  test('works through the 7 lessons; each completion is saved', async () => {
    const { frame, page } = player;
    await frame.getByRole('button', { name: 'Start the first lesson' }).click();
    await doLessons(frame, content, 0, 6, async (i) => {
      // Focus moves to the new lesson's heading, and the page title names the lesson.
      if (i > 0) {
        assert.equal(await frame.evaluate(() => document.activeElement.tagName), 'H1');
        assert.match(await frame.evaluate(() => document.title), new RegExp(`^Lesson ${i + 1} of 7`));
      }
      if (i === 5) {
        // Lesson 6: the borough's contacts from its plugin, not the national text.
        const box = frame.locator('.contacts[data-contacts]');
        await box.waitFor();
        assert.equal(await box.getAttribute('data-contacts'), 'local');
        const { body } = await learner.client.get('/api/me/contacts');
        assert.ok(body.contacts.length >= 3);
        for (const c of body.contacts)
          assert.equal(await box.getByRole('heading', { name: c.role, exact: true, level: 3 }).count(), 1, c.role);
        assert.match(await box.innerText(), /Leicestershire and Rutland/);
      }
    });
    await headingIs(frame, content.assessment.title);
    const v = await apiValues(page, ['cmi.location', 'cmi.completion_status', 'cmi.progress_measure']);
    assert.deepEqual(v, { 'cmi.location': 'assessment', 'cmi.completion_status': 'incomplete',
      'cmi.progress_measure': '0.875' });
    // cmi.exit is write-only: the commits show it. Unfinished: "suspend".
    assert.equal(player.commits.at(-1).cmi.exit, 'suspend');
    const saved = JSON.parse(await page.evaluate(() => window.API_1484_11.GetValue('cmi.suspend_data')));
    assert.equal(saved.l, '2222222', 'every lesson completed in suspend_data');
    assert.ok(JSON.stringify(saved).length < 2000, 'suspend_data stays small');
    const { module } = await moduleEntry(learner.client);
    assert.equal(module.state, 'in progress');
  });

  test('passes the assessment with 14 of 15; every answer is an interaction', async () => {
    const { frame, page } = player;
    await frame.getByRole('button', { name: 'Start the assessment' }).click();
    await headingIs(frame, 'Question 1 of 15');
    const seen = await answerQuestions(frame, content, (k) => k !== 3);
    assert.equal(seen.length, 15);
    assert.equal(new Set(seen).size, 15, 'no question twice');
    const lessonsCovered = new Set(seen.map((id) => content.assessment.questions.find((q) => q.id === id).lesson));
    assert.equal(lessonsCovered.size, 7, 'at least one question from each lesson');
    assert.equal(await heading(frame), 'Final assessment You passed');
    assert.match(await frame.locator('.panel').innerText(), /14 out of 15 \(93%\)/);

    const v = await apiValues(page, ['cmi.completion_status', 'cmi.success_status', 'cmi.score.scaled',
      'cmi.score.raw', 'cmi.score.min', 'cmi.score.max', 'cmi.location', 'cmi.interactions._count',
      'cmi.progress_measure']);
    assert.deepEqual(v, { 'cmi.completion_status': 'completed', 'cmi.success_status': 'passed',
      'cmi.score.scaled': '0.9333', 'cmi.score.raw': '14', 'cmi.score.min': '0', 'cmi.score.max': '15',
      'cmi.location': 'results', 'cmi.interactions._count': '15', 'cmi.progress_measure': '1' });
    // Passed: exit "normal", so the attempt ends when the session does.
    assert.equal(player.commits.at(-1).cmi.exit, 'normal');
    assert.ok(player.commits.every((c) => /^PT[\d.HMS]+$/.test(c.cmi.session_time)), 'session_time in every commit');
    assert.ok(player.commits.length >= 7 + 15, `a commit for each lesson and each answer (${player.commits.length})`);
    for (let n = 0; n < 15; n++) {
      const p = `cmi.interactions.${n}.`;
      const i = await apiValues(page, ['id', 'type', 'learner_response', 'result', 'correct_responses.0.pattern',
        'description', 'timestamp', 'latency'].map((x) => p + x));
      const q = content.assessment.questions.find((x) => x.id === seen[n]);
      const right = q.options.find((o) => o.correct).id;
      assert.equal(i[p + 'id'], q.id);
      assert.equal(i[p + 'type'], 'choice');
      assert.equal(i[p + 'correct_responses.0.pattern'], right);
      assert.equal(i[p + 'result'], n === 3 ? 'incorrect' : 'correct');
      assert.equal(i[p + 'learner_response'] === right, n !== 3);
      assert.equal(i[p + 'description'], q.summary);
      assert.match(i[p + 'timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ$/);
      assert.match(i[p + 'latency'], /^PT/);
    }
    // The result is stored with the last answer's commit, before the learner leaves.
    const { module } = await trainingUntil(learner.client, (e) => e.module.state === 'passed', 'passed stored');
    assert.ok(Math.abs(module.score - 93.33) < 0.01, `score ${module.score}`);
  });

  test('finishing closes the module; My training and the record show passed with the score', async () => {
    const { frame, page } = player;
    await frame.getByRole('button', { name: 'Finish the module' }).click();
    // adl.nav.request "exitAll": the player goes back to My training.
    await page.waitForURL(/\/training\.html$/);
    const card = page.locator('li.cairn-module-card').filter({ has: page.getByRole('heading', { name: TITLE }) });
    await card.getByText('Passed', { exact: true }).waitFor();
    assert.match(await card.innerText(), /Score\s+93(\.3)?%/);
    assert.match(await card.innerText(), /Completed on/);

    const { module, required } = await moduleEntry(learner.client);
    assert.equal(module.state, 'passed');
    assert.notEqual(module.completed_at, null);
    assert.ok(module.time_spent_seconds >= 1);
    // The learner record: the borough's required item is done, with its expiry.
    const item = required.find((r) => r.package === IDENTIFIER);
    assert.ok(item, JSON.stringify(required));
    assert.equal(item.package_id, packageId);
    assert.equal(item.state, 'done');
    assert.match(item.completed_at, /^\d{4}-\d\d-\d\dT/);
    assert.match(item.expires, /^\d{4}-\d\d-\d\d$/);
    // And the borough's officer sees it.
    const officer = srv.account('officer', 'leics');
    const oc = await new Client(srv.url).mustLogin(officer.email, officer.password);
    const rows = (await oc.get('/api/officer/learners')).body.learners;
    const row = rows.find((l) => l.email === learner.email);
    const m = row.modules.find((x) => x.package_id === packageId);
    assert.equal(m.state, 'passed');
    assert.ok(Math.abs(m.score - 93.33) < 0.01);
    await page.close();
    assert.deepEqual(browser.problems, []);
  });
});

describe('basic awareness: a learner fails, retakes and passes', () => {
  let learner, player, firstTry;

  test('fails the first try with 10 of 15; the result is saved', async () => {
    learner = await newLearner(srv.url, 'Leicestershire', { name: 'Robin Retake' });
    await signInAs(browser.page, srv, learner);
    player = await openModule(browser.context, srv, packageId);
    const { frame } = player;
    await frame.getByRole('button', { name: 'Start the first lesson' }).click();
    await doLessons(frame, content, 0, 6);
    await frame.getByRole('button', { name: 'Start the assessment' }).click();
    firstTry = await answerQuestions(frame, content, (k) => k >= 5);
    assert.equal(await heading(frame), 'Final assessment You have not passed this time');
    assert.match(await frame.locator('.panel').innerText(), /10 out of 15 \(67%\)/);
    assert.match(await frame.locator('.panel').innerText(), /pass mark is 80%: 12 out of 15/);
    // Every answer has its explanation on the results page.
    assert.equal(await frame.locator('.results-list details').count(), 15);
    const v = await apiValues(player.page, ['cmi.success_status', 'cmi.completion_status', 'cmi.score.scaled']);
    assert.deepEqual(v, { 'cmi.success_status': 'failed', 'cmi.completion_status': 'completed',
      'cmi.score.scaled': '0.6667' });
    assert.equal(player.commits.at(-1).cmi.exit, 'suspend', 'not passed: the bookmark is kept');
    await trainingUntil(learner.client, (e) => e.module.state === 'failed', 'failed stored');
  });

  test('the tab is closed; the attempt stays open with the interactions, score and bookmark', async () => {
    await player.page.close();
    await eventually(async () => (await moduleEntry(learner.client)).module.time_spent_seconds > 0,
      { what: 'the final beacon stored' });
    // A launch answer carries what the server stored for the open attempt.
    const l = await launch(learner.client, packageId);
    const cmi = l.sco.cmi.cmi;
    assert.equal(cmi.entry, 'resume');
    assert.equal(cmi.location, 'results');
    assert.equal(cmi.success_status, 'failed');
    assert.equal(cmi.completion_status, 'completed');
    assert.equal(cmi.score.scaled, '0.6667');
    assert.equal(cmi.score.raw, '10');
    const list = Object.values(cmi.interactions || {}).filter((i) => i && typeof i === 'object');
    assert.equal(list.length, 15, JSON.stringify(cmi.interactions).slice(0, 500));
    const byId = Object.fromEntries(list.map((i) => [i.id, i]));
    for (const [k, id] of firstTry.entries()) {
      const i = byId[id];
      assert.ok(i, `interaction ${id}`);
      assert.equal(i.type, 'choice');
      assert.equal(i.result, k >= 5 ? 'correct' : 'incorrect');
      const pattern = i.correct_responses && (i.correct_responses[0] || i.correct_responses['0']);
      assert.ok(pattern && pattern.pattern, JSON.stringify(i));
    }
    const data = JSON.parse(cmi.suspend_data);
    assert.deepEqual(data.a.q, firstTry);
    assert.deepEqual(data.h, [[10, 15]]);
  });

  test('reopens on the result, retakes with new questions and passes', async () => {
    player = await openModule(browser.context, srv, packageId);
    const { frame, page } = player;
    assert.equal(await heading(frame), 'Final assessment You have not passed this time');
    await frame.getByRole('button', { name: 'Try again with new questions' }).click();
    await headingIs(frame, 'Question 1 of 15');
    const second = await answerQuestions(frame, content, () => true);
    assert.equal(await heading(frame), 'Final assessment You passed');
    assert.notDeepEqual(second, firstTry, 'a new random set');
    const v = await apiValues(page, ['cmi.success_status', 'cmi.score.scaled', 'cmi.interactions._count']);
    assert.deepEqual(v, { 'cmi.success_status': 'passed', 'cmi.score.scaled': '1',
      'cmi.interactions._count': '30' });
    assert.equal(player.commits.at(-1).cmi.exit, 'normal');
    // The final commit goes out as a beacon (64 KiB at most): with the journal
    // at its cap (90 interactions) the body must still fit.
    const sizes = player.commits.map((c) => JSON.stringify(c).length);
    const withCount = (n) => Math.max(...player.commits.filter((c) => countOf(c) === n)
      .map((c) => JSON.stringify(c).length));
    const perInteraction = (withCount(30) - withCount(16)) / 14;
    const projected = withCount(30) + perInteraction * 60;
    assert.ok(projected < 60000, `a commit with 90 interactions would be ${Math.round(projected)} bytes (now ${Math.max(...sizes)})`);
    const { module, required } = await trainingUntil(learner.client, (e) => e.module.state === 'passed', 'passed stored');
    assert.equal(module.score, 100);
    assert.equal(required.find((r) => r.package === IDENTIFIER).state, 'done');
    await page.close();
    assert.deepEqual(browser.problems, []);
  });
});

describe('basic awareness: stopping and resuming', () => {
  let learner, player, subset;

  test('stops in lesson 4, closes the tab, and is back in lesson 4', async () => {
    learner = await newLearner(srv.url, 'Hollowfield', { name: 'Sam Stopstart' });
    await signInAs(browser.page, srv, learner);
    player = await openModule(browser.context, srv, packageId);
    const { frame } = player;
    await frame.getByRole('button', { name: 'Start the first lesson' }).click();
    await doLessons(frame, content, 0, 2);
    await headingIs(frame, content.lessons[3].title);
    await answerScenarios(frame, content, 3, 'wrong');
    const chosen = await frame.locator('section.scenario input:checked').getAttribute('value');
    await player.page.close();
    await eventually(async () => (await moduleEntry(learner.client)).module.time_spent_seconds > 0,
      { what: 'the final beacon stored' });

    player = await openModule(browser.context, srv, packageId);
    const cmi = player.launch.sco.cmi.cmi;
    assert.equal(cmi.entry, 'resume');
    assert.equal(cmi.location, 'lesson-4');
    assert.equal(await heading(player.frame), `Lesson 4 of 7 ${content.lessons[3].title}`);
    assert.match(await player.frame.locator('#notice').innerText(), /where you left off/);
    // The scenario answer and its feedback are still there.
    assert.equal(await player.frame.locator('section.scenario input:checked').getAttribute('value'), chosen);
    await player.frame.locator('section.scenario [role=status] .feedback__verdict').waitFor();
    // The contents page agrees: 3 lessons done, lesson 4 in progress.
    await player.frame.getByRole('button', { name: 'Contents', exact: true }).click();
    await headingIs(player.frame, 'Contents');
    const tags = await player.frame.locator('ol.contents .tag').allInnerTexts();
    assert.deepEqual(tags, ['Completed', 'Completed', 'Completed', 'In progress', 'Not started', 'Not started',
      'Not started', 'After the lessons']);
  });

  test('stops half way through the assessment and resumes at the same question', async () => {
    const { frame } = player;
    await frame.getByRole('button', { name: /^Lesson 4:/ }).click();
    await doLessons(frame, content, 3, 6);
    await frame.getByRole('button', { name: 'Start the assessment' }).click();
    subset = await answerQuestions(frame, content, (k) => k % 2 === 0, { stopAfter: 6 });
    const before = JSON.parse(await player.page.evaluate(() => window.API_1484_11.GetValue('cmi.suspend_data')));
    assert.equal(before.a.q.length, 15);
    assert.deepEqual(before.a.q.slice(0, 6), subset);
    assert.match(before.a.r, /^[a-f]{6}-{9}$/);
    // Closed while looking at question 6's feedback.
    await player.page.close();
    await eventually(async () => {
      const l = JSON.parse((await learner.client.get('/api/me/training')).text);
      return l.modules.find((m) => m.title === TITLE).time_spent_seconds > 1;
    }, { what: 'the second beacon stored' });

    player = await openModule(browser.context, srv, packageId);
    assert.equal(player.launch.sco.cmi.cmi.location, 'question-6');
    assert.equal(await heading(player.frame), 'Final assessment Question 6 of 15');
    // Question 6 shows as answered, with its feedback, and leads on to question 7.
    assert.equal(await player.frame.locator('#view').getAttribute('data-question-id'), subset[5]);
    assert.equal(await player.frame.locator('fieldset').evaluate((f) => f.disabled), true, 'the answer is locked');
    await player.frame.locator('[role=status] .feedback__verdict').waitFor();
    const after = JSON.parse(await player.page.evaluate(() => window.API_1484_11.GetValue('cmi.suspend_data')));
    assert.deepEqual(after.a, before.a, 'the same questions and answers');
    await player.frame.getByRole('button', { name: 'Next question' }).click();
    await headingIs(player.frame, 'Question 7 of 15');
    const rest = await answerQuestions(player.frame, content, () => true);
    assert.deepEqual([...subset, ...rest], before.a.q);
    // 3 right of the first 6, then 9 right: 12 of 15 is exactly the pass mark.
    assert.equal(await heading(player.frame), 'Final assessment You passed');
    assert.match(await player.frame.locator('.panel').innerText(), /12 out of 15 \(80%\)/);
    await player.page.close();
    assert.deepEqual(browser.problems, []);
  });
});

describe('basic awareness: keyboard only', () => {
  /** Presses Tab until the content frame's focused element matches; returns its description. */
  async function tabTo(page, frame, match, max = 80) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const d = await frame.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return '';
        const kind = e.tagName === 'INPUT' ? `input[${e.type}]` : e.tagName.toLowerCase();
        return `${kind} ${e.textContent.trim()}`;
      });
      if (match(d))
        return d;
    }
    throw new Error(`Tab never reached the element (${max} presses)`);
  }

  async function focusIsVisible(frame) {
    return frame.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    });
  }

  test('a lesson and an assessment question with Tab, Space and Enter only', async () => {
    const learner = await newLearner(srv.url, 'Leicestershire', { name: 'Kim Keys' });
    await signInAs(browser.page, srv, learner);
    const { page, frame } = await openModule(browser.context, srv, packageId);

    await tabTo(page, frame, (d) => d === 'button Start the first lesson');
    assert.ok(await focusIsVisible(frame), 'the focused button shows a focus style');
    await page.keyboard.press('Enter');
    await headingIs(frame, content.lessons[0].title);
    assert.equal(await frame.evaluate(() => document.activeElement.tagName), 'H1', 'focus on the new heading');

    // The scenario: Tab to its first choice, Space selects it, Tab to the button, Enter checks.
    await tabTo(page, frame, (d) => d.startsWith('input[radio]'));
    assert.ok(await focusIsVisible(frame), 'the focused radio shows a focus style');
    await page.keyboard.press('Space');
    assert.equal(await frame.locator('section.scenario input:checked').count(), 1);
    await tabTo(page, frame, (d) => d === 'button Check my answer');
    await page.keyboard.press('Enter');
    await frame.locator('section.scenario [role=status] .feedback__verdict').waitFor();
    await tabTo(page, frame, (d) => d === 'button Complete the lesson and continue');
    await page.keyboard.press('Enter');
    await headingIs(frame, content.lessons[1].title);
    assert.equal(await frame.evaluate(() => document.activeElement.tagName), 'H1');

    // The other lessons with the mouse, then the assessment with the keyboard again.
    await doLessons(frame, content, 1, 6);
    await tabTo(page, frame, (d) => d === 'button Start the assessment');
    await page.keyboard.press('Enter');
    await headingIs(frame, 'Question 1 of 15');
    // Submitting with nothing chosen says so and puts focus on the first choice.
    await tabTo(page, frame, (d) => d === 'button Submit answer');
    await page.keyboard.press('Enter');
    await frame.getByText('Choose an answer').first().waitFor();
    assert.match(await frame.evaluate(() => document.activeElement.type), /radio/);
    await page.keyboard.press('Space');
    await tabTo(page, frame, (d) => d === 'button Submit answer');
    await page.keyboard.press('Enter');
    await frame.locator('[role=status] .feedback__verdict').waitFor();
    // Focus moved to "Next question"; Enter goes on.
    assert.equal(await frame.evaluate(() => document.activeElement.textContent), 'Next question');
    await page.keyboard.press('Enter');
    await headingIs(frame, 'Question 2 of 15');
    assert.equal(await frame.evaluate(() => document.activeElement.tagName), 'H1');
    await page.close();
    assert.deepEqual(browser.problems, []);
  });
});

describe('basic awareness in another LMS (a plain SCORM 2004 API)', () => {
  test('a full interactions journal: an answer updates its question\'s latest entry', async () => {
    const admin = srv.account('admin');
    const c = await new Client(srv.url).mustLogin(admin.email, admin.password);
    const url = srv.url + (await launch(c, packageId)).sco.launch_url;
    const pool = content.assessment.questions;
    const q = pool.slice(0, 15).map((x) => x.id);
    const initial = {
      'cmi.entry': 'resume', 'cmi.location': 'question-1', 'cmi.completion_status': 'incomplete',
      'cmi.suspend_data': JSON.stringify({ v: 1, l: '2222222', s: {}, h: [], p: 0,
        a: { n: 1, q, r: '-'.repeat(15), d: 0 } }),
    };
    for (let n = 0; n < 90; n++) {
      const x = pool[n % pool.length];
      Object.assign(initial, { [`cmi.interactions.${n}.id`]: x.id, [`cmi.interactions.${n}.type`]: 'choice',
        [`cmi.interactions.${n}.learner_response`]: 'z', [`cmi.interactions.${n}.result`]: 'incorrect' });
    }
    const page = await openWithPlainApi(browser.context, url, initial);
    const frame = page.mainFrame();
    await headingIs(frame, 'Question 1 of 15');
    assert.equal(await frame.locator('#view').getAttribute('data-question-id'), q[0]);
    const right = pool[0].options.find((o) => o.correct).id;
    await frame.locator(`input[type=radio][value="${right}"]`).check();
    await frame.getByRole('button', { name: 'Submit answer' }).click();
    await frame.locator('[role=status] .feedback__verdict').waitFor();
    const data = await page.evaluate(() => window.__scorm.data);
    // pool[0] was entries 0, 33 and 66: the latest one is updated; nothing is added.
    const latest = pool.length * 2;
    assert.equal(data[`cmi.interactions.${latest}.learner_response`], right);
    assert.equal(data[`cmi.interactions.${latest}.result`], 'correct');
    assert.equal(data[`cmi.interactions.${latest}.correct_responses.0.pattern`], right);
    assert.equal(data['cmi.interactions.0.learner_response'], 'z');
    assert.equal(data['cmi.interactions.90.id'], undefined);
    const saved = JSON.parse(data['cmi.suspend_data']);
    assert.equal(saved.a.r, right + '-'.repeat(14));
    await page.close();
  });
});
