// `cairn backup` while learners commit, `cairn restore` into a fresh
// folder, and a server on the restored folder showing the same records
// (docs/OPERATIONS.md "Backups"). Restoring a backup made at an older
// schema is tested in tests/unit/test_migrations.c.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { runCairn, startServer } from '../lib/server.mjs';
import { Client, newLearner } from '../lib/client.mjs';
import { GOLF12, cmi12, commit, launch, packageId, training } from '../lib/scorm.mjs';

const LEARNERS = 8;

let srv, srv2, tmp;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-backup-test-'));
});

after(async () => {
  await srv2?.stop();
  await srv?.stop();
  if (tmp)
    await fs.promises.rm(tmp, { recursive: true, force: true });
});

function seqOf(cmi) {
  const m = /^seq=(\d+)$/.exec(cmi?.cmi?.suspend_data ?? '');
  return m ? Number(m[1]) : 0;
}

test('a backup taken under commit load restores into a working server with the same records', async (t) => {
  // One learner finished the module before the backup: a stable record.
  const done = await newLearner(srv.url, 'Leicestershire', { name: 'Finished, Fay' });
  const pkg = await packageId(done.client, GOLF12);
  const first = (await launch(done.client, pkg)).sco;
  const fin = await commit(done.client, first, cmi12({ status: 'passed', raw: '88', min: '0', max: '100',
    session: '00:05:00', suspend: 'finished' }), { final: true });
  assert.equal(fin.status, 200, fin.text);
  const doneTraining = await training(done.client, GOLF12);

  const learners = [];
  for (let i = 0; i < LEARNERS; i++) {
    const l = await newLearner(srv.url, i % 2 ? 'Hollowfield' : 'Leicestershire');
    l.sco = (await launch(l.client, pkg)).sco;
    l.acked = 0;
    l.sent = 0;
    learners.push(l);
  }
  let stop = false;
  const loop = async (l) => {
    while (!stop) {
      const seq = ++l.sent;
      const r = await commit(l.client, l.sco, cmi12({ location: `page-${seq}`, suspend: `seq=${seq}` }));
      assert.equal(r.status, 200, r.text);
      l.acked = seq;
    }
  };
  const loops = learners.map(loop);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = learners.map((l) => l.acked);
  const dest = path.join(tmp, 'backup-1');
  const b = await runCairn(['backup', '--data', srv.dataDir, dest], { timeoutMs: 60000 });
  const afterSent = learners.map((l) => l.sent);
  await new Promise((resolve) => setTimeout(resolve, 200));
  stop = true;
  await Promise.all(loops);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /^backed up .* schema \d+, \d+ files, [1-9]\d* package versions/m);
  const moved = learners.filter((l, i) => l.acked > afterSent[i]).length;
  assert.ok(moved > 0, 'learners kept committing during and after the backup');
  t.diagnostic(b.stdout.trim());

  const manifest = JSON.parse(await fs.promises.readFile(path.join(dest, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'cairn-backup');
  assert.ok(Number.isInteger(manifest.schema_version) && manifest.schema_version >= 4);
  assert.match(manifest.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(manifest.files.some((f) => f.path === 'cairn.db' && /^[0-9a-f]{64}$/.test(f.sha256)));
  const launchFile = first.launch_url.replace(/^\/content\/(\d+)\/(\d+)\//, 'packages/$1/$2/');
  assert.ok(manifest.files.some((f) => f.path === launchFile), `${launchFile} is in the backup`);

  // Restore into a fresh folder (as on a new machine) and start on it.
  const target = path.join(tmp, 'restored', 'data');
  const r = await runCairn(['restore', '--data', target, dest], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const again = await runCairn(['restore', '--data', target, dest]);
  assert.equal(again.code, 1, 'restoring over a data folder is refused');
  assert.match(again.stderr, /not empty.*--force/);

  srv2 = await startServer({ demo: false, dataDir: target });
  // Every learner's saved data is what they had between the start and the
  // end of the backup: one consistent moment.
  for (const [i, l] of learners.entries()) {
    const c = new Client(srv2.url);
    await c.mustLogin(l.email, l.password);
    const b2 = await launch(c, pkg);
    assert.equal(b2.sco.attempt, l.sco.attempt);
    const seq = seqOf(b2.sco.cmi);
    assert.ok(seq >= before[i] && seq <= afterSent[i],
      `learner ${i}: restored seq=${seq}, acknowledged ${before[i]} before the backup, ` +
      `${afterSent[i]} sent by its end`);
    assert.equal(b2.sco.cmi.cmi.core.lesson_location, `page-${seq}`);
  }
  // The finished learner's record and the package content are the same.
  const c = new Client(srv2.url);
  await c.mustLogin(done.email, done.password);
  assert.deepEqual(await training(c, GOLF12), doneTraining);
  const orig = await done.client.get(first.launch_url);
  const restored = await c.get(first.launch_url);
  assert.equal(restored.status, 200);
  assert.equal(restored.text, orig.text);
  const live = await runCairn(['db', 'check', '--data', target]);
  assert.equal(live.code, 0, live.stdout + live.stderr);
});

test('a damaged backup is refused and nothing is restored', async () => {
  const dest = path.join(tmp, 'backup-2');
  const b = await runCairn(['backup', '--data', srv.dataDir, dest]);
  assert.equal(b.code, 0, b.stderr);
  const manifest = JSON.parse(await fs.promises.readFile(path.join(dest, 'manifest.json'), 'utf8'));
  const victim = manifest.files.find((f) => f.path.startsWith('packages/'));
  await fs.promises.appendFile(path.join(dest, victim.path), 'x');
  const target = path.join(tmp, 'restored-2');
  const r = await runCairn(['restore', '--data', target, dest]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not match the manifest/);
  assert.equal(fs.existsSync(target), false);
  const twice = await runCairn(['backup', '--data', srv.dataDir, dest]);
  assert.equal(twice.code, 1, 'a backup never writes into an existing folder');
  assert.match(twice.stderr, /already exists/);
});
