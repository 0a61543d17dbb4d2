// Cairn: what every page shares. Talking to the JSON API (docs/API.md) with the
// CSRF token, turning error answers into Errors, the header's signed-in state,
// GOV.UK-style error messages on forms, and human dates and durations.
//
// Every piece of text that comes from the server is put on the page with
// textContent or DOM methods, never innerHTML.

import { initAll, ErrorSummary, ServiceNavigation } from '/assets/govuk/govuk-frontend.min.js';
import { LONDON, londonClock } from './london-time.js';

// ---------------------------------------------------------------------------
// API calls
// ---------------------------------------------------------------------------

/** An error answer from the API (or no answer at all: status 0). */
export class ApiError extends Error {
  constructor(message, { status = 0, code = '', field = null, body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body;
  }
}

const NETWORK_MESSAGE =
  'Cairn could not be reached. Check your internet connection and try again.';
const SERVER_MESSAGE = 'Sorry, there is a problem with the service. Try again later.';

let sessionPromise = null;
let csrfToken = null;

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFromAnswer(response, body) {
  let message = body && typeof body.error === 'string' && body.error ? body.error : '';
  if (!message) message = response.status >= 500 ? SERVER_MESSAGE : `The server answered ${response.status}.`;
  return new ApiError(message, {
    status: response.status,
    code: (body && body.code) || '',
    field: (body && body.field) || null,
    body,
  });
}

async function send(path, init) {
  try {
    return await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...init });
  } catch {
    throw new ApiError(NETWORK_MESSAGE, { status: 0, code: 'network' });
  }
}

/**
 * GET /api/session, once per page unless refresh is true. Answers
 * {user, csrf_token}; keeps the token for the next POST.
 */
export function getSession(refresh = false) {
  if (!sessionPromise || refresh) {
    sessionPromise = (async () => {
      const response = await send('/api/session', { headers: { Accept: 'application/json' } });
      const body = await readJson(response);
      if (!response.ok || !body) throw errorFromAnswer(response, body);
      csrfToken = body.csrf_token || null;
      return body;
    })();
    sessionPromise.catch(() => {
      sessionPromise = null;
    });
  }
  return sessionPromise;
}

/** After login or register: the answer carries the user and a new token. */
export function rememberSession(answer) {
  csrfToken = answer.csrf_token || null;
  sessionPromise = Promise.resolve({ user: answer.user, csrf_token: answer.csrf_token });
}

/** The token to send as X-CSRF-Token (fetched first if not known yet). */
export async function csrf() {
  if (!csrfToken) await getSession();
  return csrfToken;
}

/** Sends the browser to sign in, coming back here afterwards. Never resolves. */
export function redirectToLogin() {
  const here = location.pathname + location.search;
  location.assign('/login.html?next=' + encodeURIComponent(here));
  return new Promise(() => {});
}

/**
 * Calls the API and answers the parsed JSON (null for an empty answer).
 * options: method, json (a value to send as JSON), body, headers,
 * on401: 'redirect' (default: go to sign in) or 'throw'.
 * A 403 {"code": "csrf"} is retried once with a fresh token.
 */
export async function apiFetch(path, { method = 'GET', json, body, headers = {}, on401 = 'redirect' } = {}) {
  const verb = method.toUpperCase();
  const unsafe = verb !== 'GET' && verb !== 'HEAD';

  const attempt = async () => {
    const h = { Accept: 'application/json', ...headers };
    let payload = body;
    if (json !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(json);
    }
    if (unsafe) h['X-CSRF-Token'] = (await csrf()) || '';
    return send(path, { method: verb, headers: h, body: payload });
  };

  let response = await attempt();
  let answer = await readJson(response);
  if (unsafe && response.status === 403 && answer && answer.code === 'csrf') {
    await getSession(true);
    response = await attempt();
    answer = await readJson(response);
  }
  if (response.status === 401 && on401 === 'redirect') return redirectToLogin();
  if (!response.ok) throw errorFromAnswer(response, answer);
  return answer;
}

