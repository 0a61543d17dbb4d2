// SCORM 2004 sequencing: from the manifest JSON's "sequencing" object
// (docs/SCORM-MANIFEST-JSON.md) to scorm-again's sequencing settings, and
// the few things the player reads back from the engine.
//
// The manifest JSON already uses scorm-again's key names; what is fixed
// here is where scorm-again 3.4 reads a value differently from the IMS SS
// book (docs/SCORM.md "Deviations"):
//  - rollup minimumPercent: IMS SS writes a fraction (0.75); scorm-again
//    compares it with a percentage (75), so it is multiplied by 100.
//  - randomizationControls reorderChildren (IMS SS: "shuffle the children")
//    is scorm-again's randomizeChildren; scorm-again's own reorderChildren
//    means "already shuffled" and, set from the manifest with timing
//    "once", stops the shuffle from ever happening. So it is moved over.
// And one normalisation: condition operator "noOp" is the absence of an
// operator; scorm-again's vocabulary has only "not", so it is dropped.

/** A deep copy of the manifest's activity tree, ready for scorm-again. */
export function activityTreeFrom(tree) {
  const copy = JSON.parse(JSON.stringify(tree));
  fixActivity(copy, 0);
  return copy;
}

function fixConditions(rule) {
  for (const condition of rule.conditions || []) {
    if (condition.operator === 'noOp') delete condition.operator;
  }
}

function fixActivity(activity, depth) {
  if (!activity || depth > 64) return;
  const rules = activity.sequencingRules || {};
  for (const list of [rules.preConditionRules, rules.exitConditionRules, rules.postConditionRules]) {
    for (const rule of list || []) fixConditions(rule);
  }
  for (const rule of (activity.rollupRules && activity.rollupRules.rules) || []) {
    if (typeof rule.minimumPercent === 'number') rule.minimumPercent *= 100;
    fixConditions(rule);
  }
  const controls = activity.sequencingControls;
  if (controls && typeof controls.reorderChildren === 'boolean') {
    controls.randomizeChildren = controls.reorderChildren;
    delete controls.reorderChildren;
  }
  for (const child of activity.children || []) fixActivity(child, depth + 1);
}

/** Identifiers of the leaves (the activities that launch content), in order. */
export function leafIds(activity, out = []) {
  if (!activity) return out;
  if (!activity.children || activity.children.length === 0) out.push(activity.id);
  for (const child of activity.children || []) leafIds(child, out);
  return out;
}

const COMPLETION = ['completed', 'incomplete', 'not attempted', 'unknown'];
const SUCCESS = ['passed', 'failed', 'unknown'];

/** The rolled-up result of the tree's root, as the server stores it. */
export function rootRollup(engineState) {
  const root = (engineState && engineState.rootActivity) || {};
  const completion = COMPLETION.includes(root.completionStatus) ? root.completionStatus : 'unknown';
  let success = SUCCESS.includes(root.successStatus) ? root.successStatus : 'unknown';
  if (success === 'unknown' && root.objectiveSatisfiedStatusKnown) success = root.objectiveSatisfiedStatus ? 'passed' : 'failed';
  let score = null;
  if (root.objectiveMeasureStatus && typeof root.objectiveNormalizedMeasure === 'number') {
    score = Math.max(-1, Math.min(1, root.objectiveNormalizedMeasure));
  }
  return { completion_status: completion, success_status: success, score_scaled: score };
}

/** Activity id -> the engine's view of it (statuses, hidden, available). */
export function activityStates(engineState) {
  const map = new Map();
  const walk = (activity, depth) => {
    if (!activity || depth > 64) return;
    map.set(activity.id, activity);
    for (const child of activity.children || []) walk(child, depth + 1);
  };
  walk(engineState && engineState.rootActivity, 0);
  return map;
}

/**
 * The activity's children as the learner meets them: in the engine's
 * order (randomizationControls may have shuffled them) and without those
 * the selection left out (selectCount: isAvailable false).
 */
export function deliveredChildren(activity, states) {
  const kids = (activity && activity.children) || [];
  const state = states.get(activity && activity.id);
  const order = state && Array.isArray(state.children) ? state.children.map((c) => c.id) : [];
  const rank = (id) => {
    const i = order.indexOf(id);
    return i < 0 ? order.length : i;
  };
  return kids
    .filter((child) => {
      const s = states.get(child.id);
      return !(s && s.isAvailable === false);
    })
    .map((child, i) => [child, rank(child.id), i])
    .sort((a, b) => a[1] - b[1] || a[2] - b[2])
    .map(([child]) => child);
}

/** Leaves the learner can meet, in the engine's order. */
export function deliveredLeafIds(activity, states, out = []) {
  if (!activity) return out;
  if (!activity.children || activity.children.length === 0) out.push(activity.id);
  for (const child of deliveredChildren(activity, states)) deliveredLeafIds(child, states, out);
  return out;
}

/**
 * Whether a new attempt on the activity would go over its attemptLimit
 * (IMS SS UP.1: an active or suspended attempt goes on, so it is not
 * counted as a new one).
 */
