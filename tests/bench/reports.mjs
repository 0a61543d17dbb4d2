// tests/bench/reports.mjs: times the officers' reports through real HTTP
// against a running server on generated data (tests/bench/reports starts
// both). Each figure is printed as milliseconds (median, 90th percentile,
// max over the rounds) and as a ratio against GET /api/session measured in
// the same run, rounds interleaved so a busy machine disturbs all alike.
//
//   node tests/bench/reports.mjs URL [ROUNDS]
// Signs in as officer@bench-01.example and admin@bench.example with
// $BENCH_PASSWORD (default "bench password").
import { Client } from '../lib/client.mjs';

const [url, roundsArg] = process.argv.slice(2);
if (!url) {
  console.error('usage: node tests/bench/reports.mjs URL [ROUNDS]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg || 20);
const password = process.env.BENCH_PASSWORD || 'bench password';

const officer = await new Client(url).mustLogin('officer@bench-01.example', password);
const admin = await new Client(url).mustLogin('admin@bench.example', password);

const CASES = [
  ['reference: GET /api/session', officer, '/api/session'],
  ['dashboard, one borough (officer)', officer, '/api/officer/dashboard'],
  ['training needs, one borough (officer)', officer, '/api/officer/tna'],
  ['learners overdue, first 50 (officer)', officer, '/api/officer/learners?status=overdue&limit=50'],
  ['records, first 50 (officer)', officer, '/api/officer/records?limit=50'],
  ['dashboard, every borough (admin)', admin, '/api/officer/dashboard'],
  ['training needs, every borough (admin)', admin, '/api/officer/tna'],
];

async function timed(client, path) {
  const t = process.hrtime.bigint();
  const r = await client.get(path);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { ms, status: r.status, body: r.body };
}

// Warm up (each worker thread's connection and statements), and leave out
// what this server does not have.
const live = [];
for (const c of CASES) {
  let r;
  for (let i = 0; i < 4; i++) r = await timed(c[1], c[2]);
  if (r.status === 200) live.push(c);
  else console.log(`skipped ${c[0]}: ${c[2]} answered ${r.status}`);
}
const first = await timed(officer, '/api/officer/dashboard');
if (first.status === 200)
  console.log(`bench-01: ${first.body.learners} learners, ${first.body.items.required} required items`);

const times = new Map(live.map((c) => [c[0], []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, client, path] of live) {
    const { ms, status } = await timed(client, path);
    if (status !== 200) throw new Error(`${path} answered ${status}`);
    times.get(name).push(ms);
  }
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const ref = q(times.get(live[0][0]), 0.5);
console.log(`\n${ROUNDS} rounds; ratio = median / median of the reference`);
console.log('what'.padEnd(48), 'median ms'.padStart(10), 'p90 ms'.padStart(8), 'max ms'.padStart(8), 'ratio'.padStart(7), ' goal');
for (const [name, , path] of live) {
  const xs = times.get(name);
  const med = q(xs, 0.5);
  const goal = path === '/api/session' ? '' : (q(xs, 0.9) < 300 ? ' p90 < 300 ms: met' : ' p90 < 300 ms: NOT met');
  console.log(name.padEnd(48), med.toFixed(1).padStart(10), q(xs, 0.9).toFixed(1).padStart(8),
    Math.max(...xs).toFixed(1).padStart(8), (med / ref).toFixed(1).padStart(7), goal);
}
