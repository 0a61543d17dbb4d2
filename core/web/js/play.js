// The SCORM player.
//
// One page holds one module (package). For each SCO it asks the server for a
// launch (POST /api/packages/ID/launch), makes a scorm-again API object for
// the package's SCORM version, loads the saved CMI into it, shows it to the
// content as window.API (1.2) or window.API_1484_11 (2004), and only then
// puts the SCO's page in the iframe. See /work/shared/SCORM-RUNTIME-NOTES.md
// for why things are done in this order.
//
// Lifecycle of a SCO on this page (one "session" object each):
//   start()            launch answer -> new API -> loadFromJSON -> iframe src
//   content Initialize  the content finds the API by walking up window.parent
//   every 15 s          autocommit after changes: synchronous XHR to commit_url
//   content Terminate   final commit as a beacon to commit_url + &final=true;
//                       then act on the navigation request (2004) or show the
//                       "finished" panel
//   content unloads     safety net: if the content never terminated, finish it
//                       from its own unload event (never from this page's
//                       pagehide, which comes first and would cut off the
//                       content's last SetValue calls)
//   goTo(other SCO)     blank the iframe (the content unloads and finishes),
//                       finish it if it did not, then start() the next one.
//
// A SCORM 2004 package with sequencing (more than one SCO, and a
// "sequencing" tree in its manifest JSON) is played by scorm-again's
// sequencing engine instead: one API object for the whole visit, which
// decides what is delivered; see "Sequenced packages" below.

import { apiFetch, csrf, el, initComponents, requireUser, showProblem } from './common.js';
import {
  activityStates,
  activityTreeFrom,
  applyGlobalObjectives,
  attemptsUsed,
  deliveredChildren,
  deliveredLeafIds,
  globalObjectivesToSave,
  leafIds,
  rootRollup,
  useSpecRollupDefaults,
  writtenGlobalIds,
} from './sequencing.js';

initComponents();

const API_MODULES = {
  '1.2': ['/assets/scorm-again/esm/scorm12.min.js', 'Scorm12API'],
  2004: ['/assets/scorm-again/esm/scorm2004.min.js', 'Scorm2004API'],
};
const STATE_INITIALIZED = 1; // scorm-again's global_constants.STATE_INITIALIZED
const WIDE = window.matchMedia('(min-width: 40.0625em)'); // GOV.UK "tablet" breakpoint

const params = new URLSearchParams(location.search);
const packageId = params.get('package');
const requestedSco = params.get('sco');

const frame = document.getElementById('content-frame');
const moduleTitle = document.getElementById('module-title');
const partTitle = document.getElementById('part-title');
const previousButton = document.getElementById('previous');
const nextButton = document.getElementById('next');
const toc = document.getElementById('toc');
const tocSummary = document.getElementById('toc-summary');
const tocNav = document.getElementById('toc-nav');
const announcer = document.getElementById('announcer');
const messages = document.getElementById('messages');
const problems = document.getElementById('problems');
const suspendButton = document.getElementById('suspend-all');
const exitAllButton = document.getElementById('exit-all');
const exitLink = document.getElementById('exit');

let current = null; // the session on screen
let seq = null; // sequenced packages: the engine and its state (see below)
let pageLeaving = false; // pagehide seen: the content's Terminate comes after it
window.addEventListener('pagehide', () => {
  pageLeaving = true;
});
let busy = false; // a launch or a move between SCOs is under way
let saveProblem = null; // the kind of saving problem shown, if any

// Status of SCOs this page saw terminate. The final commit is a beacon the
// server may not have stored yet when the next launch answers, so for those
// SCOs this page knows better than the launch answer's toc.
const localStatus = new Map();

// ---------------------------------------------------------------------------
// The table of contents
// ---------------------------------------------------------------------------

function launchableIds(items, out = []) {
  for (const item of items || []) {
    if (item.launchable) out.push(item.id);
    launchableIds(item.children, out);
  }
  return out;
}

function findItem(items, id) {
  for (const item of items || []) {
    if (item.id === id) return item;
    const found = findItem(item.children, id);
    if (found) return found;
  }
  return null;
}

const STATUS_TEXT = {
  passed: 'Passed',
  failed: 'Failed',
  completed: 'Completed',
  incomplete: 'In progress',
  browsed: 'Viewed',
  'not attempted': 'Not started',
  unknown: 'Not started',
};

function statusText(status) {
  return STATUS_TEXT[status] || (status ? String(status) : 'Not started');
}

function playUrl(scoId) {
  const url = new URLSearchParams({ package: packageId });
  if (scoId) url.set('sco', scoId);
  return `/play.html?${url}`;
}

