// Durability: with --durable, every learner commit that got a success
// answer survives SIGKILL under load (docs/OPERATIONS.md "Durability").
//
// Many learners commit at once, each its own attempt, one commit in flight
// per learner as a player sends them, each commit with a distinct
// suspend_data ("seq=N"). The server is killed mid-load and started again
// on the same data folder; each learner's saved data must then be the last
// acknowledged commit or a later one that was sent (a commit may be saved
// and the kill land before its answer), and the database must pass
// PRAGMA integrity_check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { runCairn, startServer } from '../lib/server.mjs';
import { newLearner } from '../lib/client.mjs';
import { GOLF12, cmi12, commit, launch, packageId } from '../lib/scorm.mjs';

const LEARNERS = 24;
const LOAD_MS = 3000;

let srv, srv2;

before(async () => {
  srv = await startServer({ demo: true, packages: true, args: ['--durable'] });
});

after(async () => {
  await srv2?.stop();
  await srv?.stop();
});

function seqOf(cmi) {
  const m = /^seq=(\d+)$/.exec(cmi?.cmi?.suspend_data ?? '');
  return m ? Number(m[1]) : 0;
}

test('every acknowledged commit survives SIGKILL under load (--durable)', async (t) => {
  const learners = [];
  for (let i = 0; i < LEARNERS; i++)
    learners.push(await newLearner(srv.url, i % 2 ? 'Eastmere' : 'Leicestershire'));
  const pkg = await packageId(learners[0].client, GOLF12);
  for (const l of learners) {
    l.sco = (await launch(l.client, pkg)).sco;
    l.acked = 0;    // highest seq answered 200
    l.sent = 0;     // highest seq sent
    l.errors = 0;
  }

  let killed = false;
  const loop = async (l) => {
    while (!killed) {
      const seq = l.sent + 1;
      l.sent = seq;
      try {
        const r = await commit(l.client, l.sco, cmi12({ location: `page-${seq}`, suspend: `seq=${seq}`,
          session: '00:00:01' }));
        if (r.status === 200 && r.body?.result === 'true')
          l.acked = Math.max(l.acked, seq);
        else if (!killed)
          l.errors++;
      } catch {
        // the connection died with the server
        return;
      }
    }
  };
  const loops = learners.map(loop);
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
  const inFlight = learners.filter((l) => l.sent > l.acked).length;
  await srv.kill();
  killed = true;
  await Promise.all(loops);

  const acked = learners.reduce((n, l) => n + l.acked, 0);
  assert.equal(learners.reduce((n, l) => n + l.errors, 0), 0, 'no commit was refused before the kill');
  assert.ok(acked >= LEARNERS * 5, `enough commits were acknowledged to mean something (${acked})`);
  assert.ok(inFlight > 0, 'the kill landed while commits were in flight');
  t.diagnostic(`${acked} commits acknowledged by ${LEARNERS} learners in ${LOAD_MS} ms; ` +
    `${inFlight} in flight at the kill`);

  // The crashed folder as it was left, before anything recovers it.
  const check = await runCairn(['db', 'check', '--data', srv.dataDir]);
  assert.equal(check.code, 0, `cairn db check after the kill: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /^integrity: ok$/m);

  srv2 = await startServer({ demo: false, dataDir: srv.dataDir, args: ['--durable'] });
  for (const l of learners) {
    l.client.baseUrl = srv2.url;
    l.client.host = srv2.host;
    const again = await launch(l.client, pkg);   // same session cookie: kept in the database
    assert.equal(again.sco.attempt, l.sco.attempt, 'the open attempt is continued');
    const seq = seqOf(again.sco.cmi);
    assert.ok(seq >= l.acked && seq <= l.sent,
      `learner ${l.email}: saved seq=${seq}, acknowledged ${l.acked}, sent ${l.sent}`);
    assert.equal(again.sco.cmi.cmi.core.lesson_location, `page-${seq}`,
      'the commit was saved whole (location and suspend_data of the same commit)');
  }
  const live = await runCairn(['db', 'check', '--data', srv.dataDir]);
  assert.equal(live.code, 0, live.stdout + live.stderr);
  assert.match(live.stdout, /^integrity: ok$/m);
});
