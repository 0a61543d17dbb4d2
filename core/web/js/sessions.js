// Course sessions, for officers and admins: the borough's sessions
// (GET /api/officer/sessions, a page at a time: ?after= / ?before=); for one
// session (?session=ID) its bookings and waiting list (GET
// /api/sessions/{id}/bookings), moving or cancelling a learner's booking
// (POST /api/bookings/{id}/move, /cancel), an attendance form per session
// date (POST /api/sessions/{id}/attendance) and cancelling the session
// (POST /api/sessions/{id}/cancel). Scheduling and changing a session is
// session-edit.js; adding a course, course-new.js. docs/API.md "Courses and
// bookings".
import {
  announceSuccess,
  apiFetch,
  clearErrors,
  el,
  formatDateTime,
  formatDay,
  formatSpan,
  initComponents,
  pageQuery,
  plural,
  renderHeader,
  requireUser,
  showErrors,
  showPager,
  showProblem,
  summaryRow,
  textLines,
} from './common.js';

initComponents();

const loading = document.getElementById('loading');
const overview = document.getElementById('overview');
const tbody = document.getElementById('sessions-body');
const detail = document.getElementById('detail');
const done = document.getElementById('done');
const summaryHost = document.querySelector('[data-error-summary]');


function datesOf(session) {
  return session.dates && session.dates.length ? session.dates
    : [{ starts_at: session.starts_at, ends_at: session.ends_at }];
}

function statusTag(session) {
  return session.status === 'cancelled'
    ? el('strong', { class: 'govuk-tag govuk-tag--red' }, 'Cancelled')
    : el('strong', { class: 'govuk-tag govuk-tag--green' }, 'Scheduled');
}

const BOOKING_STATUS = {
  booked: 'Booked',
  promoted: 'Booked (from the waiting list)',
  pending: 'Waiting for approval',
  waitlisted: 'On the waiting list',
  cancelled: 'Cancelled',
};

const ATTENDANCE = [
  ['attended', 'Attended'],
  ['partly_attended', 'Partly attended'],
  ['no_show', 'Did not attend (no-show)'],
  ['cancelled_late', 'Cancelled late'],
];

function clearMessages() {
  clearErrors(detail, summaryHost);
  done.replaceChildren();
  done.hidden = true;
}

/** The learner's id: the booking's user_id, else its learner's id. */
function userId(b) {
  return b.user_id ?? (b.learner && b.learner.id);
}

function cell(...children) {
  return el('td', { class: 'govuk-table__cell cairn-wrap' }, ...children);
}

// ---------------------------------------------------------------------------
// All sessions
// ---------------------------------------------------------------------------

async function showList() {
  document.getElementById('list-actions').hidden = false;
  const answer = await apiFetch(`/api/officer/sessions${pageQuery()}`);
  const sessions = (answer && answer.sessions) || [];
  showPager(document.getElementById('pager'), answer);
  if (sessions.length === 0) {
    loading.textContent = 'There are no sessions yet.';
    loading.classList.remove('cairn-loading');
    loading.classList.add('govuk-body');
    return;
  }
  tbody.replaceChildren(...sessions.map((s) => {
    const v = s.venue || {};
    return el('tr', { class: 'govuk-table__row', 'data-session-id': s.id },
      el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' },
        el('a', { class: 'govuk-link', href: `/sessions.html?session=${encodeURIComponent(s.id)}` },
          s.course.title,
          el('span', { class: 'govuk-visually-hidden' }, `, ${formatDay(new Date(s.starts_at))}`))),
      cell(...textLines(...datesOf(s).map((d) => formatSpan(d.starts_at, d.ends_at)))),
      cell(v.name || ''),
      cell(String(s.capacity)),
      cell(String(s.booked)),
      cell(String(s.waitlisted)),
      cell(statusTag(s)));
  }));
  overview.hidden = false;
  loading.textContent = plural(sessions.length, 'session', 'sessions');
  loading.classList.add('govuk-visually-hidden');
}

