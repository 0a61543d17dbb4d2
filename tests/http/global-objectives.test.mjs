// SCORM 2004 global objectives shared across packages for one learner
// (objectivesGlobalToSystem), and what the server checks before it
// believes a sequenced package's state (docs/SCORM.md "Global objectives",
// "What the server trusts"). Packages are built from tests/fixtures/sequencing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { SOURCE_DIR, startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { cmi2004, commit, launch } from '../lib/scorm.mjs';
import { zipFolders } from '../lib/zip.mjs';

const FIXTURES = path.join(SOURCE_DIR, 'tests/fixtures/sequencing');
const MASTERY = 'cairn.test.pretest.mastery';

let srv, learner, other;
const ids = {};

before(async () => {
  srv = await startServer({ demo: true, packages: false });
  const a = srv.account('admin');
  const admin = await new Client(srv.url).mustLogin(a.email, a.password);
  for (const name of ['pretest', 'shared', 'attempts', 'single-limit']) {
    const zip = zipFolders(path.join(FIXTURES, name), path.join(FIXTURES, 'sco'));
    const up = await admin.post(`/api/packages?filename=${name}.zip`, undefined, { body: zip, contentType: 'application/zip' });
    assert.equal(up.status, 201, `${name}: ${up.text}`);
    ids[name] = up.body.package.id;
  }
  learner = await newLearner(srv.url);
  other = await newLearner(srv.url);
});

after(async () => {
  await srv?.stop();
});

const info = async (client, name) => (await client.get(`/api/packages/${ids[name]}/sequencing`)).body;
const put = (client, reg, json) => client.request('PUT', `/api/registrations/${reg}/sequencing`, { json });

/** A body as the player sends it; root 'org' in the given state. */
function body({ completion = 'incomplete', success = 'unknown', current = 'pretest', states = {}, globals } = {}) {
  const b = {
    state: { version: '1.0', globalObjectiveMap: {}, sequencing: { currentActivity: current, suspendedActivity: null,
      activityStates: { org: { completionStatus: completion, successStatus: success }, ...states } } },
    suspended_activity: null,
    rollup: { completion_status: completion, success_status: success, score_scaled: null },
  };
  if (globals !== undefined) b.global_objectives = globals;
  return b;
}

function assertInvalid(r, field, pattern) {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.field, field, r.text);
  if (pattern) assert.match(r.body.error, pattern);
}

describe('global objectives', () => {
  let reg;

  test('a package with objectivesGlobalToSystem reads the learner\'s objectives: none yet', async () => {
    const i = await info(learner.client, 'pretest');
    reg = i.registration_id;
    assert.equal(i.sequencing.objectives_global_to_system, true);
    assert.deepEqual(i.global_objectives, {});
  });

  test('values out of range, and objectives the package does not write, are refused', async () => {
    assertInvalid(await put(learner.client, reg, body({ globals: { [MASTERY]: { satisfiedStatus: 'yes' } } })),
      'global_objectives', /satisfiedStatus/);
    assertInvalid(await put(learner.client, reg, body({ globals: { [MASTERY]: { normalizedMeasure: 1.5 } } })),
      'global_objectives', /normalizedMeasure/);
    assertInvalid(await put(learner.client, reg, body({ globals: { [MASTERY]: { completionStatus: 'done' } } })),
      'global_objectives', /completionStatus/);
    assertInvalid(await put(learner.client, reg, body({ globals: { 'cairn.test.other': { satisfiedStatus: true } } })),
      'global_objectives', /does not write/);
    assertInvalid(await put(learner.client, reg, body({ globals: { [MASTERY]: 'passed' } })), 'global_objectives');
    assertInvalid(await put(learner.client, reg, body({ globals: [1] })), 'global_objectives');
    assert.deepEqual((await info(learner.client, 'shared')).global_objectives, {}, 'nothing stored');
  });

  test('a package that only reads an objective cannot write it', async () => {
    const r = (await info(learner.client, 'shared')).registration_id;
    const b = body({ current: 'refresher', globals: { [MASTERY]: { satisfiedStatus: true, satisfiedStatusKnown: true } } });
    assertInvalid(await put(learner.client, r, b), 'global_objectives', /does not write/);
  });

  test('written by one package, read by another; only the fields its maps write', async () => {
    const r = await put(learner.client, reg, body({ globals: { [MASTERY]: {
      satisfiedStatus: true, satisfiedStatusKnown: true, normalizedMeasure: 0.5, normalizedMeasureKnown: true,
      readSatisfiedStatus: false, writeSatisfiedStatus: true } } }));
    assert.equal(r.status, 200, r.text);
    const shared = await info(learner.client, 'shared');
    // The pre-test's mapInfo writes the satisfied status only.
    assert.deepEqual(shared.global_objectives, { [MASTERY]: { satisfiedStatus: true, satisfiedStatusKnown: true } });
    assert.deepEqual((await info(learner.client, 'pretest')).global_objectives, shared.global_objectives);
  });

  test('a later write changes the value; another learner sees nothing of it', async () => {
    const r = await put(learner.client, reg, body({ globals: { [MASTERY]: { satisfiedStatus: false, satisfiedStatusKnown: true } } }));
    assert.equal(r.status, 200, r.text);
    assert.equal((await info(learner.client, 'shared')).global_objectives[MASTERY].satisfiedStatus, false);
    assert.deepEqual((await info(other.client, 'shared')).global_objectives, {});
  });
});