// ---------------------------------------------------------------------------
// Who is signed in
// ---------------------------------------------------------------------------

/** Where a user lands after signing in. */
export function homeFor(user) {
  if (user && user.role === 'partnership') return '/partnership.html';
  return user && (user.role === 'officer' || user.role === 'admin') ? '/dashboard.html' : '/training.html';
}

/**
 * A ?next= value is followed only if it is a path on this site: starts with
 * one "/", not "//" or "/\", and stays on this origin.
 */
export function safeNext(next) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return null;
  }
  try {
    const url = new URL(next, location.origin);
    if (url.origin !== location.origin) return null;
    if (url.pathname === '/login.html') return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

/**
 * For pages that need someone signed in: answers the user, or goes to sign
 * in. With roles, a user of another role goes to their own home page.
 */
export async function requireUser(roles) {
  const session = await getSession();
  if (!session.user) return redirectToLogin();
  if (roles && !roles.includes(session.user.role)) {
    location.replace(homeFor(session.user));
    return new Promise(() => {});
  }
  return session.user;
}

export async function signOut() {
  try {
    await apiFetch('/api/logout', { method: 'POST', on401: 'throw' });
  } catch (error) {
    // Already signed out is fine; anything else is worth telling.
    if (error.status !== 401) {
      window.alert('Signing out did not work: ' + error.message);
      return;
    }
  }
  location.assign('/login.html?signed-out=1');
}

/**
 * Fills the header with the navigation for this user. `current` is the path
 * of this page, marked with aria-current. Expects, in the page:
 *   <div class="govuk-service-navigation" data-cairn-nav hidden> ... <ul id="navigation">
 *   <p class="cairn-header__user" data-cairn-user hidden>
 */
export function renderHeader(user, current = location.pathname) {
  const userLine = document.querySelector('[data-cairn-user]');
  if (userLine && user) {
    userLine.textContent = 'Signed in as ' + user.name;
    userLine.hidden = false;
  }

  const nav = document.querySelector('[data-cairn-nav]');
  if (!nav || !user) return;
  const list = nav.querySelector('.govuk-service-navigation__list');
  list.replaceChildren();

  const links =
    user.role === 'learner'
      ? [
          ['/training.html', 'My training'],
          ['/record.html', 'My record'],
          ['/courses.html', 'Courses'],
          ['/messages.html', 'Messages'],
        ]
      : user.role === 'partnership'
      ? [['/partnership.html', 'Partnership figures']]
      : [
          ['/dashboard.html', 'Dashboard'],
          ['/officer.html', 'Learners'],
          ['/records.html', 'Records'],
          ['/sessions.html', 'Sessions'],
          ['/tna.html', 'Training needs'],
          ['/feedback-summary.html', 'Feedback'],
          ['/charges.html', 'Charges'],
          ['/import.html', 'Import records'],
          ['/messages.html', 'Messages'],
          ['/upload.html', 'Upload a module'],
          ['/audit.html', 'Audit log'],
          ...(user.role === 'admin' ? [['/admin.html', 'Plugins'], ['/partnership.html', 'Partnership']] : []),
        ];

  for (const [href, text] of links) {
    const item = el('li', { class: 'govuk-service-navigation__item' });
    const link = el('a', { class: 'govuk-service-navigation__link', href });
    if (href === current) {
      item.classList.add('govuk-service-navigation__item--active');
      link.setAttribute('aria-current', 'page');
      link.append(el('strong', { class: 'govuk-service-navigation__active-fallback' }, text));
    } else {
      link.textContent = text;
    }
    item.append(link);
    list.append(item);
  }

  const signOutItem = el('li', { class: 'govuk-service-navigation__item' });
  const button = el('button', { type: 'button', class: 'cairn-link-button govuk-service-navigation__link' }, 'Sign out');
  button.addEventListener('click', signOut);
  signOutItem.append(button);
  list.append(signOutItem);

  nav.hidden = false;
  if (!nav.hasAttribute('data-govuk-service-navigation-init')) {
    new ServiceNavigation(nav);
  }
}

/** GOV.UK Frontend's JavaScript for the components present in the page. */
export function initComponents(scope) {
  initAll(scope ? { scope } : undefined);
}

// ---------------------------------------------------------------------------
// Building the page
// ---------------------------------------------------------------------------

/** document.createElement with attributes and text or child nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') node.className = value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const STATE_TAGS = {
  'not started': ['Not started', 'govuk-tag--grey'],
  'in progress': ['In progress', 'govuk-tag--blue'],
  completed: ['Completed', 'govuk-tag--turquoise'],
  passed: ['Passed', 'govuk-tag--green'],
  failed: ['Failed', 'govuk-tag--red'],
};

/** A GOV.UK tag for a training state. */
/**
 * Names that tell modules apart: two modules with the same title (a SCORM 1.2
 * and a 2004 version of one course, say) get the version added, then the id.
 * Returns a Map from package_id to the name to show.
 */
export function moduleNames(modules) {
  const names = new Map();
  for (const m of modules) {
    let name = m.title;
    if (modules.filter((x) => x.title === m.title).length > 1) {
      name = `${m.title} (SCORM ${m.scorm_version})`;
      if (modules.filter((x) => x.title === m.title && x.scorm_version === m.scorm_version).length > 1) {
        name = `${name}, module ${m.package_id}`;
      }
    }
    names.set(m.package_id, name);
  }
  return names;
}

const weekdayFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: LONDON });
const dayMonthYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON });

