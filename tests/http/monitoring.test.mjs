// /healthz, /readyz and /metrics (docs/API.md "Monitoring",
// docs/OPERATIONS.md "Monitoring").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SOURCE_DIR, startServer } from '../lib/server.mjs';
import { Client, newLearner, request } from '../lib/client.mjs';
import { GOLF12, cmi12, commit, launch, packageId } from '../lib/scorm.mjs';

/**
 * Parses Prometheus text format 0.0.4 strictly: every sample's family has
 * one HELP and one TYPE line before it, label values are properly escaped,
 * values are numbers. Returns {types, samples: [{name, labels, value}]}.
 */
function parseMetrics(text) {
  const types = {}, helps = {}, samples = [];
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"/y;
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line))) {
      assert.equal(helps[m[1]], undefined, `one HELP for ${m[1]}`);
      helps[m[1]] = m[2];
      continue;
    }
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.equal(types[m[1]], undefined, `one TYPE for ${m[1]}`);
      assert.ok(helps[m[1]], `HELP before TYPE for ${m[1]}`);
      types[m[1]] = m[2];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText = '', valueText] = m;
    const labels = {};
    let pos = 0;
    while (pos < labelText.length) {
      labelRe.lastIndex = pos;
      const lm = labelRe.exec(labelText);
      assert.ok(lm, `labels of ${JSON.stringify(line)}`);
      labels[lm[1]] = lm[2].replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
      pos = labelRe.lastIndex;
      if (labelText[pos] === ',')
        pos++;
    }
    const value = valueText === '+Inf' ? Infinity : Number(valueText);
    assert.ok(!Number.isNaN(value), `a number: ${line}`);
    const family = types[name] ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types[family], `TYPE declared before ${name}`);
    if (family !== name)
      assert.equal(types[family], 'histogram', `${name} belongs to a histogram`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

function value(parsed, name, labels = {}) {
  const s = parsed.samples.find((x) => x.name === name &&
    Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : undefined;
}

/** Buckets rise and the +Inf bucket is the count, for every series. */
function checkHistogram(parsed, name) {
  const series = new Map();
  for (const s of parsed.samples.filter((x) => x.name === `${name}_bucket`)) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    if (!series.has(key))
      series.set(key, []);
    series.get(key).push({ le: le === '+Inf' ? Infinity : Number(le), v: s.value });
  }
  assert.ok(series.size > 0, `${name} has buckets`);
  for (const [key, buckets] of series) {
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i].le > buckets[i - 1].le, `${name} ${key}: le rises`);
      assert.ok(buckets[i].v >= buckets[i - 1].v, `${name} ${key}: cumulative`);
    }
    assert.equal(buckets.at(-1).le, Infinity);
    assert.equal(value(parsed, `${name}_count`, JSON.parse(key)), buckets.at(-1).v, `${name} ${key}: count`);
  }
}

let srv, admin;

before(async () => {
  srv = await startServer({ demo: true, packages: true });
  const a = srv.account('admin');
  admin = await new Client(srv.url).mustLogin(a.email, a.password);
});

after(async () => {
  await srv?.stop();
});

