// Messages (docs/API.md "Notifications"): a learner's own booking, waitlist,
// session and expiry messages (GET /api/me/messages); an officer's view of
// the messages to their borough's learners, with the recipient, whether it
// was sent and the last problem, filtered by status (GET /api/officer/messages).
// Each message is a heading, a summary list and its text in a details.
import {
  apiFetch,
  el,
  formatDateTime,
  initComponents,
  plural,
  renderHeader,
  requireUser,
  showProblem,
  summaryRow,
} from './common.js';

initComponents();

const list = document.getElementById('messages');
const loading = document.getElementById('loading');
const intro = document.getElementById('intro');
const more = document.getElementById('more');
const filter = document.getElementById('filter');
const statusSelect = document.getElementById('status');
const summaryHost = document.querySelector('[data-error-summary]');

const STATUSES = ['pending', 'sent', 'failed'];

function qs(params) {
  const s = params.toString();
  return s ? `?${s}` : '';
}

function statusTag(message, emailEnabled) {
  if (message.status === 'sent')
    return el('strong', { class: 'govuk-tag govuk-tag--green' }, 'Sent by email');
  if (message.status === 'failed')
    return el('strong', { class: 'govuk-tag govuk-tag--red' }, 'Could not be sent');
  return el('strong', { class: 'govuk-tag govuk-tag--grey' },
    emailEnabled ? 'Waiting to be sent' : 'Not sent by email');
}

/** The message's text: paragraphs at blank lines, line breaks kept. */
function bodyText(text) {
  return text.trim().split(/\n\s*\n/).map((para) => {
    const p = el('p', { class: 'govuk-body cairn-wrap' });
    para.split('\n').forEach((line, i) => {
      if (i) p.append(el('br'));
      p.append(line);
    });
    return p;
  });
}

function item(message, officer, emailEnabled, index, last) {
  const id = `message-${message.id}`;
  const rows = [
    summaryRow('Date', formatDateTime(message.created_at)),
  ];
  if (officer) {
    const r = message.recipient || {};
    rows.push(summaryRow('To', r.name ? `${r.name} (${r.email})` : r.email || 'Unknown'));
    if (r.borough)
      rows.push(summaryRow('Borough', r.borough));
  }
  rows.push(summaryRow('Email', statusTag(message, emailEnabled),
    message.sent_at ? ` ${formatDateTime(message.sent_at)}` : null));
  if (officer && message.attempts > 0 && message.status !== 'sent')
    rows.push(summaryRow('Tries', plural(message.attempts, 'try', 'tries')));
  if (officer && message.last_error)
    rows.push(summaryRow('Last problem', message.last_error));
  return el('li', {},
    el('h2', { class: 'govuk-heading-m cairn-wrap', id }, message.subject),
    el('dl', { class: 'govuk-summary-list govuk-!-margin-bottom-3' }, ...rows),
    el('details', { class: 'govuk-details', 'data-module': 'govuk-details', open: index === 0 && !officer },
      el('summary', { class: 'govuk-details__summary' },
        el('span', { class: 'govuk-details__summary-text' }, 'Read the message')),
      el('div', { class: 'govuk-details__text' }, ...bodyText(message.body))),
    last ? null : el('hr', { class: 'govuk-section-break govuk-section-break--m govuk-section-break--visible' }));
}

async function load(officer) {
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  const status = params.get('status');
  if (officer && STATUSES.includes(status)) {
    query.set('status', status);
    statusSelect.value = status;
  }
  const before = params.get('before');
  if (before && /^\d+$/.test(before))
    query.set('before', before);
  const path = officer ? '/api/officer/messages' : '/api/me/messages';
  const answer = await apiFetch(path + qs(query));
  const messages = answer.messages || [];
  const emailEnabled = Boolean(answer.email_enabled);
  if (officer)
    intro.textContent = emailEnabled
      ? 'Messages Cairn sends to your borough’s learners about their bookings, sessions and training that is due for renewal, newest first.'
      : 'Messages Cairn has written to your borough’s learners, newest first. No mail server is set up, so they are not emailed: learners see them on their own Messages page.';
  else
    intro.textContent = emailEnabled
      ? 'What Cairn has told you about your bookings, sessions and training due for renewal, newest first. Each message is also sent to your email address.'
      : 'What Cairn has told you about your bookings, sessions and training due for renewal, newest first.';
  if (messages.length === 0) {
    list.hidden = true;
    loading.textContent = before ? 'There are no older messages.'
      : officer && status ? 'There are no messages with this status.' : 'There are no messages yet.';
    loading.classList.remove('cairn-loading');
    loading.classList.add('govuk-body');
  } else {
    list.replaceChildren(...messages.map((m, i) => item(m, officer, emailEnabled, i, i === messages.length - 1)));
    list.hidden = false;
    loading.textContent = plural(messages.length, 'message', 'messages');
    loading.classList.add('govuk-visually-hidden');
    initComponents(list);
  }
  const links = [];
  if (before) {
    const first = new URLSearchParams(query);
    first.delete('before');
    links.push(el('a', { class: 'govuk-link', href: `/messages.html${qs(first)}` }, 'Newest messages'));
  }
  if (answer.next_before) {
    const next = new URLSearchParams(query);
    next.set('before', answer.next_before);
    if (links.length) links.push(' · ');
    links.push(el('a', { class: 'govuk-link', href: `/messages.html${qs(next)}` }, 'Older messages'));
  }
  more.replaceChildren(...links);
  more.hidden = links.length === 0;
}

async function main() {
  const user = await requireUser();
  renderHeader(user);
  const officer = user.role === 'officer' || user.role === 'admin';
  filter.hidden = !officer;
  try {
    await load(officer);
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `Messages could not be loaded. ${error.message}`, {
      link: { href: location.pathname + location.search, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
