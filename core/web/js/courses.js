// Face-to-face courses: the sessions open to the learner (GET /api/sessions),
// with a button to book a place or join the waiting list, a form to cancel,
// and the calendar invitation for a booked place (docs/API.md "Courses and
// bookings").
import {
  announceSuccess,
  apiFetch,
  clearErrors,
  el,
  formatDateTime,
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

const list = document.getElementById('sessions');
const loading = document.getElementById('loading');
const done = document.getElementById('done');
const summaryHost = document.querySelector('[data-error-summary]');


function courseKind(course) {
  const parts = [`Group ${course.group}`];
  if (course.level) parts.push(`level ${course.level}`);
  const kind = course.category === 'SPECIALIST' ? 'specialist' : 'core';
  return `${parts.join(', ')} (${kind}), ${plural(Number(course.duration_hours), 'hour', 'hours')}`;
}

const HOLDS_PLACE = ['booked', 'promoted', 'pending'];

function bookingState(booking) {
  if (!booking) return el('strong', { class: 'govuk-tag govuk-tag--grey' }, 'Not booked');
  switch (booking.status) {
    case 'booked':
    case 'promoted':
      return el('strong', { class: 'govuk-tag govuk-tag--green' }, 'Booked');
    case 'pending':
      return el('strong', { class: 'govuk-tag govuk-tag--yellow' }, 'Waiting for approval');
    case 'waitlisted':
      return el('strong', { class: 'govuk-tag govuk-tag--blue' },
        booking.waitlist_position ? `On the waiting list, number ${booking.waitlist_position}` : 'On the waiting list');
    case 'cancelled':
      return el('strong', { class: 'govuk-tag govuk-tag--grey' }, 'You cancelled');
    default:
      return el('strong', { class: 'govuk-tag govuk-tag--grey' }, String(booking.status));
  }
}

function clearMessages() {
  clearErrors(list, summaryHost);
  done.replaceChildren();
  done.hidden = true;
}

async function book(session, waitlist) {
  clearMessages();
  const title = session.course.title;
  try {
    const answer = await apiFetch(`/api/sessions/${session.id}/book`, {
      method: 'POST', json: waitlist ? { waitlist: true } : {},
    });
    const b = answer.booking;
    await load();
    if (b.status === 'waitlisted')
      announceSuccess(done, `You are on the waiting list for ${title}`,
        `You are number ${b.waitlist_position}. If a place comes free, it is yours and it shows here.`);
    else if (b.status === 'pending')
      announceSuccess(done, `Your place on ${title} is held`, 'Your training officer needs to approve the booking.');
    else
      announceSuccess(done, `You have booked a place on ${title}`, 'Add it to your calendar so you do not miss it.');
  } catch (error) {
    await load().catch(() => {});
    showProblem(summaryHost, `You could not book ${title}. ${error.message}`);
  }
}

async function cancel(session, form, reasonField) {
  clearMessages();
  const title = session.course.title;
  const reason = reasonField.value.trim();
  if (!reason) {
    showErrors(form, summaryHost, [{ field: reasonField.id, text: 'Enter why you are cancelling' }]);
    return;
  }
  try {
    const answer = await apiFetch(`/api/bookings/${session.my_booking.id}/cancel`, {
      method: 'POST', json: { reason },
    });
    await load();
    announceSuccess(done, `Your booking for ${title} is cancelled`,
      answer.late_cancellation ? 'This counts as a late cancellation because the course starts soon.' : null);
  } catch (error) {
    if (error.field === 'reason') {
      showErrors(form, summaryHost, [{ field: reasonField.id, text: error.message }]);
      return;
    }
    await load().catch(() => {});
    showProblem(summaryHost, `Your booking for ${title} could not be cancelled. ${error.message}`);
  }
}

function actions(session, index) {
  const title = session.course.title;
  const booking = session.my_booking;
  const hidden = (text) => el('span', { class: 'govuk-visually-hidden' }, text);
  const out = [];

  if (booking && (HOLDS_PLACE.includes(booking.status) || booking.status === 'waitlisted')) {
    if (booking.status === 'booked' || booking.status === 'promoted') {
      out.push(el('p', { class: 'govuk-body' },
        el('a', { class: 'govuk-link', href: `/api/bookings/${booking.id}/invite.ics`, download: `course-${session.id}.ics` },
          'Add to calendar', hidden(` for ${title}`))));
    }
    const reasonId = `reason-${index}`;
    const reasonField = el('textarea', { class: 'govuk-textarea', id: reasonId, name: 'reason', rows: 2 });
    const button = el('button', { type: 'submit', class: 'govuk-button govuk-button--warning', 'data-module': 'govuk-button' },
      booking.status === 'waitlisted' ? 'Leave the waiting list' : 'Cancel booking', hidden(` for ${title}`));
    const notice = Number(session.cancel_notice_hours) || 0;
    const form = el('form', { novalidate: true },
      el('div', { class: 'govuk-form-group' },
        el('label', { class: 'govuk-label', for: reasonId }, 'Why are you cancelling?', hidden(` (${title})`)),
        el('div', { class: 'govuk-hint', id: `${reasonId}-hint` },
          notice > 0 ? `Your training officer sees this. Cancelling less than ${plural(notice, 'hour', 'hours')} before the start counts as a late cancellation.`
            : 'Your training officer sees this.'),
        reasonField),
      button);
    reasonField.setAttribute('aria-describedby', `${reasonId}-hint`);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      button.disabled = true;
      cancel(session, form, reasonField).finally(() => { button.disabled = false; });
    });
    out.push(form);
    return out;
  }

  if (booking && booking.status === 'cancelled') {
    // METHOD:CANCEL with the session's UID: a calendar that has the event drops it
    out.push(el('p', { class: 'govuk-body' },
      el('a', { class: 'govuk-link', href: `/api/bookings/${booking.id}/invite.ics`, download: `course-${session.id}-cancelled.ics` },
        'Remove from your calendar', hidden(` ${title}`))));
  }
  if (session.booking_deadline && new Date(session.booking_deadline) < new Date()) {
    out.push(el('p', { class: 'govuk-body' }, 'Booking has closed.'));
    return out;
  }
  const full = Number(session.free_places) <= 0;
  const button = el('button', { type: 'button', class: full ? 'govuk-button govuk-button--secondary' : 'govuk-button',
    'data-module': 'govuk-button' },
  full ? 'Join the waiting list' : 'Book a place', hidden(full ? ` for ${title}` : ` on ${title}`));
  button.addEventListener('click', () => {
    button.disabled = true;
    book(session, full).finally(() => { button.disabled = false; });
  });
  out.push(button);
  return out;
}