describe('what the server believes', () => {
  test('a rolled-up result that is not the root\'s state is refused', async () => {
    const l = await newLearner(srv.url);
    const reg = (await info(l.client, 'pretest')).registration_id;
    const b = body({ completion: 'completed', success: 'passed' });
    b.state.sequencing.activityStates.org = { completionStatus: 'incomplete', successStatus: 'unknown' };
    assertInvalid(await put(l.client, reg, b), 'rollup', /root activity/);
    delete b.state.sequencing.activityStates.org;
    assertInvalid(await put(l.client, reg, b), 'rollup');
    const t = (await l.client.get('/api/me/training')).body.modules.find((m) => m.package_id === ids.pretest);
    assert.notEqual(t?.state, 'passed');
  });

  test('a SCO the state calls attempted must have been opened', async () => {
    const l = await newLearner(srv.url);
    const reg = (await info(l.client, 'pretest')).registration_id;
    const states = { pretest: { attemptCount: 1 }, posttest: { attemptCount: 1 } };
    assertInvalid(await put(l.client, reg, body({ current: 'pretest', states })), 'state', /posttest/);
    await launch(l.client, ids.pretest, { sco: 'posttest' });
    const ok = await put(l.client, reg, body({ current: 'pretest', states }));
    assert.equal(ok.status, 200, ok.text);
  });
});

describe('attempt limits on the server', () => {
  test('attemptLimit 1: a suspended attempt goes on; a second attempt is 409', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.attempts, { sco: 'quiz' });
    assert.equal(first.sco.attempt_number, 1);
    let c = await commit(l.client, first.sco, cmi2004({ exit: 'suspend' }), { final: true });
    assert.equal(c.status, 200, c.text);
    const again = await launch(l.client, ids.attempts, { sco: 'quiz' });
    assert.equal(again.sco.attempt, first.sco.attempt, 'the same attempt, resumed');
    c = await commit(l.client, again.sco, cmi2004({ completion: 'completed', success: 'failed', exit: 'normal' }), { final: true });
    assert.equal(c.status, 200, c.text);
    const r = await l.client.post(`/api/packages/${ids.attempts}/launch`, { sco: 'quiz' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'attempts_used');
    assert.equal(r.body.error, 'You have used the one attempt allowed at “Quiz”.');
    // Other SCOs without a limit still open, again and again.
    for (let i = 0; i < 2; i++) {
      const rv = await launch(l.client, ids.attempts, { sco: 'review' });
      await commit(l.client, rv.sco, cmi2004({ completion: 'completed', exit: 'normal' }), { final: true });
    }
    assert.equal((await launch(l.client, ids.attempts, { sco: 'review' })).sco.attempt_number, 3);
  });

  test('a single-SCO package with attemptLimit 1 is limited too', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids['single-limit']);
    await commit(l.client, first.sco, cmi2004({ completion: 'completed', exit: 'normal' }), { final: true });
    const r = await l.client.post(`/api/packages/${ids['single-limit']}/launch`, {});
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.error, /one attempt allowed at “Exam”/);
  });
});
