// Helpers for the basic awareness module's browser tests
// (basic-awareness*.test.mjs): a server with Cairn's own modules, the
// module's content frame, and a learner who works through it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startServer } from '../lib/server.mjs';
import { eventually, forgetUser, signIn } from '../lib/browser.mjs';

export const TITLE = 'Introduction to safeguarding: basic awareness';
export const IDENTIFIER = 'cairn.basic-awareness';
export const BUILD_DIR = process.env.CAIRN_BUILD || path.resolve('build');
export const MODULES_DIR = path.join(BUILD_DIR, 'modules-content');
export const ZIP = path.join(MODULES_DIR, 'cairn-basic-awareness.zip');
/** Where screenshots go: under the build folder, never in the source tree. */
export const ARTEFACTS = path.join(BUILD_DIR, 'test-artefacts', 'basic-awareness');

/** `cairn serve --demo` with the built module imported at first start. */
export async function startModuleServer() {
  assert.ok(fs.existsSync(ZIP), `${ZIP} is missing: build it with ninja`);
  return startServer({ demo: true, packages: false, args: ['--modules', MODULES_DIR] });
}

/** The module's Training entry for a learner's client. */
export async function moduleEntry(client) {
  const r = await client.get('/api/me/training');
  assert.equal(r.status, 200, r.text);
  const m = r.body.modules.find((x) => x.title === TITLE);
  assert.ok(m, `the module is on My training: ${r.text}`);
  return { module: m, required: r.body.required, body: r.body };
}

/** The content frame's Frame (for evaluate) once the module has drawn its first view. */
export async function contentFrame(page) {
  const frame = await eventually(async () => page.frames().find((f) => /\/content\/\d+\/\d+\/index\.html/.test(f.url())),
    { what: 'the module frame' });
  await frame.locator('#view h1').first().waitFor();
  await frame.waitForFunction(() => !document.querySelector('#view .loading'));
  return frame;
}

/**
 * Opens the player for the module on a new page of the context; returns
 * {page, frame, launch, commits}. opts.prepare(page) runs before the page
 * loads (routes, viewport).
 */
export async function openModule(context, srv, packageId, opts = {}) {
  const page = await context.newPage();
  if (opts.prepare)
    await opts.prepare(page);
  // The commit bodies the player sends (JSON, also the final beacon), in order.
  const commits = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/attempts\/\d+\/commit/.test(r.url())) {
      try {
        commits.push(JSON.parse(r.postData()));
      } catch { /* not JSON: the test that cares will see it missing */ }
    }
  });
  const launched = page.waitForResponse((r) => /\/api\/packages\/\d+\/launch$/.test(new URL(r.url()).pathname));
  await page.goto(`${srv.url}/play.html?package=${packageId}`);
  const res = await launched;
  assert.equal(res.status(), 200, await res.text());
  const launch = await res.json();
  const frame = await contentFrame(page);
  return { page, frame, launch, commits };
}

/** The module's content (window.CAIRN_MODULE) as the frame has it. */
export function moduleContent(frame) {
  return frame.evaluate(() => window.CAIRN_MODULE);
}

export async function heading(frame) {
  return (await frame.locator('#view h1').first().innerText()).replace(/\s+/g, ' ').trim();
}

/** Waits until the view's h1 contains text. */
export async function headingIs(frame, text) {
  await eventually(async () => (await heading(frame)).includes(text),
    { what: `the heading "${text}" (now "${await heading(frame).catch(() => '?')}")` });
}

/** Answers every scenario of the lesson on screen (the best answer unless pick says otherwise). */
export async function answerScenarios(frame, content, lessonIndex, pick = 'best') {
  const lesson = content.lessons[lessonIndex];
  const scenarios = lesson.blocks.filter((b) => b.type === 'scenario');
  const sections = frame.locator('section.scenario');
  assert.equal(await sections.count(), scenarios.length);
  for (let i = 0; i < scenarios.length; i++) {
    const sc = scenarios[i];
    const choice = pick === 'best' ? sc.options.find((o) => o.correct) : sc.options.find((o) => !o.correct);
    const section = sections.nth(i);
    await section.locator(`input[type=radio][value="${choice.id}"]`).check();
    await section.getByRole('button', { name: 'Check my answer' }).click();
    await section.locator('[role=status] .feedback__verdict').waitFor();
  }
}

