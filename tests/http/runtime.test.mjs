// Launching SCOs and SCORM commits (docs/API.md "Launch", "Commit"),
// and what officers see afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { Client, newLearner, request } from '../lib/client.mjs';
import { GOLF12, GOLF12_MULTI, GOLF2004, GOLF2004_SEQ, bigCommit, cmi12, cmi2004, commit, launch,
  packageId, training } from '../lib/scorm.mjs';

let srv;
const ids = {};

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  const l = await newLearner(srv.url);
  for (const [k, m] of Object.entries({ GOLF12, GOLF12_MULTI, GOLF2004, GOLF2004_SEQ }))
    ids[k] = await packageId(l.client, m);
});

after(async () => {
  await srv?.stop();
});

const OK = { result: 'true', errorCode: 0 };

function assertOk(r, what = '') {
  assert.equal(r.status, 200, `${what} ${r.text}`);
  assert.deepEqual(r.body, OK);
}

function assertRefused(r, status, errorCode, element) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body?.result, 'false', r.text);
  assert.equal(r.body.errorCode, errorCode, r.text);
  assert.equal(typeof r.body.error, 'string');
  if (element !== undefined)
    assert.equal(r.body.element, element, r.text);
}

describe('launch', () => {
  test('a first launch of 1.2 gives entry ab-initio, credit, the learner and a commit URL', async () => {
    const l = await newLearner(srv.url, 'Leicestershire', { name: 'Doe, Jane' });
    const b = await launch(l.client, ids.GOLF12);
    assert.deepEqual(b.package, { id: ids.GOLF12, title: GOLF12.title, scorm_version: '1.2' });
    assert.deepEqual(b.learner, { id: String(l.user.id), name: 'Doe, Jane' });
    assert.equal(b.sco.id, 'item_1');
    assert.equal(b.sco.title, 'Golf Explained');
    assert.equal(b.sco.launch_url, `/content/${ids.GOLF12}/1/shared/launchpage.html`);
    assert.equal(b.sco.attempt_number, 1);
    assert.equal(typeof b.sco.attempt, 'number');
    assert.match(b.sco.commit_url, new RegExp(`^/api/attempts/${b.sco.attempt}/commit\\?t=[0-9a-f]{16,}&s=1$`));
    const core = b.sco.cmi.cmi.core;
    assert.equal(core.entry, 'ab-initio');
    assert.equal(core.credit, 'credit');
    assert.equal(core.lesson_mode, 'normal');
    assert.equal(core.student_id, String(l.user.id));
    assert.equal(core.student_name, 'Doe, Jane');
    assert.equal(core.lesson_status, 'not attempted');
    assert.equal(core.total_time, '0000:00:00.00');
    assert.equal(core.session_time, undefined, 'session_time is never fed back');
    assert.deepEqual(b.toc, [{ id: 'item_1', title: 'Golf Explained', depth: 0, launchable: true,
      status: 'not attempted', children: [] }]);
    assert.equal(b.previous, null);
    assert.equal(b.next, null);
    // Every leaf value of cmi is a string (scorm-again drops numbers).
    const walk = (o, p) => {
      for (const [k, v] of Object.entries(o)) {
        if (v && typeof v === 'object')
          walk(v, `${p}.${k}`);
        else
          assert.equal(typeof v, 'string', `${p}.${k} is ${typeof v}`);
      }
    };
    walk(b.sco.cmi, 'cmi');
    // The content is there, for this learner.
    const page = await l.client.get(b.sco.launch_url);
    assert.equal(page.status, 200);
    assert.match(page.text, /<html/i);
  });

  test('a first launch of 2004 gives entry ab-initio and total_time PT0S', async () => {
    const l = await newLearner(srv.url);
    const b = await launch(l.client, ids.GOLF2004);
    assert.equal(b.package.scorm_version, '2004');
    const c = b.sco.cmi.cmi;
    assert.equal(c.entry, 'ab-initio');
    assert.equal(c.credit, 'credit');
    assert.equal(c.mode, 'normal');
    assert.equal(c.learner_id, String(l.user.id));
    assert.equal(c.total_time, 'PT0S');
    assert.equal(c.session_time, undefined);
  });

  test('a launch href with a query string keeps it on the launch URL', async () => {
    const l = await newLearner(srv.url);
    const b = await launch(l.client, ids.GOLF2004_SEQ);
    assert.equal(b.sco.id, 'playing_item');
    assert.equal(b.sco.launch_url, `/content/${ids.GOLF2004_SEQ}/1/shared/launchpage.html?content=playing`);
    const page = await l.client.get(b.sco.launch_url);
    assert.equal(page.status, 200, 'the query is not part of the file name');
  });

  test('multi-SCO: the first SCO, neighbours, the ToC tree, and {"sco"} picks another one', async () => {
    const l = await newLearner(srv.url);
    const b = await launch(l.client, ids.GOLF12_MULTI);
    assert.equal(b.sco.id, 'playing_playing_item');
    assert.equal(b.previous, null);
    assert.equal(b.next, 'playing_par_item');
    assert.equal(b.toc[0].id, 'playing_item');
    assert.equal(b.toc[0].launchable, false);
    assert.equal(b.toc[0].children[0].id, 'playing_playing_item');
    assert.equal(b.toc[0].children[0].depth, 1);
    const leaves = [];
    const walk = (items) => items.forEach((i) => { if (i.launchable) leaves.push(i.id); walk(i.children); });
    walk(b.toc);
    assert.equal(leaves.length, GOLF12_MULTI.scos);
    const second = await launch(l.client, ids.GOLF12_MULTI, { sco: 'playing_par_item' });
    assert.equal(second.sco.id, 'playing_par_item');
    assert.equal(second.previous, 'playing_playing_item');
    assert.notEqual(second.sco.attempt, b.sco.attempt, 'each SCO has its own attempt');
    // Without "sco", the last SCO visited is resumed.
    const again = await launch(l.client, ids.GOLF12_MULTI);
    assert.equal(again.sco.id, 'playing_par_item');
  });

  test('launch refusals: unknown SCO 422, unknown package 404, bad JSON 400, no session 401', async () => {
    const l = await newLearner(srv.url);
    let r = await l.client.post(`/api/packages/${ids.GOLF12}/launch`, { sco: 'no_such_item' });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.field, 'sco');
    r = await l.client.post(`/api/packages/${ids.GOLF12_MULTI}/launch`, { sco: 'playing_item' });
    assert.equal(r.status, 422, `an item without content is not launchable: ${r.text}`);
    r = await l.client.post('/api/packages/9999/launch', {});
    assert.equal(r.status, 404, r.text);
    assert.equal(r.body.code, 'not_found');
    r = await l.client.post(`/api/packages/${ids.GOLF12}/launch`, undefined,
      { body: '{"sco":', contentType: 'application/json' });
    assert.equal(r.status, 400, r.text);
    r = await new Client(srv.url).post(`/api/packages/${ids.GOLF12}/launch`, {});
    assert.equal(r.status, 401, r.text);
    // An empty body is allowed (no "sco").
    r = await l.client.post(`/api/packages/${ids.GOLF12}/launch`, undefined, { body: '', contentType: 'application/json' });
    assert.equal(r.status, 200, r.text);
  });
});

