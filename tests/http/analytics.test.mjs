// Per-question analytics from SCORM interactions committed through the real
// commit API (docs/API.md "Question analytics"), against numbers worked out
// by hand below, with borough scoping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { GOLF12, GOLF2004, cmi12, cmi2004, commit, launch, packageId } from '../lib/scorm.mjs';

let srv, officer, officerHollow, admin, golf12, golf2004, sco12;
const L = {};

/** A 1.2 interaction as a content writes it. */
function i12(id, type, response, result, pattern) {
  const o = { id, type, student_response: response };
  if (result)
    o.result = result;
  if (pattern !== undefined)
    o.correct_responses = { 0: { pattern } };
  return o;
}

async function answer12(learner, interactions) {
  const b = await launch(learner.client, golf12);
  sco12 = b.sco;
  const body = cmi12({ status: 'incomplete' });
  body.cmi.interactions = Object.fromEntries(interactions.map((x, i) => [String(i), x]));
  const r = await commit(learner.client, b.sco, body);
  assert.equal(r.status, 200, r.text);
}

async function answer2004(learner, interactions) {
  const b = await launch(learner.client, golf2004);
  const body = cmi2004({});
  body.cmi.interactions = Object.fromEntries(interactions.map((x, i) => [String(i), x]));
  const r = await commit(learner.client, b.sco, body);
  assert.equal(r.status, 200, r.text);
}

