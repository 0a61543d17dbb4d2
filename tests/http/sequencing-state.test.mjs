// The SCORM 2004 sequencing state of a registration (docs/API.md
// "Sequencing state"): what the player reads before a sequenced package
// starts, what it saves after each termination, its validation, and the
// tree's rolled-up result becoming the course result.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { newLearner, streamBody } from '../lib/client.mjs';
import { GOLF12, GOLF2004_SEQ, cmi2004, commit, launch, packageId, training } from '../lib/scorm.mjs';

let srv, learner, other, seqId, golf12Id, reg;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  learner = await newLearner(srv.url);
  other = await newLearner(srv.url);
  seqId = await packageId(learner.client, GOLF2004_SEQ);
  golf12Id = await packageId(learner.client, GOLF12);
});

after(async () => {
  await srv?.stop();
});

const put = (client, id, json) => client.request('PUT', `/api/registrations/${id}/sequencing`, { json });

function body({ suspended = null, completion = 'incomplete', success = 'unknown', score = null, state } = {}) {
  return {
    state: state ?? { version: '1.0', sequencing: { currentActivity: 'playing_item', suspendedActivity: suspended,
      activityStates: { playing_item: { attemptCount: 1 },
        // The root's state is what the rollup must match (docs/SCORM.md
        // "What the server trusts").
        golf_sample_default_org: { completionStatus: completion, successStatus: success } } } },
    suspended_activity: suspended,
    rollup: { completion_status: completion, success_status: success, score_scaled: score },
  };
}

function assertInvalid(r, field) {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.field, field, r.text);
  assert.equal(typeof r.body.error, 'string');
}

describe('reading before the first launch', () => {
  test('a sequenced package answers its activity tree, the registration and nothing saved', async () => {
    const r = await learner.client.get(`/api/packages/${seqId}/sequencing`);
    assert.equal(r.status, 200, r.text);
    reg = r.body.registration_id;
    assert.equal(typeof reg, 'number');
    assert.equal(r.body.saved, null);
    const tree = r.body.sequencing.activity_tree;
    assert.equal(tree.id, 'golf_sample_default_org');
    assert.deepEqual(tree.children.map((c) => c.id),
      ['playing_item', 'etuqiette_item', 'handicapping_item', 'havingfun_item', 'assessment_item']);
    assert.equal(tree.children[1].sequencingRules.preConditionRules[0].action, 'disabled');
    assert.equal(r.body.sequencing.objectives_global_to_system, false);
  });

  test('the same registration is answered again, and a launch uses it', async () => {
    const again = await learner.client.get(`/api/packages/${seqId}/sequencing`);
    assert.equal(again.body.registration_id, reg);
  });

  test('a SCORM 1.2 package has no sequencing', async () => {
    const r = await learner.client.get(`/api/packages/${golf12Id}/sequencing`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.sequencing, null);
  });

  test('an unknown package is 404', async () => {
    const r = await learner.client.get('/api/packages/999999/sequencing');
    assert.equal(r.status, 404, r.text);
  });

  test('nothing saved yet: GET on the registration is 404', async () => {
    const r = await learner.client.get(`/api/registrations/${reg}/sequencing`);
    assert.equal(r.status, 404, r.text);
  });
});

describe('saving and reading back', () => {
  test('a saved state reads back as sent, with the suspended activity', async () => {
    const sent = body({ suspended: 'etuqiette_item' });
    const r = await put(learner.client, reg, sent);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { saved: true, record_status: null });
    const g = await learner.client.get(`/api/registrations/${reg}/sequencing`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body.state, sent.state);
    assert.equal(g.body.suspended_activity, 'etuqiette_item');
    assert.deepEqual(g.body.rollup, { completion_status: 'incomplete', success_status: 'unknown', score_scaled: null });
    const p = await learner.client.get(`/api/packages/${seqId}/sequencing`);
    assert.equal(p.body.saved.suspended_activity, 'etuqiette_item');
  });

  test('without the CSRF token a PUT is refused', async () => {
    const r = await learner.client.request('PUT', `/api/registrations/${reg}/sequencing`,
      { json: body(), csrf: false });
    assert.equal(r.status, 403, r.text);
  });
});

