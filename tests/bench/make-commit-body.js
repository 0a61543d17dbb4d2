#!/usr/bin/env node
// Writes the commit body the benchmark POSTs: what scorm-again (the player's
// runtime, node_modules/scorm-again) sends on a SCORM 1.2 commit with
// dataCommitFormat "json", after a learner has worked through part of a
// module: status, location, score, session time, exit, 1.4 KB of
// suspend_data and three interactions: about 2.4 KB of JSON.
//   node tests/bench/make-commit-body.js > tests/bench/commit-body.json
'use strict';
const fs = require('fs');
const path = require('path');

const src = fs.readFileSync(path.join(__dirname, '..', '..', 'node_modules',
  'scorm-again', 'dist', 'scorm12.js'), 'utf8');
global.window = global;
const ctx = {};
new Function(src).call(ctx);
const api = new ctx.Scorm12API({ logLevel: 5, autocommit: false,
  dataCommitFormat: 'json', lmsCommitUrl: false });

function set(k, v) {
  if (api.LMSSetValue(k, v) !== 'true')
    throw new Error(`${k}=${v}: SCORM error ${api.LMSGetLastError()}`);
}

api.LMSInitialize('');
set('cmi.core.lesson_status', 'incomplete');
set('cmi.core.lesson_location', 'page-07-handicaps');
set('cmi.core.score.min', '0');
set('cmi.core.score.max', '100');
set('cmi.core.score.raw', '72');
set('cmi.core.session_time', '00:14:37.25');
set('cmi.core.exit', 'suspend');
// Suspend data as authoring tools write it: a compact state string.
let sd = 'v=3;lang=en-GB;pages=';
for (let i = 1; sd.length < 1400; i++)
  sd += `p${String(i).padStart(2, '0')}:${i % 3 ? 'seen' : 'done'}:${(i * 37) % 100},`;
set('cmi.suspend_data', sd.slice(0, 1400));
const questions = [
  ['q1_par', 'choice', 'b', 'b', 'correct', '00:00:12'],
  ['q2_handicap', 'fill-in', 'stroke index', 'stroke index', 'correct', '00:00:31'],
  ['q3_etiquette', 'true-false', 'f', 't', 'wrong', '00:00:08'],
];
questions.forEach(([id, type, resp, correct, result, latency], n) => {
  set(`cmi.interactions.${n}.id`, id);
  set(`cmi.interactions.${n}.type`, type);
  set(`cmi.interactions.${n}.time`, `10:1${n}:05`);
  set(`cmi.interactions.${n}.weighting`, '1');
  set(`cmi.interactions.${n}.student_response`, resp);
  set(`cmi.interactions.${n}.correct_responses.0.pattern`, correct);
  set(`cmi.interactions.${n}.result`, result);
  set(`cmi.interactions.${n}.latency`, latency);
});
process.stdout.write(JSON.stringify(api.renderCommitCMI(false)));
