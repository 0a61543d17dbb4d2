// `cairn bench commits`: the writer-path benchmark (docs/PERFORMANCE.md)
// runs real commits through validation and the group-commit writer, and
// every learner's last acknowledged commit is in the database afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR, pkg, runCairn } from '../lib/server.mjs';

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-commits-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BODY = path.join(SOURCE_DIR, 'tests', 'bench', 'commit-body.json');

/** The name=value fields of the BENCH_COMMITS line. */
function fields(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_COMMITS '));
  assert.ok(line, `no BENCH_COMMITS line in:\n${stdout}`);
  return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')).map(
    ([k, v]) => [k, Number(v)]));
}

test('durable commits are acknowledged, batched and read back', async () => {
  const data = path.join(tmp, 'durable');
  const r = await runCairn(['bench', 'commits', '--data', data, '--learners', '6', '--seconds', '1',
    '--durable', '--body', BODY, '--package', pkg('golf12-runtime-basic-singlesco.zip')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const f = fields(r.stdout);
  assert.equal(f.durable, 1);
  assert.equal(f.learners, 6);
  assert.equal(f.failed, 0);
  assert.equal(f.missing, 0);
  assert.ok(f.commits >= 6, `only ${f.commits} commits`);
  assert.ok(f.rate > 0 && f.transactions > 0);
  assert.ok(f.batch >= 1 && f.batch <= 6, `batch ${f.batch}`);
  assert.ok(f.p50_us > 0 && f.p99_us >= f.p50_us);
  assert.ok(f.cpu_us > 0 && f.writer_cpu_us > 0 && f.producer_cpu_us > 0);

  // Independently of the command's own read-back: each learner's attempt
  // holds a varied suspend_data, and the commits were spread over them.
  // (the sqlite3 shell is installed by deploy/quickstart test)
  const q = spawnSync('sqlite3', [path.join(data, 'cairn.db'),
    "SELECT count(*) FROM sco_attempts WHERE json_extract(cmi, '$.cmi.suspend_data') LIKE 'bench=%'"],
  { encoding: 'utf8' });
  assert.equal(q.error, undefined, 'the sqlite3 shell is needed (apt-get install sqlite3)');
  assert.equal(q.stdout.trim(), '6', q.stderr);
});

test('bad arguments are refused with the reason', async () => {
  for (const args of [['--learners', '0'], ['--seconds', 'x'], ['--learners', '5000'], ['extra']]) {
    const r = await runCairn(['bench', 'commits', '--data', path.join(tmp, 'bad'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const missing = await runCairn(['bench', 'commits', '--data', path.join(tmp, 'nobody'),
    '--body', path.join(tmp, 'no-such-body.json')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-body\.json: cannot read it/);
  const help = await runCairn(['bench', 'commits', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: cairn bench commits/);
});