describe('commit', () => {
  test('a valid 1.2 commit as JSON (XHR) and as text/plain (beacon) answers {"result":"true"}', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, sco, cmi12({ location: '2', session: '00:00:01' })), 'json');
    assertOk(await commit(l.client, sco, cmi12({ location: '3', session: '00:00:02' }), { beacon: true }), 'beacon');
    assertOk(await commit(l.client, sco, cmi12({ location: '4', session: '00:00:02' }),
      { contentType: 'TEXT/PLAIN; CHARSET=UTF-8' }), 'upper-case media type');
    assertOk(await commit(l.client, sco, cmi12({ location: '5', session: '00:00:02' }),
      { contentType: 'application/json' }), 'no charset');
    const m = await training(l.client, GOLF12);
    assert.equal(m.state, 'in progress');
    assert.equal(m.time_spent_seconds, 2);
    assert.notEqual(m.last_visit, null);
    assert.match(m.last_visit, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  const refusals12 = [
    ['lesson_status "done"', (c) => { c.cmi.core.lesson_status = 'done'; }, 405, 'cmi.core.lesson_status'],
    ['score.raw "abc"', (c) => { c.cmi.core.score.raw = 'abc'; }, 405, 'cmi.core.score.raw'],
    ['score.raw 101', (c) => { c.cmi.core.score.raw = '101'; }, 405, 'cmi.core.score.raw'],
    ['exit "later"', (c) => { c.cmi.core.exit = 'later'; }, 405, 'cmi.core.exit'],
    ['session_time "5 seconds"', (c) => { c.cmi.core.session_time = '5 seconds'; }, 405, 'cmi.core.session_time'],
    ['lesson_location of 256 characters', (c) => { c.cmi.core.lesson_location = 'l'.repeat(256); }, 405,
      'cmi.core.lesson_location'],
    // docs/SCORM.md: 1.2 suspend_data may hold 64,000 characters (as in scorm-again).
    ['suspend_data of 64001 characters', (c) => { c.cmi.suspend_data = 's'.repeat(64001); }, 405, 'cmi.suspend_data'],
    ['lesson_status as a number', (c) => { c.cmi.core.lesson_status = 3; }, 405, 'cmi.core.lesson_status'],
    ['lesson_status as an object', (c) => { c.cmi.core.lesson_status = { a: 1 }; }, 405, 'cmi.core.lesson_status'],
  ];
  for (const [name, mutate, code, element] of refusals12) {
    test(`1.2 refusal: ${name} → 422 errorCode ${code} ${element}`, async () => {
      const l = await newLearner(srv.url);
      const { sco } = await launch(l.client, ids.GOLF12);
      const body = cmi12({ location: '1', session: '00:00:01' });
      mutate(body);
      const r = await commit(l.client, sco, body);
      assertRefused(r, 422, code, element);
      assert.equal(r.body.code, 'invalid_cmi');
      // Nothing of the refused commit was kept.
      const again = await launch(l.client, ids.GOLF12);
      assert.equal(again.sco.cmi.cmi.core.lesson_location, undefined, JSON.stringify(again.sco.cmi));
      assert.equal((await training(l.client, GOLF12)).time_spent_seconds, 0);
    });
  }

  test('1.2 limits: suspend_data of 4097 and 64000 characters and lesson_location of 255 are accepted', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, sco, cmi12({ location: '1', suspend: 's'.repeat(4097) })));
    assertOk(await commit(l.client, sco, cmi12({ location: 'l'.repeat(255), suspend: 'é'.repeat(64000), exit: 'suspend' }),
      { final: true }));
    const b = await launch(l.client, ids.GOLF12);
    assert.equal(b.sco.cmi.cmi.suspend_data, 'é'.repeat(64000), 'characters are counted, not bytes');
    assert.equal(b.sco.cmi.cmi.core.lesson_location, 'l'.repeat(255));
  });

  const refusals2004 = [
    ['completion_status "finished"', (c) => { c.cmi.completion_status = 'finished'; }, 406, 'cmi.completion_status'],
    ['success_status "yes"', (c) => { c.cmi.success_status = 'yes'; }, 406, 'cmi.success_status'],
    ['score.scaled "abc"', (c) => { c.cmi.score.scaled = 'abc'; }, 406, 'cmi.score.scaled'],
    ['score.scaled 1.5', (c) => { c.cmi.score.scaled = '1.5'; }, 407, 'cmi.score.scaled'],
    ['location of 1001 characters', (c) => { c.cmi.location = 'l'.repeat(1001); }, 406, 'cmi.location'],
    ['suspend_data of 64001 characters', (c) => { c.cmi.suspend_data = 's'.repeat(64001); }, 406, 'cmi.suspend_data'],
    ['session_time "00:00:05"', (c) => { c.cmi.session_time = '00:00:05'; }, 406, 'cmi.session_time'],
    ['adl.nav.request "sideways"', (c) => { c.adl = { nav: { request: 'sideways' } }; }, 406, 'adl.nav.request'],
  ];
  for (const [name, mutate, code, element] of refusals2004) {
    test(`2004 refusal: ${name} → 422 errorCode ${code} ${element}`, async () => {
      const l = await newLearner(srv.url);
      const { sco } = await launch(l.client, ids.GOLF2004);
      const body = cmi2004({ location: '1', session: 'PT1S' });
      mutate(body);
      const r = await commit(l.client, sco, body);
      assertRefused(r, 422, code, element);
    });
  }

  test('2004 limits: location of 1000 characters and adl.nav.request "continue" are accepted', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF2004);
    assertOk(await commit(l.client, sco, cmi2004({ location: 'l'.repeat(1000), nav: 'continue' })));
  });

  test('commit refusals: another learner\'s attempt 403, wrong token 403, no session 401, stale session 409', async () => {
    const a = await newLearner(srv.url), b = await newLearner(srv.url, 'Hollowfield');
    const { sco } = await launch(a.client, ids.GOLF12);
    const body = cmi12({ location: '7', session: '00:00:03' });
    // b sends to a's attempt with a's valid URL.
    assertRefused(await commit(b.client, sco, body), 403, 101);
    // a with a wrong token, or without one.
    const wrong = sco.commit_url.replace(/t=[0-9a-f]+/, 't=' + '0'.repeat(32));
    assertRefused(await commit(a.client, sco, body, { url: wrong }), 403, 101);
    assertRefused(await commit(a.client, sco, body, { url: sco.commit_url.replace(/t=[0-9a-f]+&/, '') }), 403, 101);
    // No session.
    const anon = await commit(new Client(srv.url), sco, body);
    assert.equal(anon.status, 401, anon.text);
    // An attempt that does not exist looks the same as someone else's.
    const missing = sco.commit_url.replace(/attempts\/\d+/, 'attempts/999999');
    assertRefused(await commit(a.client, sco, body, { url: missing }), 403, 101);
    // A newer launch makes the old session's URL stale.
    const second = await launch(a.client, ids.GOLF12);
    assert.match(second.sco.commit_url, /&s=2$/);
    assertRefused(await commit(a.client, sco, body), 409, 101);
    // None of the refused commits was kept.
    assert.equal(second.sco.cmi.cmi.core.lesson_location, undefined);
    assert.equal((await training(a.client, GOLF12)).time_spent_seconds, 0);
    assertOk(await commit(a.client, second.sco, body));
  });

  test('commit bodies: not JSON 400, not an object 400, wrong content type 415, empty 400', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    let r = await commit(l.client, sco, null, { raw: '{"cmi":' });
    assert.equal(r.status, 400, r.text);
    r = await commit(l.client, sco, null, { raw: '[1,2]' });
    assert.equal(r.status, 400, r.text);
    r = await commit(l.client, sco, null, { raw: '' });
    assert.equal(r.status, 400, r.text);
    r = await commit(l.client, sco, cmi12(), { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 415, r.text);
    r = await commit(l.client, sco, cmi12(), { contentType: 'multipart/form-data; boundary=x' });
    assert.equal(r.status, 415, r.text);
  });

  test('a beacon commit (no CSRF header, the page\'s own Origin) is accepted', async () => {
    // Beacons from the player carry the page's own Origin: it must be accepted.
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    const r = await l.client.request('POST', sco.commit_url, { body: JSON.stringify(cmi12()),
      contentType: 'text/plain;charset=utf-8', csrf: false, headers: { Origin: srv.url } });
    assertOk(r, 'same-origin beacon');
  });

  test('the same final commit twice (suspend): 200 both times, data unchanged', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    const body = cmi12({ location: '6', suspend: 'abc', exit: 'suspend', session: '00:00:04' });
    assertOk(await commit(l.client, sco, body, { final: true, beacon: true }), 'first');
    const before = await training(l.client, GOLF12);
    assertOk(await commit(l.client, sco, body, { final: true, beacon: true }), 'second');
    assert.deepEqual(await training(l.client, GOLF12), before);
    assert.equal(before.time_spent_seconds, 4);
  });

  test('the same closing final commit twice: the second answers 409 and changes nothing', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    const body = cmi12({ status: 'passed', location: '15', raw: '90', session: '00:00:09' });
    assertOk(await commit(l.client, sco, body, { final: true, beacon: true }), 'first');
    const before = await training(l.client, GOLF12);
    assert.equal(before.state, 'passed');
    const r = await commit(l.client, sco, body, { final: true, beacon: true });
    assertRefused(r, 409, 101);
    // A mid-session commit after the close is refused the same way.
    assertRefused(await commit(l.client, sco, cmi12({ status: 'failed', session: '00:01:00' })), 409, 101);
    assert.deepEqual(await training(l.client, GOLF12), before);
    assert.equal(before.time_spent_seconds, 9);
  });

  test('exit "suspend": the next launch resumes with the saved location and suspend_data', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, first.sco, cmi12({ location: '3', suspend: 'page=3;q1=a', session: '00:00:02' })));
    assertOk(await commit(l.client, first.sco,
      cmi12({ location: '4', suspend: 'page=4;q1=a', exit: 'suspend', session: '00:00:03' }),
      { final: true, beacon: true }));
    const b = await launch(l.client, ids.GOLF12);
    assert.equal(b.sco.attempt, first.sco.attempt, 'the same attempt');
    assert.equal(b.sco.attempt_number, 1);
    assert.match(b.sco.commit_url, /&s=2$/);
    const core = b.sco.cmi.cmi.core;
    assert.equal(core.entry, 'resume');
    assert.equal(core.lesson_location, '4');
    assert.equal(core.lesson_status, 'incomplete');
    assert.equal(b.sco.cmi.cmi.suspend_data, 'page=4;q1=a');
    assert.equal(core.exit, undefined, 'exit is not fed back');
    assert.equal(core.session_time, undefined);
    assert.equal(core.total_time, '0000:00:03.00');
    assert.equal((await training(l.client, GOLF12)).state, 'in progress');
  });

  test('2004 exit "suspend": resume with location and suspend_data', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.GOLF2004);
    assertOk(await commit(l.client, first.sco,
      cmi2004({ location: '5', suspend: 'x'.repeat(100), exit: 'suspend', session: 'PT3.5S' }),
      { final: true, beacon: true }));
    const b = await launch(l.client, ids.GOLF2004);
    assert.equal(b.sco.cmi.cmi.entry, 'resume');
    assert.equal(b.sco.cmi.cmi.location, '5');
    assert.equal(b.sco.cmi.cmi.suspend_data, 'x'.repeat(100));
    assert.equal(b.sco.cmi.cmi.completion_status, 'incomplete');
    assert.equal(b.sco.cmi.cmi.total_time, 'PT3.5S');
  });

  test('1.2 content closed without exit (exit ""): the bookmark is kept', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, first.sco, cmi12({ location: '8', suspend: 'p8', exit: '', session: '00:00:02' }),
      { final: true, beacon: true }));
    const b = await launch(l.client, ids.GOLF12);
    assert.equal(b.sco.attempt_number, 1, 'unfinished work keeps its attempt');
    assert.equal(b.sco.cmi.cmi.core.lesson_location, '8');
    assert.equal(b.sco.cmi.cmi.suspend_data, 'p8');
  });

  test('passed with exit "": a relaunch starts attempt 2 ab-initio and My training still says passed', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, first.sco,
      cmi12({ status: 'passed', location: '15', suspend: 'done', raw: '100', exit: '', session: '00:00:30' }),
      { final: true, beacon: true }));
    let m = await training(l.client, GOLF12);
    assert.equal(m.state, 'passed');
    assert.equal(m.score, 100);
    assert.notEqual(m.completed_at, null);
    const b = await launch(l.client, ids.GOLF12);
    assert.equal(b.sco.attempt_number, 2);
    assert.notEqual(b.sco.attempt, first.sco.attempt);
    assert.match(b.sco.commit_url, /&s=1$/);
    const core = b.sco.cmi.cmi.core;
    assert.equal(core.entry, 'ab-initio');
    assert.equal(core.lesson_status, 'not attempted');
    assert.equal(core.lesson_location, undefined, 'a new attempt starts without the old bookmark');
    assert.equal(b.sco.cmi.cmi.suspend_data, undefined);
    assert.equal(core.total_time, '0000:00:00.00');
    // The new attempt's progress does not undo the pass.
    assertOk(await commit(l.client, b.sco, cmi12({ status: 'incomplete', location: '2', session: '00:00:05' })));
    m = await training(l.client, GOLF12);
    assert.equal(m.state, 'passed');
    assert.equal(m.score, 100);
    assert.equal(m.time_spent_seconds, 35);
  });

  test('total time: sessions of 5 s and 7 s with repeated mid-session commits count 12 s once', async () => {
    const l = await newLearner(srv.url);
    const s1 = await launch(l.client, ids.GOLF12);
    for (let i = 0; i < 3; i++)
      assertOk(await commit(l.client, s1.sco, cmi12({ location: '2', session: '00:00:05' })));
    // scorm-again adds the session into the total_time it sends: ignored.
    assertOk(await commit(l.client, s1.sco,
      cmi12({ location: '3', exit: 'suspend', session: '00:00:05', total: '00:00:05' }), { final: true, beacon: true }));
    // The beacon arriving twice.
    assertOk(await commit(l.client, s1.sco,
      cmi12({ location: '3', exit: 'suspend', session: '00:00:05', total: '00:00:05' }), { final: true, beacon: true }));
    assert.equal((await training(l.client, GOLF12)).time_spent_seconds, 5);

    const s2 = await launch(l.client, ids.GOLF12);
    assert.equal(s2.sco.cmi.cmi.core.total_time, '0000:00:05.00');
    for (let i = 0; i < 3; i++)
      assertOk(await commit(l.client, s2.sco, cmi12({ location: '4', session: '00:00:07' })));
    assertOk(await commit(l.client, s2.sco,
      cmi12({ location: '5', exit: 'suspend', session: '00:00:07', total: '00:00:12' }), { final: true, beacon: true }));
    const m = await training(l.client, GOLF12);
    assert.equal(m.time_spent_seconds, 12);
    const s3 = await launch(l.client, ids.GOLF12);
    assert.equal(s3.sco.cmi.cmi.core.entry, 'resume');
    assert.equal(s3.sco.cmi.cmi.core.total_time, '0000:00:12.00');
    assert.equal(s3.sco.cmi.cmi.core.lesson_location, '5');
  });

  test('total time, 2004: PT5S + PT7.25S gives PT12.25S at the next launch', async () => {
    const l = await newLearner(srv.url);
    const s1 = await launch(l.client, ids.GOLF2004);
    assertOk(await commit(l.client, s1.sco, cmi2004({ session: 'PT5S' })));
    assertOk(await commit(l.client, s1.sco, cmi2004({ exit: 'suspend', session: 'PT5S', total: 'PT5S' }), { final: true }));
    const s2 = await launch(l.client, ids.GOLF2004);
    assertOk(await commit(l.client, s2.sco, cmi2004({ exit: 'suspend', session: 'PT7.25S', total: 'PT12.25S' }),
      { final: true, beacon: true }));
    const s3 = await launch(l.client, ids.GOLF2004);
    assert.equal(s3.sco.cmi.cmi.total_time, 'PT12.25S');
    assert.equal((await training(l.client, GOLF2004)).time_spent_seconds, 12);
  });

  test('a session that ends without a final commit keeps its last mid-session time', async () => {
    const l = await newLearner(srv.url);
    const s1 = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, s1.sco, cmi12({ location: '2', session: '00:00:04' })));
    // The browser crashed: no final commit. The next launch is a new session.
    const s2 = await launch(l.client, ids.GOLF12);
    assert.equal(s2.sco.attempt, s1.sco.attempt);
    assert.equal(s2.sco.cmi.cmi.core.total_time, '0000:00:04.00');
    assertOk(await commit(l.client, s2.sco, cmi12({ location: '3', session: '00:00:06' })));
    assert.equal((await training(l.client, GOLF12)).time_spent_seconds, 10);
  });

  test('a 2004 commit of over 64 KiB (suspend_data of 64000 characters) is accepted on the XHR path', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF2004);
    const suspend = 'z'.repeat(64000);
    const body = cmi2004({ location: 'l'.repeat(1000), suspend, exit: 'suspend', session: 'PT2S' });
    body.cmi.comments_from_learner = { 0: { comment: 'c'.repeat(4000), location: '9', timestamp: '2025-01-02T03:04:05' } };
    assert.ok(JSON.stringify(body).length > 64 * 1024, `${JSON.stringify(body).length} bytes`);
    assertOk(await commit(l.client, sco, body, { final: true }));
    const b = await launch(l.client, ids.GOLF2004);
    assert.equal(b.sco.cmi.cmi.suspend_data, suspend);
  });

  test('a commit body over 4 MiB: 413', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF2004);
    const r = await bigCommit(l.client, sco, (4 << 20) + 1);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.body.code, 'too_large');
    assert.equal(r.sent, 0);
    assert.equal((await request(srv.url, '/healthz')).status, 200);
  });

  test('20 commits of one session at once: all 200, the session counted once', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      commit(l.client, sco, cmi12({ location: String(i), session: '00:00:08' }), { beacon: i % 2 === 0 })));
    for (const r of rs)
      assertOk(r);
    const m = await training(l.client, GOLF12);
    assert.equal(m.time_spent_seconds, 8);
    assert.equal(m.state, 'in progress');
  });

  test('1.2: a SCO that finishes without ever setting a status counts as completed (docs/SCORM.md)', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.GOLF12_MULTI, { sco: 'playing_rules_item' });
    assertOk(await commit(l.client, first.sco, cmi12({ status: 'not attempted', session: '00:00:03' }),
      { final: true, beacon: true }));
    const b = await launch(l.client, ids.GOLF12_MULTI, { sco: 'playing_playing_item' });
    const find = (items, id) => items.map((i) => (i.id === id ? i : find(i.children, id))).find(Boolean);
    assert.equal(find(b.toc, 'playing_rules_item').status, 'completed');
    // A mid-session commit of "not attempted" is not a finish.
    assertOk(await commit(l.client, b.sco, cmi12({ status: 'not attempted', session: '00:00:01' })));
    const c = await launch(l.client, ids.GOLF12_MULTI, { sco: 'playing_par_item' });
    assert.equal(find(c.toc, 'playing_playing_item').status, 'not attempted');
  });

  test('multi-SCO: completing one SCO shows in the ToC; the module stays in progress', async () => {
    const l = await newLearner(srv.url);
    const first = await launch(l.client, ids.GOLF12_MULTI, { sco: 'playing_par_item' });
    assertOk(await commit(l.client, first.sco, cmi12({ status: 'completed', session: '00:00:04' }),
      { final: true, beacon: true }));
    const b = await launch(l.client, ids.GOLF12_MULTI, { sco: 'playing_scoring_item' });
    const find = (items, id) => items.map((i) => (i.id === id ? i : find(i.children, id))).find(Boolean);
    assert.equal(find(b.toc, 'playing_par_item').status, 'completed');
    assert.equal(find(b.toc, 'playing_playing_item').status, 'not attempted');
    const m = await training(l.client, GOLF12_MULTI);
    assert.equal(m.state, 'in progress');
    assert.equal(m.time_spent_seconds, 4);
  });

  test('interactions and objectives of a 1.2 quiz are accepted', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    const body = cmi12({ status: 'incomplete', location: '12', session: '00:00:03' });
    body.cmi.interactions = {
      0: { id: 'q1', type: 'choice', student_response: 'a', result: 'correct', time: '10:11:12',
        latency: '00:00:02', weighting: '1', objectives: {}, correct_responses: { 0: { pattern: 'a' } } },
      1: { id: 'q2', type: 'true-false', student_response: 't', result: 'wrong', time: '10:11:20',
        objectives: {}, correct_responses: {} },
    };
    body.cmi.objectives = { 0: { id: 'obj_etiquette', status: 'passed', score: { raw: '100', min: '0', max: '100' } } };
    assertOk(await commit(l.client, sco, body));
    body.cmi.interactions[1].type = 'essay';
    assertRefused(await commit(l.client, sco, body), 422, 405, 'cmi.interactions.1.type');
  });
});

