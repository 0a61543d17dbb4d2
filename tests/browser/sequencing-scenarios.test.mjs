// SCORM 2004 sequencing scenarios in the player, each with a small package
// built at test time from tests/fixtures/sequencing/NAME/imsmanifest.xml and
// the tiny SCO in tests/fixtures/sequencing/sco (buttons that report
// completed / passed / failed and ask for "continue"):
//   pretest      a passed pre-test marks the lessons satisfied (global
//                objective write/read maps) and Continue skips them
//   shared       another package reading the same global objective
//                (objectivesGlobalToSystem): its refresher is skipped too
//   remediation  a failed post-test sends the learner back to the lesson
//                (post-condition exitParent, then retry on the module)
//   attempts     attemptLimit 1: a second attempt is refused, in the
//                player and on the server
//   random       selectCount 2 of 4: only two questions are delivered, the
//                same two after Save and close and a new browser session
//   rollup       atLeastCount / atLeastPercent rules roll up to the course
//                and land in the learner record
//   single-limit one SCO with attemptLimit 1: the second launch is refused
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { SOURCE_DIR, startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { eventually, launchBrowser, signIn } from '../lib/browser.mjs';
import { zipFolders } from '../lib/zip.mjs';

const FIXTURES = path.join(SOURCE_DIR, 'tests/fixtures/sequencing');

/** The zip of a fixture folder, with the shared SCO files beside its manifest. */
const fixtureZip = (name) => zipFolders(path.join(FIXTURES, name), path.join(FIXTURES, 'sco'));

let srv, admin, browser, learner;
const ids = {};

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  for (const name of ['pretest', 'shared', 'remediation', 'attempts', 'random', 'rollup', 'single-limit']) {
    const up = await admin.post(`/api/packages?filename=${name}.zip`, undefined,
      { body: fixtureZip(name), contentType: 'application/zip' });
    assert.equal(up.status, 201, `${name}: ${up.text}`);
    ids[name] = up.body.package.id;
  }
  learner = await newLearner(srv.url);
  browser = await launchBrowser();
  await signIn(browser.page, srv.url, learner.email, learner.password);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

const toc = (page) => page.getByRole('navigation', { name: 'Module contents' });
const tocEntry = (page, id) => toc(page).locator(`[data-activity="${id}"]`);
const content = (page) => page.frameLocator('#content-frame');

/** Waits until the SCO on screen is this part. */
async function seePart(page, part) {
  await content(page).locator('h1').getByText(part, { exact: true }).waitFor();
  await page.locator('#part-title').getByText(new RegExp(`: ${part}$`)).waitFor();
}

/** Clicks one of the SCO's buttons ("Pass and continue", ...). */
async function press(page, name) {
  await content(page).getByRole('button', { name }).click();
}

async function open(page, name) {
  await page.goto(`${srv.url}/play.html?package=${ids[name]}`);
}

async function saved(client, name) {
  return (await client.get(`/api/packages/${ids[name]}/sequencing`)).body.saved;
}

/** Part titles of the table of contents, in order. */
async function tocTitles(page) {
  const entries = toc(page).locator('.cairn-toc__link, .cairn-toc__unavailable');
  const out = [];
  for (let i = 0; i < await entries.count(); i++) out.push((await entries.nth(i).locator('span').first().innerText()).trim());
  return out;
}

describe('pre-test skipping', () => {
  test('a passed pre-test marks the lessons passed and Continue skips them', async () => {
    const page = browser.page;
    await open(page, 'pretest');
    await seePart(page, 'Pre-test');
    await press(page, 'Pass and continue');
    await seePart(page, 'Post-test');
    assert.match(await toc(page).getByRole('link', { name: /^Lesson 1/ }).innerText(), /Passed/);
    assert.match(await toc(page).getByRole('link', { name: /^Lesson 2/ }).innerText(), /Passed/);
    const s = await eventually(() => saved(learner.client, 'pretest'), { what: 'state saved' });
    assert.equal(s.state.sequencing.activityStates.lesson1.attemptCount, 0, 'lesson 1 never delivered');
    assert.equal(s.state.sequencing.activityStates.lesson2.attemptCount, 0, 'lesson 2 never delivered');
  });

  test('another package reading the same global objective skips its refresher too', async () => {
    const info = (await learner.client.get(`/api/packages/${ids.shared}/sequencing`)).body;
    assert.equal(info.global_objectives['cairn.test.pretest.mastery'].satisfiedStatus, true);
    assert.equal(info.global_objectives['cairn.test.pretest.mastery'].satisfiedStatusKnown, true);
    const page = browser.page;
    await open(page, 'shared');
    await seePart(page, 'Final check');
    assert.match(await toc(page).getByRole('link', { name: /^Refresher/ }).innerText(), /Passed/);
  });

  test('a failed pre-test leads to the first lesson', async () => {
    const l = await newLearner(srv.url);
    const b = await launchBrowser();
    try {
      await signIn(b.page, srv.url, l.email, l.password);
      await open(b.page, 'pretest');
      await seePart(b.page, 'Pre-test');
      await press(b.page, 'Fail and continue');
      await seePart(b.page, 'Lesson 1');
      await press(b.page, 'Complete and continue');
      await seePart(b.page, 'Lesson 2');
      // The other package sees the pre-test failed: its refresher is not skipped.
      await eventually(async () => {
        const g = (await l.client.get(`/api/packages/${ids.shared}/sequencing`)).body.global_objectives;
        return g['cairn.test.pretest.mastery']?.satisfiedStatusKnown === true;
      }, { what: 'the failed pre-test stored for the learner' });
      await open(b.page, 'shared');
      await seePart(b.page, 'Refresher');
    } finally {
      await b.close();
    }
  });
});

describe('remediation', () => {
  test('a failed post-test sends the learner back to the lesson; a pass goes on', async () => {
    const page = browser.page;
    await open(page, 'remediation');
    await seePart(page, 'Lesson');
    await press(page, 'Complete and continue');
    await seePart(page, 'Post-test');
    await press(page, 'Fail and continue');
    await seePart(page, 'Lesson');
    const s = await eventually(async () => {
      const x = await saved(learner.client, 'remediation');
      return x && x.state.sequencing.activityStates.module.attemptCount === 2 && x;
    }, { what: 'the module retried' });
    assert.equal(s.state.sequencing.activityStates.lesson.attemptCount, 2);
    await press(page, 'Complete and continue');
    await seePart(page, 'Post-test');
    await press(page, 'Pass and continue');
    await seePart(page, 'Summary');
  });
});

describe('attempt limits', () => {
  test('attemptLimit 1: the quiz cannot be taken again, with a plain message', async () => {
    const page = browser.page;
    await open(page, 'attempts');
    await seePart(page, 'Quiz');
    await press(page, 'Fail and continue');
    await seePart(page, 'Review');
    assert.match(await tocEntry(page, 'quiz').innerText(), /Failed, no attempts left/);
    assert.equal(await toc(page).getByRole('link', { name: /^Quiz/ }).count(), 0, 'the quiz is no link');
    // The content asks for it (adl.nav.request choice) and terminates.
    await page.evaluate(() => {
      const api = window.API_1484_11;
      api.SetValue('cmi.completion_status', 'completed');
      api.SetValue('adl.nav.request', '{target=quiz}choice');
      api.Terminate('');
    });
    await page.getByRole('alert').getByText('You have used the one attempt allowed at “Quiz”.').waitFor();
  });

  test('the server refuses a second attempt too (409), and lets the first go on', async () => {
    const reg = (await learner.client.get(`/api/packages/${ids.attempts}/sequencing`)).body.registration_id;
    assert.equal(typeof reg, 'number');
    const r = await learner.client.post(`/api/packages/${ids.attempts}/launch`, { sco: 'quiz' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code ?? r.body.error_code ?? 'attempts_used', 'attempts_used');
    assert.match(r.text, /You have used the one attempt allowed at/);
    const review = await learner.client.post(`/api/packages/${ids.attempts}/launch`, { sco: 'review' });
    assert.equal(review.status, 200, review.text);
  });
});

describe('a single SCO with attemptLimit 1', () => {
  test('the second launch is refused with a plain message in the player', async () => {
    const l = await newLearner(srv.url);
    const b = await launchBrowser();
    try {
      await signIn(b.page, srv.url, l.email, l.password);
      await open(b.page, 'single-limit');
      await content(b.page).locator('h1').getByText('Exam', { exact: true }).waitFor();
      await press(b.page, 'Complete and stay');
      await eventually(async () => {
        const t = (await l.client.get('/api/me/training')).body.modules
          .find((m) => m.package_id === ids['single-limit']);
        return t && t.state === 'completed';
      }, { what: 'the exam completed' });
      await open(b.page, 'single-limit');
      await b.page.getByText('You have used the one attempt allowed at “Exam”.').waitFor();
      assert.equal(await content(b.page).locator('h1').count(), 0, 'no content shown');
    } finally {
      await b.close();
    }
  });
});

describe('randomised selection', () => {
  test('two of four questions, the same two after Save and close and a new session', async () => {
    const l = await newLearner(srv.url);
    let b = await launchBrowser();
    try {
      await signIn(b.page, srv.url, l.email, l.password);
      await open(b.page, 'random');
      await seePart(b.page, 'Introduction');
      await press(b.page, 'Complete and continue');
      await b.page.locator('#part-title').getByText(/^Part 2 of 3: Question [1-4]$/).waitFor();
      const first = (await content(b.page).locator('h1').innerText()).trim();
      const listed = (await tocTitles(b.page)).filter((t) => t.startsWith('Question'));
      assert.equal(listed.length, 2, `two questions listed: ${listed}`);
      assert.equal(listed[0], first);
      await b.page.getByRole('button', { name: 'Save and close' }).click();
      await b.page.waitForURL(/\/training\.html$/);
      await eventually(async () => (await saved(l.client, 'random'))?.suspended_activity, { what: 'suspended' });
      await b.close();

      b = await launchBrowser();
      await signIn(b.page, srv.url, l.email, l.password);
      await open(b.page, 'random');
      await seePart(b.page, first);
      assert.equal(await content(b.page).locator('#entry').innerText(), 'Entry: resume');
      assert.deepEqual((await tocTitles(b.page)).filter((t) => t.startsWith('Question')), listed);
      await press(b.page, 'Pass and continue');
      await seePart(b.page, listed[1]);
      await press(b.page, 'Pass and continue');
      await b.page.getByText('You have reached the end of this module').waitFor();
      const s = await saved(l.client, 'random');
      const delivered = ['q1', 'q2', 'q3', 'q4'].filter((q) => s.state.sequencing.activityStates[q].attemptCount > 0);
      assert.equal(delivered.length, 2, `delivered: ${delivered}`);
      assert.deepEqual([s.rollup.completion_status, s.rollup.success_status], ['completed', 'passed']);
    } finally {
      await b.close();
    }
  });
});

describe('rollup to the course', () => {
  test('two of three units passed: the course is passed and the record says so', async () => {
    const l = await newLearner(srv.url);
    const b = await launchBrowser();
    try {
      await signIn(b.page, srv.url, l.email, l.password);
      await open(b.page, 'rollup');
      await seePart(b.page, 'Unit 1');
      await press(b.page, 'Fail and continue');
      await seePart(b.page, 'Unit 2');
      await press(b.page, 'Pass and continue');
      await seePart(b.page, 'Unit 3');
      // 2 of 3 completed (at least 60 %): completed. 1 of 3 passed and one
      // unknown: neither the author's rule nor the IMS SS default "not
      // satisfied when all are known" applies, so the course is not failed
      // (scorm-again alone said failed: docs/SCORM.md "Deviations").
      const mid = await eventually(async () => {
        const s = await saved(l.client, 'rollup');
        return s && s.rollup.completion_status === 'completed' && s;
      }, { what: 'completed at 2 of 3' });
      assert.equal(mid.rollup.success_status, 'unknown');
      const midEntry = (await l.client.get('/api/me/training')).body.modules.find((m) => m.package_id === ids.rollup);
      assert.notEqual(midEntry.state, 'failed');
      await press(b.page, 'Pass and continue');
      await b.page.getByText('You have reached the end of this module').waitFor();
      assert.match(await b.page.locator('#messages').innerText(), /Result: Passed/);
      const entry = await eventually(async () => {
        const t = (await l.client.get('/api/me/training')).body.modules.find((m) => m.package_id === ids.rollup);
        return t && t.state === 'passed' && t;
      }, { what: 'passed in My training' });
      assert.notEqual(entry.completed_at, null);
      const rec = await l.client.get('/api/me/record');
      assert.equal(rec.status, 200, rec.text);
      assert.match(rec.text, /Sequencing test: rollup/);
      assert.deepEqual(browser.problems, []);
    } finally {
      await b.close();
    }
  });
});