/** "Friday 4 December 2026" (GOV.UK style: no comma), the day in London. */
export function formatDay(date) {
  return `${weekdayFormat.format(date)} ${dayMonthYear.format(date)}`;
}

/**
 * "Monday 2 March 2026, 9:30am to 3:30pm" in London (both ends shown when
 * they differ in London's day).
 */
export function formatSpan(startsAt, endsAt) {
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  if (londonClock(start)?.date === londonClock(end)?.date)
    return `${formatDay(start)}, ${formatTime(start)} to ${formatTime(end)}`;
  return `${formatDay(start)}, ${formatTime(start)} to ${formatDay(end)}, ${formatTime(end)}`;
}

/** A summary list row whose value may hold long words (addresses, emails). */
export function summaryRow(key, ...value) {
  return el('div', { class: 'govuk-summary-list__row' },
    el('dt', { class: 'govuk-summary-list__key' }, key),
    el('dd', { class: 'govuk-summary-list__value cairn-wrap' }, ...value));
}

/** One paragraph per non-empty text. */
export function textLines(...texts) {
  return texts.filter(Boolean).map((t) => el('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, t));
}

/** Shows a success banner in host and moves focus to it. */
export function announceSuccess(host, heading, detail) {
  const banner = el('div', {
    class: 'govuk-notification-banner govuk-notification-banner--success', role: 'alert', 'aria-labelledby': 'done-title',
  },
  el('div', { class: 'govuk-notification-banner__header' },
    el('h2', { class: 'govuk-notification-banner__title', id: 'done-title' }, 'Success')),
  el('div', { class: 'govuk-notification-banner__content' },
    el('h3', { class: 'govuk-notification-banner__heading' }, heading),
    detail ? el('p', { class: 'govuk-body' }, detail) : null));
  host.replaceChildren(banner);
  host.hidden = false;
  host.focus();
}

export function stateTag(state) {
  const [text, modifier] = STATE_TAGS[state] || [String(state || 'Unknown'), 'govuk-tag--grey'];
  return el('strong', { class: 'govuk-tag ' + modifier }, text);
}

/** "85%" for a score of 85, or null when there is none. */
export function formatScore(score) {
  if (score === null || score === undefined || score === '' || Number.isNaN(Number(score))) return null;
  const n = Math.round(Number(score) * 10) / 10;
  return `${n}%`;
}

// ---------------------------------------------------------------------------
// Human dates and durations
// ---------------------------------------------------------------------------

/** "1 place", "3 places". */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** 750 → "13 minutes"; 3900 → "1 hour 5 minutes"; 0 → "None". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s === 0) return 'None';
  if (s < 60) return 'Less than a minute';
  const totalMinutes = Math.round(s / 60);
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  if (hours === 0) return plural(minutes, 'minute', 'minutes');
  if (minutes === 0) return plural(hours, 'hour', 'hours');
  return `${plural(hours, 'hour', 'hours')} ${plural(minutes, 'minute', 'minutes')}`;
}

