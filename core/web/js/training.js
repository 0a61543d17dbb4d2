// My training: every module open to the learner, its state, and a button to
// start, continue or review it.
import {
  apiFetch,
  el,
  formatDate,
  formatDateTime,
  formatDuration,
  formatScore,
  initComponents,
  moduleNames,
  renderHeader,
  requireUser,
  showProblem,
  signOut,
  stateTag,
} from './common.js';

initComponents();

const list = document.getElementById('modules');
const loading = document.getElementById('loading');
const summaryHost = document.querySelector('[data-error-summary]');

document.getElementById('sign-out').addEventListener('click', signOut);

function actionText(state) {
  if (state === 'not started') return 'Start';
  if (state === 'completed' || state === 'passed') return 'Review';
  return 'Continue';
}

function row(key, ...value) {
  return el(
    'div',
    { class: 'govuk-summary-list__row' },
    el('dt', { class: 'govuk-summary-list__key' }, key),
    el('dd', { class: 'govuk-summary-list__value' }, ...value),
  );
}

function card(module, index, names) {
  const title = names.get(module.package_id) || module.title;
  const titleId = `module-${index}-title`;
  const score = formatScore(module.score);
  const rows = [
    row('Status', stateTag(module.state)),
    row('Score', score || 'No score yet'),
    row('Time spent', formatDuration(module.time_spent_seconds)),
    row('Last visit', formatDateTime(module.last_visit) || 'Not visited yet'),
  ];
  if (module.completed_at) rows.push(row('Completed on', formatDate(module.completed_at)));

  const href = `/play.html?package=${encodeURIComponent(module.package_id)}`;
  const action = el(
    'a',
    { href, role: 'button', draggable: 'false', class: 'govuk-button', 'data-module': 'govuk-button' },
    actionText(module.state),
    el('span', { class: 'govuk-visually-hidden' }, ` ${title}`),
  );

  return el(
    'li',
    { class: 'govuk-summary-card cairn-module-card' },
    el(
      'div',
      { class: 'govuk-summary-card__title-wrapper' },
      el('h2', { class: 'govuk-summary-card__title', id: titleId }, title),
    ),
    el(
      'div',
      { class: 'govuk-summary-card__content' },
      el('dl', { class: 'govuk-summary-list' }, ...rows),
      action,
    ),
  );
}

async function main() {
  const user = await requireUser(['learner', 'officer', 'admin']);
  renderHeader(user);
  showFeedbackNotice();
  const who = document.getElementById('who');
  const where = [user.organisation && user.organisation.name, user.borough && user.borough.name].filter(Boolean);
  who.textContent = where.join(', ');
  who.hidden = where.length === 0;

  try {
    const answer = await apiFetch('/api/me/training');
    const modules = (answer && answer.modules) || [];
    showRequired(user.borough, answer && answer.required);
    showContacts();
    if (modules.length === 0) {
      loading.textContent = 'There is no training for you yet. Your borough’s training officer will add it.';
      loading.classList.remove('cairn-loading');
      loading.classList.add('govuk-body');
      return;
    }
    const names = moduleNames(modules);
    list.replaceChildren(...modules.map((m, i) => card(m, i, names)));
    list.hidden = false;
    loading.textContent = modules.length === 1 ? '1 module' : `${modules.length} modules`;
    loading.classList.add('govuk-visually-hidden');
    initComponents(list);
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `Your training could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Try again' },
    });
  }
}

const REQUIRED_STATE = {
  done: 'Done',
  due: 'Due',
  overdue: 'Overdue',
  expiring: 'Expiring soon',
};

/** What the borough's rules ask of this learner (docs/API.md "Required"). */
function showRequired(borough, required) {
  const section = document.getElementById('required-section');
  if (!required || required.length === 0) return;
  document.getElementById('required-intro').textContent =
    `${borough ? borough.name : 'Your borough'} asks people in your role to complete:`;
  const rows = required.map((item) => {
    const details = [];
    if (item.state === 'done' && item.expires) details.push(`Valid until ${formatDate(item.expires)}`);
    else if (item.state === 'done' && item.completed_at) details.push(`Completed on ${formatDate(item.completed_at)}`);
    else if (item.due) details.push(`${item.state === 'overdue' ? 'Was due' : 'Due'} by ${formatDate(item.due)}`);
    if (item.kind === 'course') details.push('Face-to-face course');
    if (item.note) details.push(item.note);
    const value = el('dd', { class: 'govuk-summary-list__value' },
      el('strong', { class: `govuk-tag ${item.state === 'overdue' ? 'govuk-tag--red' : item.state === 'done' ? 'govuk-tag--green' : item.state === 'expiring' ? 'govuk-tag--orange' : 'govuk-tag--blue'}` },
        REQUIRED_STATE[item.state] || item.state),
      ...details.map((d) => el('p', { class: 'govuk-body-s govuk-!-margin-top-1 govuk-!-margin-bottom-0' }, d)));
    return el('div', { class: 'govuk-summary-list__row' },
      el('dt', { class: 'govuk-summary-list__key' }, item.title), value);
  });
  document.getElementById('required').replaceChildren(...rows);
  section.hidden = false;
}

/** The borough's safeguarding contacts, from its plugin; nothing when none. */
async function showContacts() {
  let answer;
  try {
    answer = await apiFetch('/api/me/contacts');
  } catch {
    return; // the page works without them: the 999 advice is in the text
  }
  const contacts = (answer && answer.contacts) || [];
  if (contacts.length === 0) return;
  const rows = contacts.map((c) => {
    const lines = [c.name];
    if (c.phone) lines.push(`Phone: ${c.phone}`);
    if (c.email) lines.push(`Email: ${c.email}`);
    if (c.hours) lines.push(c.hours);
    if (c.note) lines.push(c.note);
    return el('div', { class: 'cairn-contact' },
      el('h3', { class: 'govuk-heading-s govuk-!-margin-bottom-1' }, c.role),
      ...lines.map((line) => el('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, line)));
  });
  document.getElementById('contacts').replaceChildren(...rows);
  document.getElementById('contacts-section').hidden = false;
}

/** "You have N evaluations to complete", linking to /feedback.html; nothing when none. */
async function showFeedbackNotice() {
  let answer;
  try {
    answer = await apiFetch('/api/me/feedback');
  } catch {
    return; // the page works without it
  }
  const n = ((answer && answer.awaiting) || []).length;
  if (n === 0) return;
  const banner = el('div', { class: 'govuk-notification-banner', role: 'region', 'aria-labelledby': 'feedback-notice-title', id: 'feedback-notice' },
    el('div', { class: 'govuk-notification-banner__header' },
      el('h2', { class: 'govuk-notification-banner__title', id: 'feedback-notice-title' }, 'Feedback')),
    el('div', { class: 'govuk-notification-banner__content' },
      el('p', { class: 'govuk-notification-banner__heading' },
        `You have ${n === 1 ? '1 evaluation' : `${n} evaluations`} to complete. `,
        el('a', { class: 'govuk-notification-banner__link', href: '/feedback.html' }, 'Give feedback'))));
  // GOV.UK puts a notification banner just before the heading (and its caption).
  (document.getElementById('who') || document.querySelector('main h1')).before(banner);
}

main().catch((error) => {
  // Only reached when Cairn cannot be asked who is signed in.
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
