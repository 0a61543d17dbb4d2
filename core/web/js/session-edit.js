// Schedule a session of a course (POST /api/courses/{id}/sessions) or change
// one (?session=ID: PUT /api/sessions/{id}), for officers and admins
// (docs/API.md "Courses and bookings"). Dates and times are entered in
// Europe/London and sent in UTC. Errors from the form and from the API (422
// with "field") show in the GOV.UK error summary, linked to the field.
import {
  apiFetch,
  clearErrors,
  el,
  initComponents,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
} from './common.js';
import { londonToUtc, utcToLondon } from './london-time.js';

initComponents();

const MAX_DATES = 20;
const form = document.getElementById('session-form');
const datesHost = document.getElementById('dates');
const addDate = document.getElementById('add-date');
const loading = document.getElementById('loading');
const summaryHost = document.querySelector('[data-error-summary]');
const params = new URLSearchParams(location.search);
const editing = params.get('session');

const byId = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// Date rows: one fieldset each (legend "Date N"), renumbered on removal
// ---------------------------------------------------------------------------

function dateRow(value = { date: '', start: '', end: '' }) {
  const field = (suffix, label, type, v, width) => el('div', { class: 'govuk-form-group' },
    el('label', { class: 'govuk-label', 'data-suffix': suffix }, label),
    el('input', { class: `govuk-input ${width}`, type, 'data-suffix': suffix, value: v }));
  const remove = el('button', { type: 'button', class: 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0', 'data-module': 'govuk-button' },
    'Remove', el('span', { class: 'govuk-visually-hidden' }, ''));
  const row = el('div', { class: 'govuk-form-group cairn-date-row' },
    el('fieldset', { class: 'govuk-fieldset', role: 'group' },
      el('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, ''),
      field('day', 'Day', 'date', value.date, 'govuk-input--width-10'),
      field('start', 'Starts', 'time', value.start, 'govuk-input--width-5'),
      field('end', 'Ends', 'time', value.end, 'govuk-input--width-5'),
      remove));
  remove.addEventListener('click', () => {
    const rows = [...datesHost.children];
    const at = rows.indexOf(row);
    row.remove();
    renumber();
    const next = datesHost.children[Math.min(at, datesHost.children.length - 1)];
    next.querySelector('input').focus();
  });
  return row;
}

function renumber() {
  const rows = [...datesHost.children];
  rows.forEach((row, i) => {
    const n = i + 1;
    row.querySelector('legend').textContent = `Date ${n}`;
    for (const node of row.querySelectorAll('[data-suffix]')) {
      const id = `date-${n}-${node.getAttribute('data-suffix')}`;
      if (node.tagName === 'LABEL') node.setAttribute('for', id);
      else {
        node.id = id;
        node.name = id;
      }
    }
    const remove = row.querySelector('button');
    remove.hidden = rows.length === 1;
    remove.querySelector('.govuk-visually-hidden').textContent = ` date ${n}`;
  });
  addDate.hidden = rows.length >= MAX_DATES;
}

addDate.addEventListener('click', () => {
  const row = dateRow();
  datesHost.append(row);
  renumber();
  row.querySelector('input').focus();
});

// ---------------------------------------------------------------------------
// Reading the form
// ---------------------------------------------------------------------------

const WHOLE = /^\d+$/;

function read() {
  const errors = [];
  const body = {};
  if (!editing) {
    if (!byId('course_id').value) errors.push({ field: 'course_id', text: 'Choose the course' });
    if (!byId('host-group').hidden) {
      if (!byId('host_borough_id').value) errors.push({ field: 'host_borough_id', text: 'Choose the borough that hosts the session' });
      else body.host_borough_id = Number(byId('host_borough_id').value);
    }
  }
  body.dates = [];
  [...datesHost.children].forEach((row, i) => {
    const n = i + 1;
    const day = byId(`date-${n}-day`).value;
    const start = byId(`date-${n}-start`).value;
    const end = byId(`date-${n}-end`).value;
    if (!day) errors.push({ field: `date-${n}-day`, text: `Enter the day of date ${n}` });
    else if (!start) errors.push({ field: `date-${n}-start`, text: `Enter when date ${n} starts` });
    else if (!end) errors.push({ field: `date-${n}-end`, text: `Enter when date ${n} ends` });
    else if (end <= start) errors.push({ field: `date-${n}-end`, text: `Date ${n} must end after it starts` });
    else {
      const startsAt = londonToUtc(day, start);
      const endsAt = londonToUtc(day, end);
      if (!startsAt || !endsAt) errors.push({ field: `date-${n}-day`, text: `Enter a real day and times for date ${n}` });
      else body.dates.push({ starts_at: startsAt, ends_at: endsAt });
    }
  });
  body.venue_name = byId('venue_name').value.trim();
  body.venue_address = byId('venue_address').value.trim();
  body.access_notes = byId('access_notes').value.trim();
  body.trainer = byId('trainer').value.trim();
  if (!body.venue_name) errors.push({ field: 'venue_name', text: 'Enter the venue name' });
  if (!body.venue_address) errors.push({ field: 'venue_address', text: 'Enter the venue address' });
  const capacity = byId('capacity').value.trim();
  const open = byId('open_places').value.trim() || '0';
  const notice = byId('cancel_notice_hours').value.trim() || '0';
  if (!WHOLE.test(capacity) || Number(capacity) < 1 || Number(capacity) > 1000)
    errors.push({ field: 'capacity', text: 'Enter the number of places, a whole number from 1 to 1000' });
  else body.capacity = Number(capacity);
  if (!WHOLE.test(open) || (body.capacity !== undefined && Number(open) > body.capacity))
    errors.push({ field: 'open_places', text: 'Enter the places open to other boroughs, a whole number from 0 to the number of places' });
  else body.open_places = Number(open);
  if (!WHOLE.test(notice) || Number(notice) > 720)
    errors.push({ field: 'cancel_notice_hours', text: 'Enter the cancellation notice in hours, a whole number from 0 to 720' });
  else body.cancel_notice_hours = Number(notice);
  const dlDay = byId('booking_deadline').value;
  const dlTime = byId('booking_deadline-time').value;
  if (dlDay || dlTime) {
    const deadline = dlDay && dlTime ? londonToUtc(dlDay, dlTime) : null;
    if (!deadline) errors.push({ field: dlDay ? 'booking_deadline-time' : 'booking_deadline', text: 'Enter both the date and the time of the booking deadline, or neither' });
    else body.booking_deadline = deadline;
  } else {
    body.booking_deadline = null;
  }
  return { body, errors };
}

/** The API's field (422 "field") to the control that shows it. */
function fieldFor(name) {
  if (name === 'dates') return 'date-1-day';
  return byId(name) ? name : null;
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form, summaryHost);
  const { body, errors } = read();
  if (errors.length) {
    showErrors(form, summaryHost, errors);
    return;
  }
  const button = byId('save');
  button.disabled = true;
  try {
    const answer = editing
      ? await apiFetch(`/api/sessions/${encodeURIComponent(editing)}`, { method: 'PUT', json: body })
      : await apiFetch(`/api/courses/${encodeURIComponent(byId('course_id').value)}/sessions`, { method: 'POST', json: body });
    location.assign(`/sessions.html?session=${answer.session.id}&done=${editing ? 'changed' : 'scheduled'}`);
  } catch (error) {
    const field = error.field && fieldFor(error.field);
    if (field) showErrors(form, summaryHost, [{ field, text: error.message }]);
    else showProblem(summaryHost, `The session was not saved. ${error.message}`);
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------
// Filling the form
// ---------------------------------------------------------------------------

function courseLabel(c) {
  const bits = [`Group ${c.group}`, c.category === 'CORE' ? 'core' : 'specialist'];
  if (c.level) bits.push(`level ${c.level}`);
  return `${c.title} (${bits.join(', ')})`;
}

async function fill(user) {
  const courseSelect = byId('course_id');
  if (editing) {
    const answer = await apiFetch(`/api/sessions/${encodeURIComponent(editing)}/bookings`);
    const s = answer.session;
    document.title = document.title.replace('Schedule a session', 'Change a session');
    byId('page-heading').textContent = `Change the session: ${s.course.title}`;
    byId('back-link').href = `/sessions.html?session=${s.id}`;
    byId('back-link').textContent = 'Back to the session';
    byId('save').textContent = 'Save changes';
    courseSelect.replaceChildren(el('option', { value: s.course.id }, courseLabel(s.course)));
    courseSelect.disabled = true;
    for (const d of s.dates) {
      const a = utcToLondon(d.starts_at);
      const b = utcToLondon(d.ends_at);
      datesHost.append(dateRow({ date: a.date, start: a.time, end: b.time }));
    }
    byId('venue_name').value = s.venue.name || '';
    byId('venue_address').value = s.venue.address || '';
    byId('access_notes').value = s.venue.access_notes || '';
    byId('trainer').value = s.trainer || '';
    byId('capacity').value = String(s.capacity);
    byId('open_places').value = String(s.open_places);
    byId('cancel_notice_hours').value = String(s.cancel_notice_hours);
    if (s.booking_deadline && s.booking_deadline !== s.starts_at) {
      const dl = utcToLondon(s.booking_deadline);
      byId('booking_deadline').value = dl.date;
      byId('booking_deadline-time').value = dl.time;
    }
  } else {
    const { courses } = await apiFetch('/api/courses');
    courseSelect.replaceChildren(el('option', { value: '' }, 'Choose a course'),
      ...courses.map((c) => el('option', { value: c.id }, courseLabel(c))));
    const wanted = params.get('course');
    if (wanted && courses.some((c) => String(c.id) === wanted)) courseSelect.value = wanted;
    if (user.role === 'admin') {
      const boroughs = await apiFetch('/api/boroughs');
      byId('host_borough_id').replaceChildren(el('option', { value: '' }, 'Choose a borough'),
        ...boroughs.map((b) => el('option', { value: b.id }, b.name)));
      byId('host-group').hidden = false;
    }
    datesHost.append(dateRow());
  }
  renumber();
  form.hidden = false;
  loading.hidden = true;
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user, '/sessions.html');
  form.addEventListener('submit', submit);
  try {
    await fill(user);
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `The form could not be loaded. ${error.message}`, {
      link: { href: location.pathname + location.search, text: 'Try again' },
    });
  }
}

main().catch((error) => showProblem(summaryHost, error.message));