// ---------------------------------------------------------------------------
// One session
// ---------------------------------------------------------------------------

/** The learner's name for messages. */
function nameOf(b) {
  return (b.learner && b.learner.name) || `Learner ${userId(b)}`;
}

/**
 * A table of bookings. actions(b): nodes for the booking's last cell (Move,
 * Cancel), or null for a table without that column.
 */
function bookingsTable(id, caption, bookings, withPosition, actions = null) {
  const head = ['Name', 'Email', withPosition ? 'Position' : 'Status'];
  if (actions) head.push('Actions');
  return el('div', { class: 'cairn-table-scroll', role: 'region', 'aria-labelledby': `${id}-caption`, tabindex: 0 },
    el('table', { class: 'govuk-table', id },
      el('caption', { class: 'govuk-table__caption govuk-table__caption--m', id: `${id}-caption` }, caption),
      el('thead', { class: 'govuk-table__head' },
        el('tr', { class: 'govuk-table__row' },
          ...head.map((h) => el('th', { scope: 'col', class: 'govuk-table__header' }, h)))),
      el('tbody', { class: 'govuk-table__body' },
        ...bookings.map((b, i) => el('tr', { class: 'govuk-table__row', 'data-user-id': userId(b), 'data-booking-id': b.id },
          el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' }, (b.learner && b.learner.name) || ''),
          cell((b.learner && b.learner.email) || ''),
          cell(withPosition ? String(b.waitlist_position || i + 1)
            : (BOOKING_STATUS[b.status] || String(b.status)) + (b.late_cancellation ? ' (late)' : '')
              + (b.moved_from ? ' (moved here)' : '')),
          actions ? cell(...actions(b)) : null)))));
}

// ---------------------------------------------------------------------------
// Moving or cancelling one learner's booking: a panel under the tables
// ---------------------------------------------------------------------------

function actionButton(text, b, onClick) {
  const button = el('button', { type: 'button', class: 'cairn-link-button govuk-!-margin-right-3' },
    text, el('span', { class: 'govuk-visually-hidden' }, ` ${nameOf(b)}’s booking`));
  button.addEventListener('click', () => onClick(b, button));
  return button;
}

/** Shows nodes in the action panel under a focused heading. */
function openPanel(heading, ...nodes) {
  const panel = document.getElementById('booking-action');
  const h = el('h2', { class: 'govuk-heading-m', id: 'booking-action-title', tabindex: -1 }, heading);
  panel.replaceChildren(h, ...nodes);
  panel.hidden = false;
  initComponents(panel);
  h.focus();
  return panel;
}

/** Replaces what follows the panel's heading, keeping the focus on it. */
function panelBody(panel, ...nodes) {
  const heading = panel.firstChild;
  while (heading.nextSibling) heading.nextSibling.remove();
  panel.append(...nodes);
}

function closePanel(returnTo) {
  const panel = document.getElementById('booking-action');
  clearErrors(panel, summaryHost);
  panel.replaceChildren();
  panel.hidden = true;
  if (returnTo && returnTo.isConnected) returnTo.focus();
}

function backButton(text, returnTo) {
  const back = el('button', { type: 'button', class: 'govuk-button govuk-button--secondary', 'data-module': 'govuk-button' }, text);
  back.addEventListener('click', () => closePanel(returnTo));
  return back;
}

