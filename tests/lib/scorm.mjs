// Helpers for launching and committing like the player does.
import { streamBody } from './client.mjs';

export const GOLF12 = { title: 'Golf Explained - Run-time Basic Calls', version: '1.2',
  zip: 'golf12-runtime-basic-singlesco.zip', identifier: 'com.scorm.golfsamples.runtime.basicruntime.12',
  scos: 1 };
export const GOLF12_MULTI = { title: 'Golf Explained - Minimum Run-time Calls', version: '1.2',
  zip: 'golf12-runtime-minimum-multisco.zip', identifier: 'com.scorm.golfsamples.runtime.minimumcalls.12',
  scos: 18 };
export const GOLF2004 = { title: 'Golf Explained - Run-time Basic Calls', version: '2004',
  zip: 'golf2004-3rd-runtime-basic.zip', identifier: 'com.scorm.golfsamples.runtime.basicruntime.20043rd',
  scos: 1 };
export const GOLF2004_SEQ = { title: 'Golf Explained - Sequencing Forced Order', version: '2004',
  zip: 'golf2004-3rd-seq-forced-sequential.zip',
  identifier: 'com.scorm.golfsamples.sequencing.forcedsequential.20043rd', scos: 5 };
export const ALL_GOLF = [GOLF12, GOLF12_MULTI, GOLF2004, GOLF2004_SEQ];

/** The learner's Training entry for a module ({title, version}). */
export async function training(client, mod) {
  const r = await client.get('/api/me/training');
  if (r.status !== 200)
    throw new Error(`GET /api/me/training answered ${r.status}: ${r.text}`);
  const found = r.body.modules.filter((m) => m.title === mod.title && m.scorm_version === mod.version);
  if (found.length !== 1)
    throw new Error(`expected one module "${mod.title}" (${mod.version}) in ${r.text}`);
  return found[0];
}

/** The package id of a module, found by title and version in My training. */
export async function packageId(client, mod) {
  return (await training(client, mod)).package_id;
}

/** POST /api/packages/ID/launch; throws unless 200. */
export async function launch(client, id, body = {}) {
  const r = await client.post(`/api/packages/${id}/launch`, body);
  if (r.status !== 200)
    throw new Error(`launch ${id} answered ${r.status}: ${r.text}`);
  return r.body;
}

/**
 * Sends a commit like scorm-again: JSON to sco.commit_url (plus &final=true
 * for the terminate commit). opts.beacon: as sendBeacon sends it
 * (text/plain;charset=utf-8, no custom headers). opts.raw: the body string.
 */
export function commit(client, sco, cmi, { final = false, beacon = false, raw, contentType, url } = {}) {
  const target = (url ?? sco.commit_url) + (final ? '&final=true' : '');
  const body = raw ?? JSON.stringify(cmi);
  return client.request('POST', target, {
    body,
    contentType: contentType ?? (beacon ? 'text/plain;charset=utf-8' : 'application/json;charset=UTF-8'),
    csrf: false,
  });
}

/** Streams a commit body of totalBytes (declared), refusing to build it. */
export function bigCommit(client, sco, totalBytes) {
  return streamBody(client.baseUrl, sco.commit_url, {
    headers: { 'Content-Type': 'application/json', Cookie: client.cookieHeader() },
    totalBytes, expectContinue: true,
  });
}

/** A SCORM 1.2 commit body as scorm-again sends it. */
export function cmi12({ status = 'incomplete', location = '', suspend = '', exit = '',
  session = '00:00:00', raw = '', min = '', max = '', total } = {}) {
  const core = {
    student_id: '', student_name: '', lesson_location: location, credit: '', lesson_status: status,
    entry: '', score: { raw, min, max }, lesson_mode: 'normal', exit, session_time: session,
  };
  if (total !== undefined)
    core.total_time = total;
  return { cmi: { core, suspend_data: suspend, launch_data: '', comments: '', comments_from_lms: '',
    objectives: {}, student_data: { mastery_score: '', max_time_allowed: '', time_limit_action: '' },
    student_preference: { audio: '', language: '', speed: '', text: '' }, interactions: {} } };
}

/** A SCORM 2004 commit body as scorm-again sends it. */
export function cmi2004({ completion = 'incomplete', success = 'unknown', location = '', suspend = '',
  exit = '', session = 'PT0S', scaled = '', raw = '', total, nav } = {}) {
  const cmi = {
    comments_from_learner: {}, comments_from_lms: {}, completion_status: completion,
    completion_threshold: '', credit: 'credit', entry: '', exit, interactions: {},
    launch_data: '', learner_id: '', learner_name: '', learner_preference: {
      audio_level: '1', language: '', delivery_speed: '1', audio_captioning: '0' },
    location, max_time_allowed: '', mode: 'normal', objectives: {}, progress_measure: '',
    scaled_passing_score: '', score: { scaled, raw, min: '', max: '' }, session_time: session,
    success_status: success, suspend_data: suspend, time_limit_action: '',
  };
  if (total !== undefined)
    cmi.total_time = total;
  const out = { cmi };
  if (nav)
    out.adl = { nav: { request: nav } };
  return out;
}