// Every date and time below is London's (london-time.js), whatever the
// browser's own time zone.
const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON });

function parseDate(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "3 May 2025" (the day in London), or '' for no date. */
export function formatDate(iso) {
  const date = parseDate(iso);
  return date ? dateFormat.format(date) : '';
}

/** "7:45pm", "midday", "midnight" (GOV.UK style), London's clock. */
export function formatTime(date) {
  const clock = londonClock(date);
  if (!clock) return '';
  const h = clock.hour;
  const m = clock.minute;
  if (m === 0 && h === 12) return 'midday';
  if (m === 0 && h === 0) return 'midnight';
  const hour12 = h % 12 === 0 ? 12 : h % 12;
  return `${hour12}:${String(m).padStart(2, '0')}${h < 12 ? 'am' : 'pm'}`;
}

/** "Today at 7:45pm", "Yesterday at 9:10am", "3 May 2025 at 2:00pm". */
export function formatDateTime(iso, now = new Date()) {
  const date = parseDate(iso);
  if (!date) return '';
  // whole days between London's calendar dates
  const days = Math.round((Date.parse(londonClock(now).date) - Date.parse(londonClock(date).date)) / 86400000);
  const day = days === 0 ? 'Today' : days === 1 ? 'Yesterday' : dateFormat.format(date);
  return `${day} at ${formatTime(date)}`;
}

// ---------------------------------------------------------------------------
// Errors on forms, the GOV.UK way: a summary at the top that takes focus, a
// message above each field in error, and "Error: " in the page title.
// ---------------------------------------------------------------------------

const ERROR_CLASSES = {
  INPUT: 'govuk-input--error',
  SELECT: 'govuk-select--error',
  TEXTAREA: 'govuk-textarea--error',
};

const baseTitle = document.title;

/** Removes every error message, error class and the summary. */
export function clearErrors(form, summaryHost) {
  for (const node of form.querySelectorAll('[data-cairn-error]')) node.remove();
  for (const group of form.querySelectorAll('.govuk-form-group--error')) {
    group.classList.remove('govuk-form-group--error');
  }
  for (const control of form.querySelectorAll('input, select, textarea')) {
    control.classList.remove(
      'govuk-input--error',
      'govuk-select--error',
      'govuk-textarea--error',
      'govuk-file-upload--error',
    );
    const describedBy = (control.getAttribute('aria-describedby') || '')
      .split(/\s+/)
      .filter((id) => id && id !== `${control.id}-error`);
    if (describedBy.length) control.setAttribute('aria-describedby', describedBy.join(' '));
    else control.removeAttribute('aria-describedby');
  }
  if (summaryHost) summaryHost.replaceChildren();
  document.title = baseTitle;
}

function markField(control, text) {
  const group = control.closest('.govuk-form-group');
  if (group) group.classList.add('govuk-form-group--error');
  if (control.type === 'file') control.classList.add('govuk-file-upload--error');
  else if (ERROR_CLASSES[control.tagName]) control.classList.add(ERROR_CLASSES[control.tagName]);

  const id = `${control.id}-error`;
  const message = el(
    'p',
    { class: 'govuk-error-message', id, 'data-cairn-error': true },
    el('span', { class: 'govuk-visually-hidden' }, 'Error:'),
    ' ',
    text,
  );
  // The message goes after the label and hint, just before the control.
  const anchor = control.closest('.govuk-input__wrapper, .govuk-drop-zone') || control;
  anchor.before(message);
  const describedBy = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  describedBy.push(id);
  control.setAttribute('aria-describedby', describedBy.join(' '));
}

/**
 * Shows errors: [{field: 'element id' or null, text}]. The summary goes into
 * summaryHost and takes focus (GOV.UK's ErrorSummary does that).
 */
export function showErrors(form, summaryHost, errors) {
  clearErrors(form, summaryHost);
  const list = el('ul', { class: 'govuk-list govuk-error-summary__list' });
  for (const error of errors) {
    const control = error.field ? document.getElementById(error.field) : null;
    if (control) {
      markField(control, error.text);
      list.append(el('li', {}, el('a', { href: `#${control.id}` }, error.text)));
    } else {
      list.append(el('li', {}, error.text));
    }
  }
  const summary = el(
    'div',
    { class: 'govuk-error-summary', 'data-module': 'govuk-error-summary' },
    el(
      'div',
      { role: 'alert' },
      el('h2', { class: 'govuk-error-summary__title' }, 'There is a problem'),
      el('div', { class: 'govuk-error-summary__body' }, list),
    ),
  );
  summaryHost.replaceChildren(summary);
  document.title = 'Error: ' + baseTitle;
  new ErrorSummary(summary); // focuses the summary; its links focus the fields
}

/** A page-level problem (no form): a summary with plain text, focused. */
export function showProblem(host, text, { title = 'There is a problem', link = null } = {}) {
  const body = el('div', { class: 'govuk-error-summary__body' }, el('p', { class: 'govuk-body' }, text));
  if (link) body.append(el('p', { class: 'govuk-body' }, el('a', { class: 'govuk-link', href: link.href }, link.text)));
  const summary = el(
    'div',
    { class: 'govuk-error-summary', 'data-module': 'govuk-error-summary' },
    el('div', { role: 'alert' }, el('h2', { class: 'govuk-error-summary__title' }, title), body),
  );
  host.replaceChildren(summary);
  new ErrorSummary(summary);
}

// ---------------------------------------------------------------------------
// Paged lists (docs/API.md "Paging"): the page's own URL carries ?limit=,
// ?after= or ?before=, so Back and bookmarks work.
// ---------------------------------------------------------------------------

/** The page's paging parameters, to pass on to the API ("" when none). */
export function pageQuery(search = location.search) {
  const here = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const key of ['limit', 'after', 'before']) {
    if (here.get(key)) out.set(key, here.get(key));
  }
  const text = out.toString();
  return text ? `?${text}` : '';
}

/**
 * Fills a GOV.UK pagination nav (its .govuk-pagination__prev and __next
 * blocks each hold one link) from a list answer's "previous" and "next"
 * cursors; hides what does not apply.
 */
export function showPager(nav, answer) {
  const limit = new URLSearchParams(location.search).get('limit');
  const link = (key, cursor) => {
    const q = new URLSearchParams();
    if (limit) q.set('limit', limit);
    q.set(key, cursor);
    return `${location.pathname}?${q}`;
  };
  const prev = nav.querySelector('.govuk-pagination__prev');
  const next = nav.querySelector('.govuk-pagination__next');
  const answerOr = answer || {};
  prev.hidden = !answerOr.previous;
  next.hidden = !answerOr.next;
  if (answerOr.previous) prev.querySelector('a').href = link('before', answerOr.previous);
  if (answerOr.next) next.querySelector('a').href = link('after', answerOr.next);
  nav.hidden = !answerOr.previous && !answerOr.next;
}