function tocList(items, currentId, list = el('ol', { class: 'cairn-toc__list' })) {
  for (const item of items || []) {
    if (item.visible === false) {
      // isvisible="false": the item is not listed; its children still are.
      tocList(item.children, currentId, list);
      continue;
    }
    const li = el('li', { class: 'cairn-toc__item' });
    if (item.launchable) {
      const link = el(
        'a',
        { class: 'govuk-link cairn-toc__link', href: playUrl(item.id) },
        el('span', {}, item.title || item.id),
        el(
          'span',
          { class: 'cairn-toc__status' },
          el('span', { class: 'govuk-visually-hidden' }, ', '),
          statusText(localStatus.get(item.id) || item.status),
        ),
      );
      if (item.id === currentId) link.setAttribute('aria-current', 'page');
      link.addEventListener('click', (event) => {
        event.preventDefault();
        if (item.id === currentId) return;
        if (!WIDE.matches) toc.open = false;
        goTo(item.id);
      });
      li.append(link);
    } else {
      li.append(el('span', { class: 'cairn-toc__group' }, item.title || ''));
    }
    if (item.children && item.children.length) li.append(tocList(item.children, currentId));
    list.append(li);
  }
  return list;
}

function render(launch) {
  const packageTitle = launch.package.title || 'Module';
  const sco = launch.sco;
  const ids = launchableIds(launch.toc);
  const multi = ids.length > 1;
  const position = ids.indexOf(sco.id) + 1;
  const part = multi && position > 0 ? `Part ${position} of ${ids.length}: ${sco.title || ''}` : '';

  document.title = `${multi ? `${sco.title} – ` : ''}${packageTitle} – Cairn`;
  moduleTitle.textContent = packageTitle;
  partTitle.textContent = part;
  partTitle.hidden = !part;
  frame.title = `Module content: ${sco.title || packageTitle}`;

  previousButton.hidden = !(multi && launch.previous);
  nextButton.hidden = !(multi && launch.next);

  if (multi) {
    const wasRendered = !toc.hidden;
    tocNav.replaceChildren(tocList(launch.toc, sco.id));
    tocSummary.textContent = position > 0 ? `Contents (part ${position} of ${ids.length})` : 'Contents';
    toc.hidden = false;
    if (!wasRendered) toc.open = WIDE.matches;
  } else {
    toc.hidden = true;
  }
  return part;
}

WIDE.addEventListener('change', (event) => {
  if (event.matches) toc.open = true;
});

// ---------------------------------------------------------------------------
// Messages: the finished panel, saving problems, launch problems
// ---------------------------------------------------------------------------

function announce(text) {
  announcer.textContent = text;
}

function banner({ title, heading, success = false, role = 'alert' }, ...content) {
  const id = `banner-${Math.random().toString(36).slice(2)}`;
  return el(
    'div',
    {
      class: `govuk-notification-banner${success ? ' govuk-notification-banner--success' : ''}`,
      role,
      'aria-labelledby': id,
    },
    el('div', { class: 'govuk-notification-banner__header' }, el('h2', { class: 'govuk-notification-banner__title', id }, title)),
    el(
      'div',
      { class: 'govuk-notification-banner__content' },
      el('p', { class: 'govuk-notification-banner__heading' }, heading),
      ...content,
    ),
  );
}

function linkButton(href, text, secondary) {
  return el(
    'a',
    {
      href,
      role: 'button',
      draggable: 'false',
      class: `govuk-button${secondary ? ' govuk-button--secondary' : ''}`,
      'data-module': 'govuk-button',
    },
    text,
  );
}