/** Completes the lesson on screen and waits for the next view. */
export async function completeLesson(frame, content, lessonIndex) {
  await answerScenarios(frame, content, lessonIndex);
  const last = lessonIndex === content.lessons.length - 1;
  await frame.getByRole('button', {
    name: last ? 'Complete the lesson and go to the assessment' : 'Complete the lesson and continue',
  }).click();
  await headingIs(frame, last ? content.assessment.title : content.lessons[lessonIndex + 1].title);
}

/** From the welcome page, works through lessons first..last (0-based, inclusive). */
export async function doLessons(frame, content, first, last, onLesson) {
  for (let i = first; i <= last; i++) {
    await headingIs(frame, content.lessons[i].title);
    if (onLesson)
      await onLesson(i);
    await completeLesson(frame, content, i);
  }
}

/** The id of the question on screen. */
export function questionId(frame) {
  return frame.locator('#view').getAttribute('data-question-id');
}

/**
 * Answers the assessment's questions from the one on screen to the end.
 * plan(k, question) returns true for a right answer. Returns the ids seen.
 */
export async function answerQuestions(frame, content, plan, { stopAfter } = {}) {
  const pool = Object.fromEntries(content.assessment.questions.map((q) => [q.id, q]));
  const seen = [];
  for (let k = 0; ; k++) {
    const text = await heading(frame);
    const m = /Question (\d+) of (\d+)/.exec(text);
    assert.ok(m, `a question is on screen: "${text}"`);
    const id = await questionId(frame);
    const q = pool[id];
    assert.ok(q, `question ${id} is in the pool`);
    seen.push(id);
    const right = plan(k, q);
    const choice = right ? q.options.find((o) => o.correct) : q.options.find((o) => !o.correct);
    await frame.locator(`input[type=radio][value="${choice.id}"]`).check();
    await frame.getByRole('button', { name: 'Submit answer' }).click();
    await frame.locator('[role=status] .feedback__verdict').waitFor();
    assert.equal(await frame.locator('[role=status] .feedback__verdict').innerText(), right ? 'Correct.' : 'Incorrect.');
    if (stopAfter && seen.length >= stopAfter)
      return seen;
    const last = m[1] === m[2];
    await frame.getByRole('button', { name: last ? 'See your result' : 'Next question' }).click();
    if (last) {
      await eventually(async () => /You passed|You have not passed/.test(await heading(frame)),
        { what: 'the results page' });
      return seen;
    }
    await headingIs(frame, `Question ${Number(m[1]) + 1} of`);
  }
}

/** cmi values of the module's SCORM API in the player page. */
export function apiValues(page, names) {
  return page.evaluate((list) => Object.fromEntries(list.map((n) => [n, window.API_1484_11.GetValue(n)])), names);
}

/** Signs a learner in on page's context (a fresh cookie jar). */
export async function signInAs(page, srv, learner) {
  await forgetUser(page);
  await signIn(page, srv.url, learner.email, learner.password);
}

/**
 * A script that gives a page a plain in-memory SCORM 2004 API, as another
 * LMS would: window.API_1484_11, with the values in initial, and every call
 * logged in window.__scorm.log.
 */
export function plainApiScript(initial = {}) {
  return `(() => {
    const data = Object.assign({ 'cmi.entry': 'ab-initio', 'cmi.mode': 'normal', 'cmi.credit': 'credit',
      'cmi.completion_status': 'unknown', 'cmi.success_status': 'unknown' }, ${JSON.stringify(initial)});
    const log = [];
    let state = 0;
    window.__scorm = { data, log };
    window.API_1484_11 = {
      Initialize() { log.push(['Initialize']); state = 1; return 'true'; },
      Terminate() { log.push(['Terminate']); state = 2; return 'true'; },
      GetValue(k) {
        if (k === 'cmi.interactions._count')
          return String(Object.keys(data).filter((x) => /^cmi\\.interactions\\.\\d+\\.id$/.test(x)).length);
        return k in data ? data[k] : '';
      },
      SetValue(k, v) { log.push(['SetValue', k, String(v)]); if (state !== 1) return 'false'; data[k] = String(v); return 'true'; },
      Commit() { log.push(['Commit']); return 'true'; },
      GetLastError() { return '0'; },
      GetErrorString() { return ''; },
      GetDiagnostic() { return ''; },
    };
  })();`;
}

/** Opens the module's content page on its own (no Cairn player) with a plain SCORM API. */
export async function openWithPlainApi(context, url, initial) {
  const page = await context.newPage();
  await page.addInitScript(plainApiScript(initial));
  await page.goto(url);
  await page.locator('#view h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('#view .loading'));
  return page;
}