describe('officer view', () => {
  test('after a learner passes golf 1.2, their officer sees state passed and the score', async () => {
    const l = await newLearner(srv.url, 'Leicestershire', { name: 'Pat Passer' });
    const { sco } = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, sco, cmi12({ status: 'incomplete', location: '5', session: '00:00:10' })));
    assertOk(await commit(l.client, sco,
      cmi12({ status: 'passed', location: '15', raw: '80', min: '0', max: '100', session: '00:01:05' }),
      { final: true, beacon: true }));
    const mine = await training(l.client, GOLF12);
    assert.equal(mine.state, 'passed');
    assert.equal(mine.score, 80);
    assert.equal(mine.time_spent_seconds, 65);

    const off = srv.account('officer', 'leics');
    const o = await new Client(srv.url).mustLogin(off.email, off.password);
    const r = await o.get('/api/officer/learners');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.borough.name, 'Leicestershire and Rutland');
    const row = r.body.learners.find((x) => x.email === l.email);
    assert.ok(row, `learner missing from ${r.text.slice(0, 500)}`);
    assert.equal(row.name, 'Pat Passer');
    assert.equal(row.id, l.user.id);
    assert.equal(row.job_role, 'Volunteer');
    const mod = row.modules.find((m) => m.package_id === ids.GOLF12);
    assert.ok(mod, JSON.stringify(row));
    assert.equal(mod.state, 'passed');
    assert.equal(mod.score, 80);
    assert.equal(mod.time_spent_seconds, 65);
    assert.notEqual(mod.completed_at, null);
    // A module the learner never opened.
    const other = row.modules.find((m) => m.package_id === ids.GOLF2004);
    if (other)
      assert.equal(other.state, 'not started');
  });

  test('a later failed attempt does not undo a pass: state and score stay those of the pass', async () => {
    const l = await newLearner(srv.url);
    let b = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, b.sco, cmi12({ status: 'passed', raw: '90', session: '00:00:10' }), { final: true }));
    b = await launch(l.client, ids.GOLF12);
    assert.equal(b.sco.attempt_number, 2);
    assertOk(await commit(l.client, b.sco, cmi12({ status: 'failed', raw: '40', session: '00:00:10' }), { final: true }));
    const m = await training(l.client, GOLF12);
    assert.equal(m.state, 'passed');
    assert.equal(m.score, 90, 'the score shown with "passed" is the passing score, not the later 40');
    assert.equal(m.time_spent_seconds, 20);
  });

  test('a failed 1.2 result shows as failed with its score', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF12);
    assertOk(await commit(l.client, sco, cmi12({ status: 'failed', raw: '40', session: '00:00:20' }), { final: true }));
    const m = await training(l.client, GOLF12);
    assert.equal(m.state, 'failed');
    assert.equal(m.score, 40);
  });

  test('2004 completed and passed with scaled 0.9 shows passed, score 90', async () => {
    const l = await newLearner(srv.url);
    const { sco } = await launch(l.client, ids.GOLF2004);
    assertOk(await commit(l.client, sco, cmi2004({ completion: 'completed', success: 'passed', scaled: '0.9',
      raw: '90', session: 'PT20S', exit: 'normal' }), { final: true, beacon: true }));
    const m = await training(l.client, GOLF2004);
    assert.equal(m.state, 'passed');
    assert.equal(m.score, 90);
    assert.equal(m.time_spent_seconds, 20);
  });
});