/** After the content finished without asking to go anywhere. */
function showFinished(session, reason) {
  const launch = session.launch;
  const nextItem = launch.next ? findItem(launch.toc, launch.next) : null;
  const group = el('div', { class: 'govuk-button-group govuk-!-margin-bottom-0' });
  const content = [];

  if (reason === 'end') {
    content.push(el('p', { class: 'govuk-body' }, 'You have reached the end of this module.'));
  } else if (nextItem) {
    content.push(el('p', { class: 'govuk-body' }, `Next part: ${nextItem.title || nextItem.id}`));
    const next = el('button', { type: 'button', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Go to the next part');
    next.addEventListener('click', () => goTo(launch.next));
    group.append(next);
  }
  group.append(linkButton('/training.html', 'Return to My training', group.childElementCount > 0));

  const heading = session.saved ? 'Your progress has been saved' : 'Your progress may not have been saved';
  if (!session.saved) {
    content.push(
      el('p', { class: 'govuk-body' }, 'Check your internet connection, then open the module again from My training.'),
    );
  }
  messages.replaceChildren(
    banner({ title: session.saved ? 'Saved' : 'Important', heading, success: session.saved }, ...content, group),
  );
}

const SAVE_PROBLEMS = {
  network: [
    'Your progress is not being saved at the moment',
    'Cairn cannot be reached. Check your internet connection and keep this page open: your progress will be saved when the connection comes back.',
  ],
  'signed-out': [
    'You have been signed out',
    'Your progress since then has not been saved. Sign in again, then open the module again.',
  ],
  elsewhere: [
    'This module is open somewhere else',
    'It has been opened in another tab or on another device, so your progress here is not being saved. Carry on where you opened it last.',
  ],
  forbidden: [
    'Your progress is not being saved',
    'Someone else may have signed in on this browser. Sign in again as yourself, then open the module again.',
  ],
  server: [
    'There is a problem saving your progress',
    'Keep this page open. Cairn will try again the next time the module saves your progress.',
  ],
};

function showSaveProblem(status) {
  const kind =
    status === 0
      ? 'network'
      : status === 401
        ? 'signed-out'
        : status === 409
          ? 'elsewhere'
          : status === 403
            ? 'forbidden'
            : 'server';
  if (kind === saveProblem) return; // already shown: do not announce it again every commit
  saveProblem = kind;
  const [heading, text] = SAVE_PROBLEMS[kind];
  const content = [el('p', { class: 'govuk-body' }, text)];
  if (kind === 'signed-out' || kind === 'forbidden') {
    content.push(
      el(
        'p',
        { class: 'govuk-body' },
        el('a', { class: 'govuk-notification-banner__link', href: `/login.html?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Sign in again'),
      ),
    );
  }
  problems.replaceChildren(banner({ title: 'Important', heading }, ...content));
}

function clearSaveProblem() {
  if (saveProblem) {
    saveProblem = null;
    problems.replaceChildren();
  }
}

function showLaunchProblem(error) {
  let text = error.message;
  if (error.status === 404) text = 'This module could not be found. It may have been removed or replaced.';
  else if (error.status === 403) text = `You cannot open this module. ${error.message}`;
  frame.hidden = true;
  moduleTitle.textContent = moduleTitle.textContent === 'Opening the module…' ? 'Module' : moduleTitle.textContent;
  showProblem(messages, text, {
    title: 'The module could not be opened',
    link: { href: '/training.html', text: 'Return to My training' },
  });
}

// ---------------------------------------------------------------------------
// The SCORM API for one SCO
// ---------------------------------------------------------------------------

async function loadApiClass(version) {
  const [url, name] = API_MODULES[version];
  const module = await import(url);
  return module[name];
}

/** scorm-again asks this how a commit (synchronous XHR) went. */
function commitAnswer(session, xhr) {
  session.awaitingAnswer = false;
  let body = null;
  try {
    body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
  } catch {
    body = null;
  }
  if (xhr.status >= 200 && xhr.status <= 299) {
    clearSaveProblem();
    if (!body || !Object.prototype.hasOwnProperty.call(body, 'result')) return { result: 'true', errorCode: 0 };
    const ok = body.result === true || body.result === 'true';
    return { result: ok ? 'true' : 'false', errorCode: typeof body.errorCode === 'number' ? body.errorCode : ok ? 0 : 101 };
  }
  if (xhr.status === 422) {
    // A value the data model refuses: the content's problem, reported to it.
    console.warn('Cairn: the server refused a commit', body);
  } else {
    showSaveProblem(xhr.status);
  }
  const code = body && typeof body.errorCode === 'number' && body.errorCode > 0 ? body.errorCode : 101;
  return { result: 'false', errorCode: code };
}

function settingsFor(launch, session) {
  const settings = {
    lmsCommitUrl: launch.sco.commit_url,
    dataCommitFormat: 'json',
    sendFullCommit: true,
    // Commit 15 s after a change, so a crash loses seconds, not the session
    // (golf content never calls Commit itself).
    autocommit: true,
    autocommitSeconds: 15,
    // Synchronous commits: the content gets the real result of Commit
    // (SCORM-conformant). The Terminate commit is then always a beacon.
    useAsynchronousCommits: false,
    throttleCommits: false,
    // Only read in asynchronous mode; says the same thing should anyone
    // switch that on: beacon for the final commit, fetch otherwise.
    asyncModeBeaconBehavior: 'on-terminate',
    // The final commit's URL gets "&final=true" (the commit_url already has
    // a query string; scorm-again appends with "&").
    terminateCommitParam: 'final',
    logLevel: 'WARN',
    requestHandler: (commit, metadata) => {
      if (!(metadata && metadata.isTerminateCommit)) session.awaitingAnswer = true;
      return commit;
    },
    xhrResponseHandler: (xhr) => commitAnswer(session, xhr),
  };
  if (session.version === '2004' && !seq) {
    // Answers adl.nav.request_valid.choice.{target=ID} for the content.
    settings.scoItemIds = launchableIds(launch.toc);
  }
  if (seq) settings.sequencing = seq.sequencingSettings;
  return settings;
}

/** 2004: tell the content whether "continue" and "previous" lead anywhere. */
function setNavigationValidity(api, launch) {
  try {
    const valid = api.adl && api.adl.nav && api.adl.nav.request_valid;
    if (!valid) return;
    valid.continue = launch.next ? 'true' : 'false';
    valid.previous = launch.previous ? 'true' : 'false';
  } catch (error) {
    console.warn('Cairn: could not set adl.nav.request_valid', error);
  }
}

/** The status this SCO ended with, in the toc's words. */
function rememberStatus(session) {
  try {
    const cmi = session.api.cmi;
    let status;
    if (session.version === '2004') {
      status = ['passed', 'failed'].includes(cmi.success_status) ? cmi.success_status : cmi.completion_status;
    } else {
      status = cmi.core.lesson_status;
    }
    // "not attempted" after a session may be rewritten by the server's
    // rules (SCORM 1.2: a SCO that never sets a status); let its answer win.
    if (status && status !== 'not attempted' && status !== 'unknown') localStatus.set(session.sco.id, status);
  } catch {
    // Not worth failing over: the server's status shows next time.
  }
}

/** Finishes the SCO's API if the content left it initialised. */
function finishIfOpen(session) {
  const api = session && session.api;
  if (!api || api.currentState !== STATE_INITIALIZED) return;
  if (session.version === '2004') api.Terminate('');
  else api.LMSFinish('');
}

/** "{target=ID}choice" → {type: 'choice', target: 'ID'}; "continue" → {type: 'continue'}. */
function parseNavRequest(request) {
  const text = String(request || '').trim();
  const targeted = /^\{target=([^}]+)\}(choice|jump)$/.exec(text);
  if (targeted) return { type: targeted[2], target: targeted[1] };
  return { type: text || '_none_' };
}

function onContentFinished(session) {
  session.terminated = true;
  session.saved = String(session.api.lastErrorCode) === '0';
  rememberStatus(session);
  if (seq) {
    // The engine has run its termination and any navigation request.
    if (pageLeaving) saveSequencingOnUnload();
    else setTimeout(() => afterSequencedFinish(session), 0);
    return;
  }
  if (session.leaving || session !== current) return;
  // Act after the content's Terminate call has returned to it.
  setTimeout(() => afterFinish(session), 0);
}

function afterFinish(session) {
  if (session.leaving || session !== current) return;
  const launch = session.launch;
  const request = parseNavRequest(session.navRequest);
  switch (request.type) {
    case 'continue':
      if (launch.next) return goTo(launch.next);
      return showFinished(session, 'end');
    case 'previous':
      if (launch.previous) return goTo(launch.previous);
      break;
    case 'choice':
    case 'jump':
      if (launchableIds(launch.toc).includes(request.target)) return goTo(request.target);
      break;
    case 'exit':
    case 'exitAll':
    case 'suspendAll':
    case 'abandon':
    case 'abandonAll':
      session.leaving = true;
      location.assign('/training.html');
      return undefined;
    default:
      break;
  }
  render(launch); // the toc shows the status just reached
  showFinished(session);
  return undefined;
}

function listen(session) {
  const api = session.api;
  if (session.version === '2004') {
    api.on('SetValue.adl.nav.request', (element, value) => {
      session.navRequest = String(value);
    });
    api.on('Terminate', () => onContentFinished(session));
    api.on('Commit', () => afterCommit(session));
  } else {
    // scorm-again's 1.2 extension: cmi.nav.event "continue"/"previous" before
    // LMSFinish fires these after the LMSFinish listener.
    api.on('SequenceNext', () => {
      session.navRequest = 'continue';
    });
    api.on('SequencePrevious', () => {
      session.navRequest = 'previous';
    });
    api.on('LMSFinish', () => onContentFinished(session));
    api.on('LMSCommit', () => afterCommit(session));
  }
}

/** A commit whose XHR never answered (scorm-again then reports 391). */
function afterCommit(session) {
  if (session.awaitingAnswer) {
    session.awaitingAnswer = false;
    showSaveProblem(0);
  }
}

// ---------------------------------------------------------------------------
// The content frame and its safety net
// ---------------------------------------------------------------------------

/** Whether unload events fire in this document (a Permissions-Policy can stop them). */
function unloadEventsAllowed(doc) {
  try {
    const policy = doc.permissionsPolicy || doc.featurePolicy;
    if (policy && policy.features().includes('unload')) return policy.allowsFeature('unload');
  } catch {
    // Unknown: assume they fire.
  }
  return true;
}

frame.addEventListener('load', () => {
  const session = current;
  if (!session) return;
  let win;
  let doc;
  try {
    win = frame.contentWindow;
    doc = frame.contentDocument;
    if (!win || !doc || win.location.href === 'about:blank') return;
  } catch {
    return; // another origin: nothing we can listen to
  }
  // The content added its own unload handlers before its load event ended,
  // so this one runs after them and only finishes what they left open.
  const finish = () => finishIfOpen(session);
  if (unloadEventsAllowed(doc)) win.addEventListener('unload', finish);
  else win.addEventListener('pagehide', finish);
});

function blankFrame() {
  return new Promise((resolve) => {
    let timer = 0;
    const done = () => {
      clearTimeout(timer);
      frame.removeEventListener('load', done);
      resolve();
    };
    timer = setTimeout(done, 3000);
    frame.addEventListener('load', done);
    frame.src = 'about:blank';
  });
}

function isSameOriginUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.origin === location.origin;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Starting a SCO and moving between SCOs
// ---------------------------------------------------------------------------

async function start(scoId) {
  const launch = await apiFetch(`/api/packages/${encodeURIComponent(packageId)}/launch`, {
    method: 'POST',
    json: scoId ? { sco: scoId } : {},
  });
  if (!launch || !launch.sco || !launch.package) throw new Error('The server did not say how to open this module.');
  if (!isSameOriginUrl(launch.sco.launch_url)) throw new Error('This module’s content is not on this server.');

  const version = String(launch.package.scorm_version) === '2004' ? '2004' : '1.2';
  const ApiClass = await loadApiClass(version);
  const session = {
    launch,
    version,
    sco: launch.sco,
    api: null,
    navRequest: '',
    leaving: false,
    terminated: false,
    saved: true,
    awaitingAnswer: false,
  };
  const api = new ApiClass(settingsFor(launch, session));
  session.api = api;
  // Saved data first, before the content can call Initialize.
  api.loadFromJSON(launch.sco.cmi || {}, '');
  if (version === '2004') setNavigationValidity(api, launch);
  listen(session);

  current = session;
  if (version === '2004') {
    delete window.API;
    window.API_1484_11 = api;
  } else {
    delete window.API_1484_11;
    window.API = api;
  }

  const part = render(launch);
  history.replaceState(null, '', playUrl(launch.sco.id));
  messages.replaceChildren();
  frame.hidden = false;
  frame.src = launch.sco.launch_url;
  announce(part ? `Opened ${part}` : `Opened ${launch.package.title}`);
}

async function goTo(scoId) {
  if (busy || !scoId) return;
  busy = true;
  const old = current;
  const target = old ? findItem(old.launch.toc, scoId) : null;
  announce(`Opening ${target && target.title ? target.title : 'the next part'}…`);
  messages.replaceChildren();
  try {
    if (old) {
      old.leaving = true;
      await blankFrame(); // the content unloads: it finishes, or the safety net does
      finishIfOpen(old); // in case no unload handler ran at all
      old.api.clearScheduledCommit();
    }
    await start(scoId);
  } catch (error) {
    showLaunchProblem(error);
  } finally {
    busy = false;
  }
}

previousButton.addEventListener('click', () => {
  if (seq) navigate('previous');
  else if (current) goTo(current.launch.previous);
});
nextButton.addEventListener('click', () => {
  if (seq) navigate('continue');
  else if (current) goTo(current.launch.next);
});
suspendButton.addEventListener('click', () => seq && navigate('suspendAll'));
exitAllButton.addEventListener('click', () => seq && navigate('exitAll'));

// Back to this page from the back/forward cache: the content and its API are
// gone, so start again.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});

// ---------------------------------------------------------------------------
// Sequenced packages (SCORM 2004 with imsss:sequencing)
// ---------------------------------------------------------------------------
//
// One Scorm2004API for the whole visit, built with the manifest's activity
// tree: its engine decides what is delivered (start, resumeAll, continue,
// previous, choice, exit...). On each delivery the player asks the server to
// launch that SCO (an attempt and its commit URL), resets the API's
// run-time data for it (the engine's state survives a reset), loads the
// SCO's saved CMI and puts its page in the frame. After every termination
// the engine's state (attempt counts, objectives, global objectives,
// suspended activity) and the tree's rolled-up result are saved on the
// server: PUT /api/registrations/ID/sequencing.

const SEQ_REFUSALS = {
  continue: 'The next part is not available yet. Finish this part first.',
  previous: 'There is no earlier part you can go back to from here.',
  suspendAll: 'This module cannot be saved and closed at the moment.',
  exitAll: 'This module cannot be closed at the moment.',
};

/** Why a choice of this activity is refused, in plain words. */
function choiceRefusal(id) {
  const state = seq.states.get(id);
  if (attemptsUsed(state)) {
    const n = Number(state.attemptLimit);
    return `You have used ${n === 1 ? 'the one attempt' : `all ${n} attempts`} allowed at “${seqTitle(id)}”.`;
  }
  return `“${seqTitle(id)}” is not available yet. Finish the parts before it first.`;
}

function refuse(text) {
  messages.replaceChildren(
    banner({ title: 'Not available', heading: text, role: 'alert' }),
  );
  announce(text);
}

function seqTitle(id) {
  const state = seq && seq.states ? seq.states.get(id) : null;
  const find = (a) => (a.id === id ? a : (a.children || []).map(find).find(Boolean));
  const activity = find(seq.tree);
  return (activity && activity.title) || (state && state.title) || id;
}

function seqStatus(state) {
  if (!state) return 'Not started';
  if (state.successStatus === 'passed' || state.successStatus === 'failed') return statusText(state.successStatus);
  if (state.completionStatus === 'unknown' && state.attemptCount > 0) return statusText('incomplete');
  return statusText(state.completionStatus);
}

function seqTocList(parent, currentId, list = el('ol', { class: 'cairn-toc__list' })) {
  // Children the selection left out are not listed; shuffled ones are
  // listed in the order the learner meets them.
  for (const activity of deliveredChildren(parent, seq.states)) {
    const state = seq.states.get(activity.id) || {};
    if (activity.isVisible === false) {
      // isvisible="false": not listed; its children still are.
      seqTocList(activity, currentId, list);
      continue;
    }
    const li = el('li', { class: 'cairn-toc__item' });
    const leaf = !activity.children || activity.children.length === 0;
    const hidden = state.isHiddenFromChoice === true;
    // The engine's choice validity ignores limit conditions (docs/SCORM.md
    // "Deviations"): an activity whose attempts are used up is no link.
    const used = attemptsUsed(state);
    const available =
      !hidden && !used && seq.validity && seq.validity.choice && seq.validity.choice[activity.id] === 'true';
    const statusSpan = (text) =>
      el('span', { class: 'cairn-toc__status' }, el('span', { class: 'govuk-visually-hidden' }, ', '), text);
    if (leaf && available) {
      const link = el(
        'a',
        { class: 'govuk-link cairn-toc__link', href: playUrl(activity.id), 'data-activity': activity.id },
        el('span', {}, activity.title || activity.id),
        statusSpan(seqStatus(state)),
      );
      if (activity.id === currentId) link.setAttribute('aria-current', 'page');
      link.addEventListener('click', (event) => {
        event.preventDefault();
        // The part on screen: only once its content has ended.
        if (activity.id === currentId && !(current && current.terminated)) return;
        if (!WIDE.matches) toc.open = false;
        navigate('choice', activity.id);
      });
      li.append(link);
    } else if (leaf) {
      li.append(
        el(
          'span',
          { class: 'cairn-toc__unavailable', 'data-activity': activity.id },
          el('span', {}, activity.title || activity.id),
          statusSpan(
            `${seqStatus(state)}, ${used ? 'no attempts left' : hidden ? 'not listed for choosing' : 'not available yet'}`,
          ),
        ),
      );
      if (activity.id === currentId) li.firstChild.setAttribute('aria-current', 'page');
    } else {
      li.append(el('span', { class: 'cairn-toc__group' }, activity.title || '', statusSpan(seqStatus(state))));
    }
    if (!leaf) li.append(seqTocList(activity, currentId));
    list.append(li);
  }
  return list;
}

function hiddenUi(token) {
  return Boolean(seq.validity && (seq.validity.hideLmsUi || []).includes(token));
}

function renderSequenced() {
  if (!seq) return;
  try {
    seq.states = activityStates(seq.api.getSequencingState());
  } catch {
    seq.states = new Map();
  }
  const packageTitle = seq.tree.title || 'Module';
  const currentId = current && current.sco ? current.sco.id : null;
  const leaves = deliveredLeafIds(seq.tree, seq.states);
  const position = currentId ? leaves.indexOf(currentId) + 1 : 0;
  const part = position > 0 ? `Part ${position} of ${leaves.length}: ${seqTitle(currentId)}` : '';
  document.title = `${currentId ? `${seqTitle(currentId)} – ` : ''}${packageTitle} – Cairn`;
  moduleTitle.textContent = packageTitle;
  partTitle.textContent = part;
  partTitle.hidden = !part;
  const v = seq.validity || {};
  nextButton.hidden = !v.continue || hiddenUi('continue');
  previousButton.hidden = !v.previous || hiddenUi('previous');
  suspendButton.hidden = hiddenUi('suspendAll');
  exitAllButton.hidden = hiddenUi('exitAll');
  exitLink.hidden = true;
  const wasRendered = !toc.hidden;
  tocNav.replaceChildren(seqTocList(seq.tree, currentId));
  tocSummary.textContent = position > 0 ? `Contents (part ${position} of ${leaves.length})` : 'Contents';
  toc.hidden = false;
  if (!wasRendered) toc.open = WIDE.matches;
}

function sequencingBody() {
  const api = seq.api;
  try {
    const state = JSON.parse(api.serializeSequencingState());
    const suspended = state && state.sequencing ? state.sequencing.suspendedActivity || null : null;
    const body = { state, suspended_activity: suspended, rollup: rootRollup(api.getSequencingState()) };
    // objectivesGlobalToSystem: the learner's objectives, shared with
    // other packages (docs/SCORM.md "Global objectives").
    if (seq.globalIds.size > 0) body.global_objectives = globalObjectivesToSave(state, seq.globalIds);
    return body;
  } catch (error) {
    console.warn('Cairn: the sequencing state could not be read', error);
    return null;
  }
}

// Keepalive requests share Chromium's 64 KiB in-flight budget with the
// final commit beacon, which has already gone when this runs; a state too
// big for what is left is not sent (the state saved at the last delivery
// stays; see docs/SCORM.md "Known limits").
const UNLOAD_STATE_MAX = 48 * 1024;

/** The content terminated while the learner is leaving the page. */
function saveSequencingOnUnload() {
  const body = sequencingBody();
  if (!body || !seq.csrf) return;
  const text = JSON.stringify(body);
  if (text.length > UNLOAD_STATE_MAX) return;
  try {
    fetch(`/api/registrations/${seq.registration}/sequencing`, {
      method: 'PUT',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': seq.csrf },
      body: text,
    }).catch(() => {});
  } catch {
    // Over the keepalive budget: nothing more can be done while unloading.
  }
}

async function saveSequencing() {
  const body = sequencingBody();
  if (!body) return false;
  try {
    await apiFetch(`/api/registrations/${seq.registration}/sequencing`, { method: 'PUT', json: body });
    clearSaveProblem();
    return true;
  } catch (error) {
    showSaveProblem(error.status || 0);
    return false;
  }
}

/** Acts on what the engine decided, one thing at a time. */
function scheduleSequencing() {
  seq.chain = seq.chain.then(runSequencing).catch(showLaunchProblem);
}

async function runSequencing() {
  if (seq.ended) {
    const end = seq.ended;
    seq.ended = null;
    seq.over = end;
    seq.pendingDelivery = null;
    await saveSequencing();
    return endSequencedSession(end);
  }
  const id = seq.pendingDelivery;
  if (!id) return undefined;
  seq.pendingDelivery = null;
  seq.over = null;
  return deliverActivity(id);
}

async function deliverActivity(id) {
  busy = true;
  try {
    await saveSequencing();
    const old = current;
    if (old) {
      old.leaving = true;
      await blankFrame();
      finishIfOpen(old);
    }
    const launch = await apiFetch(`/api/packages/${encodeURIComponent(packageId)}/launch`, {
      method: 'POST',
      json: { sco: id },
    });
    if (!launch || !launch.sco) throw new Error('The server did not say how to open this part.');
    if (!isSameOriginUrl(launch.sco.launch_url)) throw new Error('This module’s content is not on this server.');
    const session = {
      launch,
      version: '2004',
      sco: launch.sco,
      api: seq.api,
      navRequest: '',
      leaving: false,
      terminated: false,
      saved: true,
      awaitingAnswer: false,
    };
    const api = seq.api;
    api.clearScheduledCommit();
    // New run-time data for this SCO; the engine's state is kept.
    api.reset(settingsFor(launch, session));
    api.loadFromJSON(launch.sco.cmi || {}, '');
    listen(session);
    current = session;
    renderSequenced();
    history.replaceState(null, '', playUrl(launch.sco.id));
    messages.replaceChildren();
    frame.hidden = false;
    frame.src = launch.sco.launch_url;
    announce(`Opened ${seqTitle(id)}`);
  } finally {
    busy = false;
  }
}

function endSequencedSession(end) {
  const reason = end && end.reason;
  if (reason === 'suspend_all' || reason === 'exit_all' || reason === 'abandon_all') {
    if (current) current.leaving = true;
    location.assign('/training.html');
    return;
  }
  renderSequenced();
  const group = el('div', { class: 'govuk-button-group govuk-!-margin-bottom-0' });
  group.append(linkButton('/training.html', 'Return to My training'));
  messages.replaceChildren(
    banner(
      { title: 'Saved', heading: 'You have reached the end of this module', success: true },
      el('p', { class: 'govuk-body' }, `Result: ${seqStatus(seq.states.get(seq.tree.id))}.`),
      group,
    ),
  );
  frame.hidden = true;
}

/** The content ended without asking to go anywhere the engine accepted. */
async function afterSequencedFinish(session) {
  seq.chain = seq.chain.then(async () => {
    if (session !== current || seq.ended || seq.over || session.leaving) return;
    await saveSequencing();
    renderSequenced();
    const refused = seq.refused;
    seq.refused = null;
    const group = el('div', { class: 'govuk-button-group govuk-!-margin-bottom-0' });
    if (seq.validity && seq.validity.continue && !previewBlocked('continue')) {
      const next = el('button', { type: 'button', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Continue');
      next.addEventListener('click', () => navigate('continue'));
      group.append(next);
    }
    const here = session.sco.id;
    if (seq.validity && seq.validity.choice && seq.validity.choice[here] === 'true') {
      const back = el(
        'button',
        { type: 'button', class: `govuk-button${group.childElementCount ? ' govuk-button--secondary' : ''}`, 'data-module': 'govuk-button' },
        'Back to this part',
      );
      back.addEventListener('click', () => navigate('choice', here));
      group.append(back);
    }
    group.append(linkButton('/training.html', 'Return to My training', group.childElementCount > 0));
    if (refused) {
      // The content asked for something the rules do not allow (yet).
      const request = parseNavRequest(session.navRequest);
      const text =
        request.target && (request.type === 'choice' || request.type === 'jump')
          ? choiceRefusal(request.target)
          : SEQ_REFUSALS[request.type] || 'That part is not available yet.';
      messages.replaceChildren(banner({ title: 'Not available', heading: text }, group));
      announce(text);
      return;
    }
    messages.replaceChildren(
      banner(
        { title: session.saved ? 'Saved' : 'Important', heading: 'This part is finished', success: session.saved },
        group,
      ),
    );
  });
}

function previewBlocked(request) {
  try {
    return seq.api.previewNavigationRequest(request).outcome === 'blocked';
  } catch {
    return false;
  }
}

/** A navigation request from the player's buttons or the table of contents. */
function navigate(request, target) {
  if (!seq || busy) return;
  const v = seq.validity || {};
  if (request === 'continue' || request === 'previous') {
    // adl.nav.request_valid.continue stays "true" when the next activity
    // is disabled (docs/SCORM.md "Deviations"): ask the engine what the
    // request would do with the data as it is now.
    if (v[request] === false || previewBlocked(request)) return refuse(SEQ_REFUSALS[request]);
  }
  if (request === 'choice' && (!(v.choice && v.choice[target] === 'true') || attemptsUsed(seq.states.get(target)))) {
    return refuse(choiceRefusal(target));
  }
  const api = seq.api;
  const session = current;
  messages.replaceChildren();
  if (session && api.currentState === STATE_INITIALIZED) {
    // The content is running: the request is acted on when it terminates
    // (SCORM 2004 RTE: the LMS navigation request ends the SCO first).
    try {
      api.adl.nav.request = request === 'choice' ? `{target=${target}}choice` : request;
      if (request === 'suspendAll' && !api.cmi.exit) api.cmi.exit = 'suspend';
    } catch (error) {
      console.warn('Cairn: could not pass the request to the content', error);
    }
    busy = true;
    blankFrame()
      .then(() => finishIfOpen(session))
      .finally(() => {
        busy = false;
      });
    return undefined;
  }
  seq.refused = null;
  const ok = api.processNavigationRequest(request, target);
  seq.refused = null; // answered here, not after a termination
  if (!ok) refuse(SEQ_REFUSALS[request] || 'That part is not available yet.');
  else scheduleSequencing();
  return undefined;
}

async function startSequenced(info) {
  const ApiClass = await loadApiClass('2004');
  const tree = activityTreeFrom(info.sequencing.activity_tree);
  seq = {
    registration: info.registration_id,
    tree,
    api: null,
    states: new Map(),
    validity: null,
    pendingDelivery: null,
    ended: null, // the engine ended the sequencing session...
    over: null, // ...and the player has acted on it
    refused: null,
    chain: Promise.resolve(),
    // Global objectives this package writes for the learner (none when
    // its objectives are its own: objectivesGlobalToSystem false).
    globalIds: info.sequencing.objectives_global_to_system === false ? new Set() : writtenGlobalIds(tree),
  };
  seq.sequencingSettings = {
    activityTree: tree,
    eventListeners: {
      onActivityDelivery: (activity) => {
        seq.pendingDelivery = activity.id;
        scheduleSequencing();
      },
      onNavigationValidityUpdate: (data) => {
        seq.validity = data;
      },
      onSequencingSessionEnd: (data) => {
        seq.ended = data || { reason: 'end' };
        scheduleSequencing();
      },
      onSequencingError: (error) => {
        seq.refused = String(error || 'refused');
      },
    },
  };
  seq.csrf = await csrf();
  const placeholder = { version: '2004', awaitingAnswer: false };
  const api = new ApiClass(settingsFor({ sco: { commit_url: false }, toc: [] }, placeholder));
  seq.api = api;
  if (!useSpecRollupDefaults(api)) console.warn('Cairn: the IMS SS default rollup rules could not be set up');
  delete window.API;
  window.API_1484_11 = api;
  // A state saved on another version of the package describes another
  // tree: the new version starts its tree afresh (SCO data is kept).
  const saved = info.saved && info.saved.version_id === info.version_id ? info.saved : null;
  if (saved && saved.state && !api.deserializeSequencingState(JSON.stringify(saved.state))) {
    console.warn('Cairn: the saved sequencing state could not be restored; starting again');
  }
  // The learner's global objectives, as other packages left them, win over
  // the copy in this package's saved state.
  if (info.global_objectives && !applyGlobalObjectives(api, info.global_objectives)) {
    console.warn('Cairn: the global objectives could not be given to the sequencing engine');
  }
  let ok = false;
  if (saved && saved.suspended_activity) ok = api.processNavigationRequest('resumeAll');
  if (!ok) ok = api.processNavigationRequest('start');
  // A state saved while an activity was current (the tab was closed without
  // Save and close): the sequencing session goes on from that activity.
  const last = saved && saved.state && saved.state.sequencing ? saved.state.sequencing.currentActivity : null;
  if (!ok && last) ok = api.processNavigationRequest('choice', last);
  if (!ok && last) ok = api.processNavigationRequest('continue');
  if (!ok) throw new Error('This module has no part you can start at the moment.');
  await seq.chain;
}

async function main() {
  if (!packageId || !/^[A-Za-z0-9_.-]+$/.test(packageId)) {
    moduleTitle.textContent = 'No module chosen';
    frame.hidden = true;
    showProblem(messages, 'This link does not say which module to open.', {
      title: 'The module could not be opened',
      link: { href: '/training.html', text: 'Choose a module from My training' },
    });
    return;
  }
  await requireUser();
  busy = true;
  try {
    const info = await apiFetch(`/api/packages/${encodeURIComponent(packageId)}/sequencing`);
    const tree = info && info.sequencing && info.sequencing.activity_tree;
    if (tree && leafIds(tree).length > 1) await startSequenced(info);
    else await start(requestedSco);
  } catch (error) {
    showLaunchProblem(error);
  } finally {
    busy = false;
  }
}

main().catch(showLaunchProblem);