describe('validation', () => {
  test('a body that is not JSON is 400', async () => {
    const r = await learner.client.request('PUT', `/api/registrations/${reg}/sequencing`,
      { json: '{"state": {', contentType: 'application/json' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.code, 'bad_json');
  });

  test('a JSON array is 400', async () => {
    const r = await put(learner.client, reg, [1, 2]);
    assert.equal(r.status, 400, r.text);
  });

  test('state must be an object with a sequencing object', async () => {
    assertInvalid(await put(learner.client, reg, { ...body(), state: 'x' }), 'state');
    assertInvalid(await put(learner.client, reg, { ...body(), state: { version: '1.0' } }), 'state');
  });

  test('the suspended activity must be an activity of the module', async () => {
    assertInvalid(await put(learner.client, reg, body({ suspended: 'no_such_item' })), 'suspended_activity');
    assertInvalid(await put(learner.client, reg, { ...body(), suspended_activity: 7 }), 'suspended_activity');
  });

  test('rollup values must be in their vocabularies and ranges', async () => {
    assertInvalid(await put(learner.client, reg, { ...body(), rollup: null }), 'rollup');
    assertInvalid(await put(learner.client, reg, body({ completion: 'done' })), 'rollup.completion_status');
    assertInvalid(await put(learner.client, reg, body({ success: 'ok' })), 'rollup.success_status');
    assertInvalid(await put(learner.client, reg, body({ score: 1.5 })), 'rollup.score_scaled');
    assertInvalid(await put(learner.client, reg, body({ score: '0.5' })), 'rollup.score_scaled');
  });

  test('a state over 3 MiB is 413, and the saved one is unchanged', async () => {
    const big = body({ state: { version: '1.0', sequencing: {}, pad: 'x'.repeat(3100 * 1024) } });
    const r = await put(learner.client, reg, big);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.body.code, 'too_large');
    const g = await learner.client.get(`/api/registrations/${reg}/sequencing`);
    assert.equal(g.body.suspended_activity, 'etuqiette_item');
  });

  test('a body over the 4 MiB commit limit is 413, refused before it is sent', async () => {
    await learner.client.session();
    const r = await streamBody(srv.url, `/api/registrations/${reg}/sequencing`, {
      method: 'PUT', totalBytes: 4200 * 1024, expectContinue: true,
      headers: { 'Content-Type': 'application/json', Cookie: learner.client.cookieHeader(),
        'X-CSRF-Token': learner.client.csrf },
    });
    assert.equal(r.status, 413);
    assert.equal(r.sent, 0);
  });

  test("another learner's registration is 404 for GET and PUT, and is not changed", async () => {
    const g = await other.client.get(`/api/registrations/${reg}/sequencing`);
    assert.equal(g.status, 404, g.text);
    const p = await put(other.client, reg, body({ completion: 'completed', success: 'passed' }));
    assert.equal(p.status, 404, p.text);
    const mine = await learner.client.get(`/api/registrations/${reg}/sequencing`);
    assert.equal(mine.body.rollup.completion_status, 'incomplete');
  });

  test('a registration that does not exist is 404', async () => {
    const r = await put(learner.client, 999999, body());
    assert.equal(r.status, 404, r.text);
  });

  test('a module without sequencing is 409', async () => {
    const g = await learner.client.get(`/api/packages/${golf12Id}/sequencing`);
    const r = await put(learner.client, g.body.registration_id, body());
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'not_sequenced');
  });

  test('without a session it is 401', async () => {
    const { Client } = await import('../lib/client.mjs');
    const anon = new Client(srv.url);
    const r = await anon.get(`/api/registrations/${reg}/sequencing`);
    assert.equal(r.status, 401, r.text);
  });
});

describe('the course result is the tree\'s', () => {
  test('a completed, passed root writes the learner record', async () => {
    const l = await newLearner(srv.url);
    const info = (await l.client.get(`/api/packages/${seqId}/sequencing`)).body;
    const r = await put(l.client, info.registration_id, body({ completion: 'completed', success: 'passed', score: 0.9 }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.record_status, 'passed');
    const t = await training(l.client, GOLF2004_SEQ);
    assert.equal(t.state, 'passed');
    assert.equal(t.score, 90);
  });

  test('a SCO that fails afterwards does not replace the tree\'s result', async () => {
    const l = await newLearner(srv.url);
    const info = (await l.client.get(`/api/packages/${seqId}/sequencing`)).body;
    await put(l.client, info.registration_id, body({ completion: 'incomplete' }));
    // Only the first SCO, failed: without sequencing the module would be
    // "in progress"; the tree says incomplete, so it is.
    const b = await launch(l.client, seqId, { sco: 'playing_item' });
    const c = await commit(l.client, b.sco, cmi2004({ completion: 'completed', success: 'failed', exit: 'normal' }), { final: true });
    assert.equal(c.status, 200, c.text);
    assert.equal((await training(l.client, GOLF2004_SEQ)).state, 'in progress');
    // The tree rolls up to completed and passed: that is the result.
    const r = await put(l.client, info.registration_id, body({ completion: 'completed', success: 'passed' }));
    assert.equal(r.body.record_status, 'passed');
    assert.equal((await training(l.client, GOLF2004_SEQ)).state, 'passed');
    // A later SCO commit recomputes from the tree, not from the failed SCO.
    const b2 = await launch(l.client, seqId, { sco: 'playing_item' });
    const c2 = await commit(l.client, b2.sco, cmi2004({ completion: 'completed', success: 'failed', exit: 'normal' }), { final: true });
    assert.equal(c2.status, 200, c2.text);
    assert.equal((await training(l.client, GOLF2004_SEQ)).state, 'passed');
  });
});