async function stats(client, id, query = '') {
  const r = await client.get(`/api/officer/packages/${id}/questions${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

/** [id, answered, correct, wrong, share, common wrong or null] per question. */
const summary = (body) => body.questions.map((q) => [q.id, q.answered, q.correct, q.wrong,
  q.share_correct, q.common_wrong && [q.common_wrong.response, q.common_wrong.count]]);

before(async () => {
  srv = await startServer();
  const o = srv.account('officer', 'leics');
  officer = await new Client(srv.url).mustLogin(o.email, o.password);
  const oh = srv.account('officer', 'hollowfield');
  officerHollow = await new Client(srv.url).mustLogin(oh.email, oh.password);
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
  for (const k of ['one', 'two', 'three'])
    L[k] = await newLearner(srv.url, 'Leicestershire');
  L.hollow = await newLearner(srv.url, 'Hollowfield');
  golf12 = await packageId(L.one.client, GOLF12);
  golf2004 = await packageId(L.one.client, GOLF2004);

  // q1 (choice, correct "a"), q2 (true-false, correct "t"), q3 (fill-in,
  // no result: judged against the pattern "Paris", case counts).
  await answer12(L.one, [i12('q1', 'choice', 'a', 'correct', 'a'), i12('q2', 'true-false', 'f', 'wrong', 't'),
    i12('q3', 'fill-in', 'paris', '', 'Paris')]);
  await answer12(L.two, [i12('q1', 'choice', 'b', 'wrong', 'a'), i12('q2', 'true-false', 't', 'correct', 't'),
    i12('q3', 'fill-in', 'Paris', '', 'Paris')]);
  // Three answers q1 wrong ("b"), skips q2, then answers q1 again, right.
  await answer12(L.three, [i12('q1', 'choice', 'b', 'wrong', 'a'), i12('q3', 'fill-in', 'Lyon', 'neutral', 'Paris'),
    i12('q1', 'choice', 'a', 'correct', 'a')]);
  await answer12(L.hollow, [i12('q1', 'choice', 'c', 'wrong', 'a'), i12('q2', 'true-false', 'f', 'wrong', 't')]);

  await answer2004(L.one, [{ id: 'urn:golf:q-handicap', type: 'choice', description: 'What is a handicap?',
    learner_response: 'strokes', result: 'incorrect', correct_responses: { 0: { pattern: 'allowance' } } }]);
  await answer2004(L.two, [{ id: 'urn:golf:q-handicap', type: 'choice', description: 'What is a handicap?',
    learner_response: 'allowance', result: 'correct', correct_responses: { 0: { pattern: 'allowance' } } }]);
});

after(async () => {
  await srv?.stop();
});

describe('question analytics', () => {
  test('first answers of the borough\'s learners, in module order', async () => {
    const body = await stats(officer, golf12);
    assert.equal(body.package.id, golf12);
    assert.equal(body.package.scorm_version, '1.2');
    assert.equal(body.borough.name, 'Leicestershire and Rutland');
    assert.equal(body.answer, 'first');
    assert.equal(body.learners, 3);
    // q1: one "a" (right), two "b" (wrong: three's first answer counts).
    // q2: one "f" wrong, one "t" right. q3: "paris" wrong (no result, not
    // the pattern), "Paris" right, "Lyon" neutral (answered, neither).
    assert.deepEqual(summary(body), [
      ['q1', 3, 1, 2, 0.333, ['b', 2]],
      ['q2', 2, 1, 1, 0.5, ['f', 1]],
      ['q3', 3, 1, 1, 0.333, ['paris', 1]],
    ]);
    const q1 = body.questions[0];
    assert.equal(q1.type, 'choice');
    assert.equal(q1.correct_response, 'a');
    assert.equal(q1.sco.id, sco12.id);
    assert.equal(typeof q1.sco.title, 'string');
  });

  test('latest answers on request', async () => {
    const body = await stats(officer, golf12, '?answer=latest');
    assert.equal(body.answer, 'latest');
    assert.deepEqual(summary(body)[0], ['q1', 3, 2, 1, 0.667, ['b', 1]]);
  });

  test('each borough sees its own learners; admins see all', async () => {
    const h = await stats(officerHollow, golf12);
    assert.equal(h.learners, 1);
    assert.deepEqual(summary(h), [['q1', 1, 0, 1, 0, ['c', 1]], ['q2', 1, 0, 1, 0, ['f', 1]]]);
    const all = await stats(admin, golf12);
    assert.equal(all.borough, null);
    assert.equal(all.learners, 4);
    assert.deepEqual(summary(all), [
      ['q1', 4, 1, 3, 0.25, ['b', 2]],
      ['q2', 3, 1, 2, 0.333, ['f', 2]],
      ['q3', 3, 1, 1, 0.333, ['paris', 1]],
    ]);
    const hb = await stats(admin, golf12, `?borough=${L.hollow.borough.id}`);
    assert.deepEqual(summary(hb), summary(h));
    const r = await officerHollow.get(`/api/officer/packages/${golf12}/questions?borough=${L.one.borough.id}`);
    assert.equal(r.status, 403);
  });

  test('SCORM 2004: learner_response, "incorrect" and the description', async () => {
    const body = await stats(officer, golf2004);
    assert.equal(body.package.scorm_version, '2004');
    assert.equal(body.questions.length, 1);
    const q = body.questions[0];
    assert.equal(q.id, 'urn:golf:q-handicap');
    assert.equal(q.description, 'What is a handicap?');
    assert.deepEqual(summary(body), [['urn:golf:q-handicap', 2, 1, 1, 0.5, ['strokes', 1]]]);
    assert.equal((await stats(officerHollow, golf2004)).questions.length, 0);
  });

  test('CSV export of the same table', async () => {
    const r = await officer.get(`/api/officer/packages/${golf12}/questions?format=csv`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(r.headers['content-disposition'], new RegExp(`^attachment; filename="cairn-questions-${golf12}-\\d{4}-\\d\\d-\\d\\d\\.csv"$`));
    const lines = r.text.replace(/^\uFEFF/, '').split('\r\n');
    assert.equal(lines[0], 'sco,sco_title,question,type,description,answered,correct,wrong,share_correct,correct_response,common_wrong_answer,common_wrong_count');
    const cells = lines.slice(1, 4).map((l) => l.split(',').slice(2));
    assert.deepEqual(cells[0], ['q1', 'choice', '', '3', '1', '2', '0.333', 'a', 'b', '2']);
    assert.deepEqual(cells[2], ['q3', 'fill-in', '', '3', '1', '1', '0.333', 'Paris', 'paris', '1']);
    assert.equal(lines[4], '');
  });

  test('refusals: learners, unknown modules, bad parameters', async () => {
    assert.equal((await L.one.client.get(`/api/officer/packages/${golf12}/questions`)).status, 403);
    assert.equal((await officer.get('/api/officer/packages/9999/questions')).status, 404);
    const r = await officer.get(`/api/officer/packages/${golf12}/questions?answer=best`);
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'answer');
  });
});