async function openMove(session, b, returnTo) {
  clearMessages();
  const name = nameOf(b);
  const panel = openPanel(`Move ${name}’s booking`,
    el('p', { class: 'govuk-body', role: 'status' }, 'Looking for other sessions of this course…'));
  let options;
  try {
    options = (await apiFetch(`/api/bookings/${b.id}/moves`)).sessions || [];
  } catch (error) {
    showProblem(summaryHost, `The other sessions could not be loaded. ${error.message}`);
    closePanel(returnTo);
    return;
  }
  const withPlace = options.filter((o) => o.free_places === undefined || o.free_places > 0);
  if (withPlace.length === 0) {
    panelBody(panel,
      el('p', { class: 'govuk-body' }, `There is no other session of ${session.course.title} with a place for ${name}.`),
      backButton('Go back', returnTo));
    return;
  }
  const radios = withPlace.map((o, i) => {
    const id = i === 0 ? 'move-to' : `move-to-${o.id}`;
    const v = o.venue || {};
    const hint = [v.name, o.host_borough && o.host_borough.name,
      o.free_places !== undefined ? plural(o.free_places, 'place free', 'places free') : null].filter(Boolean).join(', ');
    return el('div', { class: 'govuk-radios__item' },
      el('input', { class: 'govuk-radios__input', id, name: 'move-to', type: 'radio', value: o.id, 'aria-describedby': `${id}-hint` }),
      el('label', { class: 'govuk-label govuk-radios__label', for: id }, formatSpan(o.starts_at, o.dates && o.dates[0] ? o.dates[0].ends_at : o.ends_at)),
      el('div', { class: 'govuk-hint govuk-radios__hint', id: `${id}-hint` }, hint));
  });
  const reason = el('textarea', { class: 'govuk-textarea', id: 'move-reason', name: 'move-reason', rows: 2, 'aria-describedby': 'move-reason-hint' });
  const submit = el('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' }, 'Move the booking');
  const form = el('form', { novalidate: true, id: 'move-form' },
    el('div', { class: 'govuk-form-group' },
      el('fieldset', { class: 'govuk-fieldset' },
        el('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, `Which session should ${name} move to?`),
        el('div', { class: 'govuk-radios', 'data-module': 'govuk-radios' }, ...radios))),
    el('div', { class: 'govuk-form-group' },
      el('label', { class: 'govuk-label govuk-label--s', for: 'move-reason' }, 'Reason (optional)'),
      el('div', { class: 'govuk-hint', id: 'move-reason-hint' }, `${name} is told by email and gets a new calendar invitation; the place freed here goes to the waiting list.`),
      reason),
    el('div', { class: 'govuk-button-group' }, submit, backButton('Go back', returnTo)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    const chosen = form.querySelector('input[name="move-to"]:checked');
    if (!chosen) {
      showErrors(form, summaryHost, [{ field: 'move-to', text: `Choose the session ${name} should move to` }]);
      return;
    }
    const target = withPlace.find((o) => String(o.id) === chosen.value);
    submit.disabled = true;
    try {
      const json = { session_id: Number(chosen.value) };
      if (reason.value.trim()) json.reason = reason.value.trim();
      await apiFetch(`/api/bookings/${b.id}/move`, { method: 'POST', json });
      await showSession(session.id);
      announceSuccess(done, `${name}’s booking is moved`, `Now on ${formatSpan(target.starts_at, target.ends_at)}.`);
    } catch (error) {
      submit.disabled = false;
      const field = error.field === 'reason' ? 'move-reason' : 'move-to';
      showErrors(form, summaryHost, [{ field, text: error.message }]);
    }
  });
  panelBody(panel, form);
  initComponents(panel);
}

function openCancel(session, b, returnTo) {
  clearMessages();
  const name = nameOf(b);
  const reason = el('textarea', { class: 'govuk-textarea', id: 'booking-cancel-reason', name: 'booking-cancel-reason', rows: 3, 'aria-describedby': 'booking-cancel-reason-hint' });
  const confirm = el('button', { type: 'submit', class: 'govuk-button govuk-button--warning', 'data-module': 'govuk-button' },
    'Yes, cancel the booking');
  const form = el('form', { novalidate: true, id: 'booking-cancel-form' },
    el('div', { class: 'govuk-form-group' },
      el('label', { class: 'govuk-label govuk-label--s', for: 'booking-cancel-reason' }, `Why is ${name}’s booking cancelled?`),
      el('div', { class: 'govuk-hint', id: 'booking-cancel-reason-hint' },
        `${name} is told by email. A cancellation by an officer never counts as a late cancellation; the place goes to the first person on the waiting list.`),
      reason),
    el('div', { class: 'govuk-button-group' }, confirm, backButton('No, keep it', returnTo)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    const text = reason.value.trim();
    if (!text) {
      showErrors(form, summaryHost, [{ field: 'booking-cancel-reason', text: `Enter why ${name}’s booking is cancelled` }]);
      return;
    }
    confirm.disabled = true;
    try {
      const answer = await apiFetch(`/api/bookings/${b.id}/cancel`, { method: 'POST', json: { reason: text } });
      await showSession(session.id);
      announceSuccess(done, `${name}’s booking is cancelled`,
        answer.promoted ? 'The place went to the first person on the waiting list.' : null);
    } catch (error) {
      confirm.disabled = false;
      showErrors(form, summaryHost, [{ field: 'booking-cancel-reason', text: error.message }]);
    }
  });
  openPanel(`Cancel ${name}’s booking`, form);
}