describe('health and readiness', () => {
  test('/healthz says alive', async () => {
    const r = await request(srv.url, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok\n');
  });

  test('/readyz is 200 with every check ok', async () => {
    const r = await request(srv.url, '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { status: 'ready', checks: { database: 'ok', plugins: 'ok' } });
    assert.equal((await request(srv.url, '/readyz', { method: 'HEAD' })).status, 200);
  });

  const sqlite3 = spawnSync('sqlite3', ['-version']).status === 0;
  test('/readyz is 503 while the database cannot be written, and 200 again after', { skip: !sqlite3 && 'no sqlite3 program' }, async () => {
    // Another process holds the write lock.
    const holder = spawn('sqlite3', [path.join(srv.dataDir, 'cairn.db')], { stdio: ['pipe', 'pipe', 'pipe'] });
    holder.stdin.write('BEGIN IMMEDIATE;\nSELECT \'locked\';\n');
    await new Promise((resolve, reject) => {
      holder.stdout.on('data', (d) => { if (String(d).includes('locked')) resolve(); });
      holder.on('exit', () => reject(new Error('sqlite3 exited')));
    });
    try {
      const t0 = Date.now();
      const r = await request(srv.url, '/readyz');
      assert.equal(r.status, 503, r.text);
      assert.equal(r.body.status, 'not_ready');
      assert.equal(r.body.code, 'not_ready');
      assert.match(r.body.error, /database cannot be written.*locked/);
      assert.equal(r.body.checks.plugins, 'ok');
      assert.ok(Date.now() - t0 < 4500, 'the probe answers within its lock wait');
      const h = await request(srv.url, '/healthz');
      assert.equal(h.status, 200, '/healthz only says alive');
    } finally {
      holder.stdin.end('ROLLBACK;\n');
      await new Promise((resolve) => holder.on('close', resolve));
    }
    assert.equal((await request(srv.url, '/readyz')).status, 200);
  });
});

describe('/metrics', () => {
  test('403 for anonymous clients, learners and officers; 200 for an admin', async () => {
    const anon = await request(srv.url, '/metrics');
    assert.equal(anon.status, 403);
    assert.equal(anon.body.code, 'forbidden');
    const l = await newLearner(srv.url);
    assert.equal((await l.client.get('/metrics')).status, 403);
    const o = srv.account('officer');
    const oc = await new Client(srv.url).mustLogin(o.email, o.password);
    assert.equal((await oc.get('/metrics')).status, 403);
    const r = await admin.get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  });

  test('the exposition parses and has every documented metric', async () => {
    const r = await admin.get('/metrics');
    const m = parseMetrics(r.text);
    for (const [name, type] of Object.entries({
      cairn_build_info: 'gauge', cairn_http_requests_total: 'counter',
      cairn_http_request_duration_seconds: 'histogram', cairn_commit_duration_seconds: 'histogram',
      cairn_commit_failures_total: 'counter', cairn_writer_queue_depth: 'gauge',
      cairn_writer_transactions_total: 'counter', cairn_writer_commits_total: 'counter',
      cairn_plugins: 'gauge', cairn_plugin_loaded: 'gauge', cairn_plugin_hook_calls_total: 'counter',
      cairn_plugin_hook_errors_total: 'counter', cairn_plugin_hook_kills_total: 'counter',
      cairn_plugin_hook_seconds_total: 'counter', cairn_database_size_bytes: 'gauge',
      cairn_database_wal_size_bytes: 'gauge', cairn_outbox_pending: 'gauge',
    }))
      assert.equal(m.types[name], type, name);
    checkHistogram(m, 'cairn_http_request_duration_seconds');
    checkHistogram(m, 'cairn_commit_duration_seconds');
    assert.equal(value(m, 'cairn_plugins', { state: 'failed' }), 0);
    assert.ok(value(m, 'cairn_plugins', { state: 'loaded' }) >= 1);
    const size = value(m, 'cairn_database_size_bytes');
    assert.equal(size, fs.statSync(path.join(srv.dataDir, 'cairn.db')).size);
    assert.ok(size > 0);
    assert.ok(value(m, 'cairn_build_info', {}) === 1);
    assert.match(m.samples.find((s) => s.name === 'cairn_build_info').labels.schema, /^\d+$/);
  });

  test('counters go up with requests and commits', async () => {
    const route = { route: '/api/session', status: '200' };
    const m0 = parseMetrics((await admin.get('/metrics')).text);
    const before = value(m0, 'cairn_http_requests_total', route) ?? 0;
    const noFile = value(m0, 'cairn_http_requests_total', { route: '/*', status: '404' }) ?? 0;
    const noRoute = value(m0, 'cairn_http_requests_total', { route: '(none)', status: '404' }) ?? 0;
    const commits = value(m0, 'cairn_commit_duration_seconds_count') ?? 0;
    const written = value(m0, 'cairn_writer_commits_total');
    for (let i = 0; i < 3; i++)
      assert.equal((await request(srv.url, '/api/session')).status, 200);
    assert.equal((await request(srv.url, '/no/such/file.html')).status, 404);
    assert.equal((await request(srv.url, '/api/no/such/thing', { method: 'POST' })).status, 404);
    const l = await newLearner(srv.url, 'Eastmere');
    const sco = (await launch(l.client, await packageId(l.client, GOLF12))).sco;
    for (let i = 0; i < 2; i++)
      assert.equal((await commit(l.client, sco, cmi12({ suspend: `n${i}` }))).status, 200);

    const m1 = parseMetrics((await admin.get('/metrics')).text);
    assert.equal(value(m1, 'cairn_http_requests_total', route) - before, 3 + 1,
      'three GETs here and one by newLearner');
    assert.equal(value(m1, 'cairn_http_requests_total', { route: '/*', status: '404' }) - noFile, 1,
      'a missing file is counted under the static route');
    assert.equal(value(m1, 'cairn_http_requests_total', { route: '(none)', status: '404' }) - noRoute, 1,
      'a request no route matched is counted as (none)');
    assert.equal(value(m1, 'cairn_http_requests_total', { route: '/api/attempts/#/commit', status: '200' }) >= 2, true);
    assert.equal(value(m1, 'cairn_commit_duration_seconds_count') - commits, 2);
    assert.ok(value(m1, 'cairn_commit_duration_seconds_sum') > 0);
    assert.equal(value(m1, 'cairn_writer_commits_total') - written, 2);
    assert.ok(value(m1, 'cairn_http_request_duration_seconds_count', { route: '/api/session' }) >= 4);
    // Eastmere's registration_check ran for the new learner.
    assert.ok(value(m1, 'cairn_plugin_hook_calls_total', { plugin: 'eastmere', hook: 'registration_check' }) >
      (value(m0, 'cairn_plugin_hook_calls_total', { plugin: 'eastmere', hook: 'registration_check' }) ?? 0));
  });
});

const WEIRD = 'we"ird\\name';

describe('a server with --metrics-allow and a broken plugin', () => {
  let bad, dir;

  before(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cairn-plugins-'));
    await fs.promises.cp(path.join(SOURCE_DIR, 'plugins', 'eastmere'), path.join(dir, 'eastmere'),
      { recursive: true });
    const write = async (name, borough, hooks, init) => {
      await fs.promises.mkdir(path.join(dir, name), { recursive: true });
      await fs.promises.writeFile(path.join(dir, name, 'plugin.json'), JSON.stringify({
        name, borough, api_version: 1, hooks, description: 'broken on purpose' }));
      await fs.promises.writeFile(path.join(dir, name, 'init.lua'), init);
    };
    await write('looper', 'hollowfield', ['registration_check'],
      'return { registration_check = function(r) while true do end end }\n');
    await write('broken', 'leicestershire-rutland', ['required_training'], 'return {\n  oops(\n');
    // A folder name no plugin may have, to see label values escaped.
    await fs.promises.mkdir(path.join(dir, WEIRD));
    bad = await startServer({ demo: true, packages: false,
      args: ['--plugins', dir, '--metrics-allow', '10.9.9.9, 127.0.0.1'] });
  });

  after(async () => {
    await bad?.stop();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  test('/readyz is 503 naming the plugin that failed to load; /healthz stays 200', async () => {
    const r = await request(bad.url, '/readyz');
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.checks.database, 'ok');
    assert.equal(r.body.checks.plugins, 'failed');
    assert.equal(r.body.reasons.length, 2);
    // public: names the plugin, keeps its error (paths, Lua lines) for admins
    assert.equal(r.body.reasons[0], 'plugin broken failed to load: see GET /api/admin/plugins');
    assert.equal(r.body.reasons[1], `plugin ${WEIRD} failed to load: see GET /api/admin/plugins`);
    assert.equal((await request(bad.url, '/healthz')).status, 200);
  });

  test('an allowed address reads /metrics without a session, unless it came through a proxy', async () => {
    const r = await request(bad.url, '/metrics');
    assert.equal(r.status, 200, r.text);
    const m = parseMetrics(r.text);
    assert.equal(value(m, 'cairn_plugins', { state: 'failed' }), 2);
    assert.equal(value(m, 'cairn_plugin_loaded', { plugin: 'eastmere' }), 1);
    assert.equal(value(m, 'cairn_plugin_loaded', { plugin: 'broken' }), 0);
    assert.equal(value(m, 'cairn_plugin_loaded', { plugin: WEIRD }), 0, 'the label value is escaped and reads back');
    assert.ok(r.text.includes('cairn_plugin_loaded{plugin="we\\"ird\\\\name"} 0\n'), 'escaped as the format says');
    for (const h of ['X-Forwarded-For', 'Forwarded', 'X-Real-IP'])
      assert.equal((await request(bad.url, '/metrics', { headers: { [h]: 'for=203.0.113.9' } })).status, 403, h);
  });

  test('a plugin killed by its limits counts as a hook error', async () => {
    const m0 = parseMetrics((await request(bad.url, '/metrics')).text);
    const labels = { plugin: 'looper', hook: 'registration_check' };
    await newLearner(bad.url, 'Hollowfield').catch(() => null);   // denied: the hook fails closed
    const m1 = parseMetrics((await request(bad.url, '/metrics')).text);
    assert.ok(value(m1, 'cairn_plugin_hook_errors_total', labels) > (value(m0, 'cairn_plugin_hook_errors_total', labels) ?? 0));
    assert.ok(value(m1, 'cairn_plugin_hook_kills_total', labels) >= 1);
    assert.ok(value(m1, 'cairn_plugin_hook_seconds_total', labels) > 0);
  });
});