function card(session, index) {
  const c = session.course;
  const v = session.venue || {};
  const free = Math.max(0, Number(session.free_places) || 0);
  const dates = (session.dates && session.dates.length ? session.dates
    : [{ starts_at: session.starts_at, ends_at: session.ends_at }]);
  const rows = [
    summaryRow('Course', courseKind(c)),
    summaryRow(dates.length === 1 ? 'Date' : 'Dates', ...textLines(...dates.map((d) => formatSpan(d.starts_at, d.ends_at)))),
    summaryRow('Venue', ...textLines(v.name, v.address)),
  ];
  if (v.access_notes) rows.push(summaryRow('Access', v.access_notes));
  if (session.trainer) rows.push(summaryRow('Trainer', session.trainer));
  rows.push(summaryRow('Run by', session.host_borough ? session.host_borough.name : ''));
  rows.push(summaryRow('Places left', free === 0 ? '0 places left: this course is full' : plural(free, 'place left', 'places left')));
  if (session.booking_deadline) rows.push(summaryRow('Book by', formatDateTime(session.booking_deadline)));
  rows.push(summaryRow('Your booking', bookingState(session.my_booking)));

  return el('li', { class: 'govuk-summary-card cairn-module-card', 'data-session-id': session.id },
    el('div', { class: 'govuk-summary-card__title-wrapper' },
      el('h2', { class: 'govuk-summary-card__title' }, c.title)),
    el('div', { class: 'govuk-summary-card__content' },
      el('dl', { class: 'govuk-summary-list' }, ...rows),
      ...actions(session, index)));
}

async function load() {
  const answer = await apiFetch(`/api/sessions${pageQuery()}`);
  const sessions = (answer && answer.sessions) || [];
  showPager(document.getElementById('pager'), answer);
  if (sessions.length === 0) {
    list.hidden = true;
    list.replaceChildren();
    loading.textContent = 'There are no courses to book at the moment. Your borough’s training officer adds them.';
    loading.classList.remove('cairn-loading', 'govuk-visually-hidden');
    loading.classList.add('govuk-body');
    return;
  }
  list.replaceChildren(...sessions.map(card));
  list.hidden = false;
  loading.textContent = sessions.length === 1 ? '1 course' : `${sessions.length} courses`;
  loading.classList.add('govuk-visually-hidden');
  initComponents(list);
}

async function main() {
  const user = await requireUser(['learner']);
  renderHeader(user);
  try {
    await load();
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `Courses could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