/** One radio group per learner for one date. */
function learnerFieldset(date, booking) {
  const name = (booking.learner && booking.learner.name) || `Learner ${userId(booking)}`;
  const base = `att-${date.id}-${userId(booking)}`;
  const items = [];
  for (const [value, label] of ATTENDANCE) {
    const id = `${base}-${value}`;
    const input = el('input', { class: 'govuk-radios__input', id, name: base, type: 'radio', value });
    const item = el('div', { class: 'govuk-radios__item' },
      input, el('label', { class: 'govuk-label govuk-radios__label', for: id }, label));
    items.push(item);
    if (value === 'partly_attended') {
      const minutesId = `${base}-minutes`;
      input.setAttribute('data-aria-controls', `${minutesId}-conditional`);
      items.push(el('div', { class: 'govuk-radios__conditional govuk-radios__conditional--hidden', id: `${minutesId}-conditional` },
        el('div', { class: 'govuk-form-group' },
          el('label', { class: 'govuk-label', for: minutesId }, 'Minutes attended'),
          el('input', {
            class: 'govuk-input govuk-input--width-4', id: minutesId, name: minutesId, type: 'text',
            inputmode: 'numeric', spellcheck: 'false', autocomplete: 'off',
          }))));
    }
  }
  return el('div', { class: 'govuk-form-group', 'data-user-id': userId(booking) },
    el('fieldset', { class: 'govuk-fieldset' },
      el('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, name),
      el('div', { class: 'govuk-radios govuk-radios--small', 'data-module': 'govuk-radios' },
        el('span', { id: `${base}-anchor`, tabindex: -1 }), ...items)));
}

async function saveAttendance(session, date, form, bookings, button) {
  clearMessages();
  const marks = [];
  const errors = [];
  for (const b of bookings) {
    const base = `att-${date.id}-${userId(b)}`;
    const chosen = form.querySelector(`input[name="${base}"]:checked`);
    if (!chosen) continue;
    const mark = { date_id: date.id, user_id: userId(b), status: chosen.value };
    if (chosen.value === 'partly_attended') {
      const field = document.getElementById(`${base}-minutes`);
      const text = field.value.trim();
      const minutes = Number(text);
      if (!/^\d+$/.test(text) || minutes < 1) {
        errors.push({ field: field.id, text: `Enter how many minutes ${(b.learner && b.learner.name) || 'the learner'} attended, as a whole number` });
        continue;
      }
      mark.minutes = minutes;
    }
    marks.push([b, mark]);
  }
  if (errors.length) {
    showErrors(form, summaryHost, errors);
    return;
  }
  if (marks.length === 0) {
    showErrors(form, summaryHost, [{ field: bookings.length ? `att-${date.id}-${userId(bookings[0])}-attended` : null,
      text: 'Choose whether each learner attended' }]);
    return;
  }
  button.disabled = true;
  const saved = [];
  try {
    for (const [b, mark] of marks) {
      try {
        const answer = await apiFetch(`/api/sessions/${session.id}/attendance`, { method: 'POST', json: mark });
        saved.push(answer.attendance);
      } catch (error) {
        const who = (b.learner && b.learner.name) || 'a learner';
        const field = error.field === 'minutes' ? `att-${date.id}-${userId(b)}-minutes` : null;
        errors.push({ field, text: `Attendance for ${who} was not saved. ${error.message}` });
      }
    }
  } finally {
    button.disabled = false;
  }
  if (errors.length) {
    showErrors(form, summaryHost, errors);
    return;
  }
  const hours = saved.reduce((sum, a) => sum + Number(a.hours || 0), 0);
  announceSuccess(done, `Attendance saved for ${formatSpan(date.starts_at, date.ends_at)}`,
    `${plural(saved.length, 'learner', 'learners')} marked, ${plural(Math.round(hours * 100) / 100, 'hour', 'hours')} in all.`);
}

function attendanceSection(session, bookings) {
  const now = new Date();
  const out = [el('h2', { class: 'govuk-heading-m' }, 'Attendance')];
  if (bookings.length === 0) {
    out.push(el('p', { class: 'govuk-body' }, 'No one has a place, so there is no attendance to mark.'));
    return out;
  }
  for (const date of session.dates || []) {
    const span = formatSpan(date.starts_at, date.ends_at);
    if (new Date(date.starts_at) > now) {
      out.push(el('h3', { class: 'govuk-heading-s' }, span),
        el('p', { class: 'govuk-body' }, 'Attendance can be marked once this date has begun.'));
      continue;
    }
    const button = el('button', { type: 'submit', class: 'govuk-button', 'data-module': 'govuk-button' },
      'Save attendance', el('span', { class: 'govuk-visually-hidden' }, ` for ${span}`));
    const form = el('form', { novalidate: true, class: 'cairn-attendance', 'data-date-id': date.id },
      el('h3', { class: 'govuk-heading-s' }, span),
      ...bookings.map((b) => learnerFieldset(date, b)),
      button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      saveAttendance(session, date, form, bookings, button);
    });
    out.push(form);
  }
  return out;
}