export function attemptsUsed(state) {
  if (!state) return false;
  const limit = Number(state.attemptLimit);
  if (!(limit > 0)) return false;
  if (state.isActive || state.isSuspended) return false;
  return Number(state.attemptCount) >= limit;
}

const WRITE_FLAGS = [
  'writeSatisfiedStatus',
  'writeNormalizedMeasure',
  'writeRawScore',
  'writeMinScore',
  'writeMaxScore',
  'writeCompletionStatus',
  'writeProgressMeasure',
];

/** Global objective ids some mapInfo of the tree writes to. */
export function writtenGlobalIds(activity, out = new Set(), depth = 0) {
  if (!activity || depth > 64) return out;
  const objectives = [activity.primaryObjective, ...(activity.objectives || [])];
  for (const objective of objectives) {
    for (const map of (objective && objective.mapInfo) || []) {
      if (map.targetObjectiveID && WRITE_FLAGS.some((flag) => map[flag] === true)) out.add(map.targetObjectiveID);
    }
  }
  for (const child of activity.children || []) writtenGlobalIds(child, out, depth + 1);
  return out;
}

const GLOBAL_FIELDS = [
  'satisfiedStatus',
  'satisfiedStatusKnown',
  'normalizedMeasure',
  'normalizedMeasureKnown',
  'rawScore',
  'rawScoreKnown',
  'minScore',
  'minScoreKnown',
  'maxScore',
  'maxScoreKnown',
  'completionStatus',
  'completionStatusKnown',
  'progressMeasure',
  'progressMeasureKnown',
];

/**
 * The values of the global objectives this package writes, from the
 * engine's serialized state, for the learner-wide store (the server keeps
 * only the fields the package's write maps cover).
 */
export function globalObjectivesToSave(serialized, ids) {
  const map = (serialized && serialized.globalObjectiveMap) || {};
  const out = {};
  for (const id of ids) {
    const objective = map[id];
    if (!objective || typeof objective !== 'object') continue;
    const values = {};
    for (const field of GLOBAL_FIELDS) {
      if (field in objective) values[field] = objective[field];
    }
    out[id] = values;
  }
  return out;
}

/**
 * Puts the learner's global objectives (shared with other packages) into
 * the engine before anything is delivered. scorm-again 3.4 has no public
 * call for this: its overall sequencing process is reached through the
 * API's sequencing service (docs/SCORM.md "Global objectives").
 */
export function applyGlobalObjectives(api, globals) {
  const ids = Object.keys(globals || {});
  if (ids.length === 0) return true;
  const service = api && api._sequencingService;
  const process = service && typeof service.getOverallSequencingProcess === 'function' ? service.getOverallSequencingProcess() : null;
  if (!process || typeof process.restoreGlobalObjectiveMapSnapshot !== 'function') return false;
  const snapshot = process.getGlobalObjectiveMapSnapshot() || {};
  for (const id of ids) {
    snapshot[id] = { ...(snapshot[id] || {}), ...globals[id], id };
  }
  process.restoreGlobalObjectiveMapSnapshot(snapshot);
  if (typeof process.synchronizeGlobalObjectives === 'function') process.synchronizeGlobalObjectives();
  return true;
}

/**
 * IMS SS default objective rollup (SN book RB.1.2.b): an activity without
 * a "satisfied" rollup rule is satisfied when all its contributing
 * children are; without a "notSatisfied" rule it is not satisfied when all
 * of them have a known objective status; when no rule applies its status
 * is left as it is. scorm-again 3.4 falls back, whenever none of an
 * activity's rules applies, to "any child known not satisfied: not
 * satisfied", so one failed unit made a course failed before its author's
 * own rules (atLeastCount...) could decide (docs/SCORM.md "Deviations").
 * Replaces that fallback on this API's rollup process; false when the
 * engine's insides are not where scorm-again 3.4 has them.
 */
export function useSpecRollupDefaults(api) {
  const service = api && api._sequencingService;
  const processor = service && service.rollupProcess && service.rollupProcess.objectiveProcessor;
  const filter = processor && processor.childFilter;
  if (!processor || !filter || typeof processor.objectiveRollupUsingDefault !== 'function') return false;
  processor.objectiveRollupUsingDefault = (activity) => {
    const rules = (activity.rollupRules && activity.rollupRules.rules) || [];
    const considerations = activity.rollupConsiderations || {};
    const children = activity.getAvailableChildren();
    const contributors = (action) =>
      children.filter(
        (child) =>
          filter.checkChildForRollupSubprocess(child, 'objective', action) &&
          (considerations.measureSatisfactionIfActive !== false || !(child.activityAttemptActive || child.isActive)),
      );
    const known = (child) => filter.isChildObjectiveStatusKnownForRollup(child);
    if (!rules.some((rule) => rule.action === 'satisfied')) {
      const set = contributors('satisfied');
      if (set.length > 0 && set.every((child) => known(child) && filter.isChildSatisfiedForRollup(child))) return true;
    }
    if (!rules.some((rule) => rule.action === 'notSatisfied')) {
      const set = contributors('notSatisfied');
      if (set.length > 0 && set.every(known)) return false;
    }
    return null;
  };
  return true;
}
