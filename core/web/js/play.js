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

import { apiFetch, el, initComponents, requireUser, showProblem } from './common.js';

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

let current = null; // the session on screen
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
  if (session.version === '2004') {
    // Answers adl.nav.request_valid.choice.{target=ID} for the content.
    settings.scoItemIds = launchableIds(launch.toc);
  }
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

previousButton.addEventListener('click', () => current && goTo(current.launch.previous));
nextButton.addEventListener('click', () => current && goTo(current.launch.next));

// Back to this page from the back/forward cache: the content and its API are
// gone, so start again.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});

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
    await start(requestedSco);
  } catch (error) {
    showLaunchProblem(error);
  } finally {
    busy = false;
  }
}

main().catch(showLaunchProblem);