function cancelSection(session) {
  if (session.status === 'cancelled') return [];
  const reasonId = 'cancel-reason';
  const reasonField = el('textarea', { class: 'govuk-textarea', id: reasonId, name: 'reason', rows: 3, 'aria-describedby': `${reasonId}-hint` });
  const confirm = el('button', { type: 'submit', class: 'govuk-button govuk-button--warning', 'data-module': 'govuk-button' },
    'Yes, cancel this session');
  const back = el('button', { type: 'button', class: 'govuk-button govuk-button--secondary', 'data-module': 'govuk-button' },
    'No, keep it');
  const form = el('form', { novalidate: true, id: 'cancel-form', hidden: true },
    el('div', { class: 'govuk-form-group' },
      el('label', { class: 'govuk-label govuk-label--s', for: reasonId }, 'Why is the session cancelled?'),
      el('div', { class: 'govuk-hint', id: `${reasonId}-hint` },
        'Everyone with a place or on the waiting list is told, and their calendar invitation is withdrawn. This cannot be undone.'),
      reasonField),
    el('div', { class: 'govuk-button-group' }, confirm, back));
  const open = el('button', { type: 'button', class: 'govuk-button govuk-button--warning', 'data-module': 'govuk-button' },
    'Cancel this session');
  open.addEventListener('click', () => {
    open.hidden = true;
    form.hidden = false;
    reasonField.focus();
  });
  back.addEventListener('click', () => {
    clearErrors(form, summaryHost);
    form.hidden = true;
    open.hidden = false;
    open.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    const reason = reasonField.value.trim();
    if (!reason) {
      showErrors(form, summaryHost, [{ field: reasonId, text: 'Enter why the session is cancelled' }]);
      return;
    }
    confirm.disabled = true;
    try {
      await apiFetch(`/api/sessions/${session.id}/cancel`, { method: 'POST', json: { reason } });
      await showSession(session.id);
      announceSuccess(done, `${session.course.title} is cancelled`, null);
    } catch (error) {
      if (error.field === 'reason') showErrors(form, summaryHost, [{ field: reasonId, text: error.message }]);
      else showProblem(summaryHost, `The session could not be cancelled. ${error.message}`);
    } finally {
      confirm.disabled = false;
    }
  });
  return [el('h2', { class: 'govuk-heading-m' }, 'Cancel the session'), open, form];
}

async function showSession(id) {
  const answer = await apiFetch(`/api/sessions/${encodeURIComponent(id)}/bookings`);
  const s = answer.session;
  const v = s.venue || {};
  const bookings = answer.bookings || [];
  const waitlist = answer.waitlist || [];
  const cancelled = answer.cancelled || [];
  const dates = datesOf(s);
  const rows = [
    summaryRow(dates.length === 1 ? 'Date' : 'Dates', ...textLines(...dates.map((d) => formatSpan(d.starts_at, d.ends_at)))),
    summaryRow('Venue', ...textLines(v.name, v.address)),
  ];
  if (s.trainer) rows.push(summaryRow('Trainer', s.trainer));
  rows.push(summaryRow('Places', `${s.booked} of ${s.capacity} booked`));
  rows.push(summaryRow('Waiting list', plural(Number(s.waitlisted) || 0, 'learner', 'learners')));
  if (s.booking_deadline) rows.push(summaryRow('Book by', formatDateTime(s.booking_deadline)));
  rows.push(summaryRow('Status', statusTag(s), s.cancel_reason ? ` ${s.cancel_reason}` : ''));

  const parts = [
    el('p', { class: 'govuk-body' }, el('a', { class: 'govuk-link govuk-link--no-visited-state', href: '/sessions.html' }, 'All sessions')),
    el('h2', { class: 'govuk-heading-l', id: 'session-title' }, s.course.title),
    el('dl', { class: 'govuk-summary-list' }, ...rows),
  ];
  // Moving needs a session that has not begun; an officer may cancel a
  // booking later too (the learner no longer can).
  const live = s.status !== 'cancelled';
  const movable = live && new Date(s.starts_at) > new Date();
  const actions = live ? (b) => [
    movable ? actionButton('Move', b, (x, button) => openMove(s, x, button)) : null,
    actionButton('Cancel', b, (x, button) => openCancel(s, x, button)),
  ] : null;
  if (live) {
    parts.push(el('p', { class: 'govuk-body' },
      el('a', { class: 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0', 'data-module': 'govuk-button',
        href: `/session-edit.html?session=${encodeURIComponent(s.id)}` }, 'Change session details')));
  }
  parts.push(bookings.length ? bookingsTable('bookings-table', 'Bookings', bookings, false, actions)
    : el('p', { class: 'govuk-body' }, 'No one has booked yet.'));
  if (waitlist.length) parts.push(bookingsTable('waitlist-table', 'Waiting list', waitlist, true, actions));
  if (cancelled.length) parts.push(bookingsTable('cancelled-table', 'Cancelled bookings', cancelled, false));
  parts.push(el('section', { id: 'booking-action', 'aria-labelledby': 'booking-action-title', hidden: true }));
  if (s.status !== 'cancelled') parts.push(...attendanceSection(s, bookings));
  parts.push(...cancelSection(s));
  detail.replaceChildren(...parts);
  detail.hidden = false;
  overview.hidden = true;
  loading.textContent = `${s.course.title} loaded`;
  loading.classList.add('govuk-visually-hidden');
  initComponents(detail);
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  const id = new URLSearchParams(location.search).get('session');
  try {
    if (id) {
      await showSession(id);
      const what = new URLSearchParams(location.search).get('done');
      if (what === 'scheduled' || what === 'changed')
        announceSuccess(done, what === 'scheduled' ? 'The session is scheduled' : 'The session is changed', null);
    } else {
      await showList();
    }
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `${id ? 'The session' : 'Sessions'} could not be loaded. ${error.message}`, {
      link: { href: location.pathname + location.search, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
