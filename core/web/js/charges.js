// Charges, for officers and admins: no-shows and late cancellations flagged
// for the borough's charging rule (GET /api/officer/charges), each waived or
// marked invoiced with POST /api/charges/{id}/status (docs/API.md "Charges").
import {
  announceSuccess,
  apiFetch,
  el,
  formatDate,
  initComponents,
  renderHeader,
  requireUser,
  showProblem,
} from './common.js';

initComponents();

const loading = document.getElementById('loading');
const list = document.getElementById('list');
const tbody = document.getElementById('charges-body');
const caption = document.getElementById('charges-caption');
const done = document.getElementById('done');
const summaryHost = document.querySelector('[data-error-summary]');
const statusSelect = document.getElementById('status');

const STATUSES = ['flagged', 'waived', 'invoiced'];
const STATUS_TAG = {
  flagged: ['Flagged', 'govuk-tag--yellow'],
  waived: ['Waived', 'govuk-tag--grey'],
  invoiced: ['Invoiced', 'govuk-tag--blue'],
};
const REASON = { no_show: 'Did not attend (no-show)', late_cancellation: 'Cancelled late' };
const ACTIONS = [
  ['waived', 'Waive', 'govuk-button--secondary'],
  ['invoiced', 'Mark invoiced', 'govuk-button--secondary'],
  ['flagged', 'Flag again', 'govuk-button--secondary'],
];

const pounds = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });

function amountText(pence) {
  if (pence === null || pence === undefined) return 'Not set';
  if (pence === 0) return 'No charge';
  return pounds.format(pence / 100);
}

function filterFromUrl() {
  const s = new URLSearchParams(location.search).get('status') || '';
  return STATUSES.includes(s) ? s : '';
}

function row(charge) {
  const [tagText, tagClass] = STATUS_TAG[charge.status] || [charge.status, 'govuk-tag--grey'];
  const who = `${charge.learner.name}, ${charge.session.title}`;
  const buttons = ACTIONS.filter(([status]) => status !== charge.status).map(([status, label, cls]) => {
    const b = el('button', { type: 'button', class: `govuk-button ${cls} govuk-!-margin-bottom-1 govuk-!-margin-right-1`,
      'data-module': 'govuk-button' }, label, el('span', { class: 'govuk-visually-hidden' }, `: ${who}`));
    b.addEventListener('click', () => change(charge, status, b));
    return b;
  });
  return el('tr', { class: 'govuk-table__row' },
    el('td', { class: 'govuk-table__cell cairn-wrap' }, charge.learner.name,
      el('br'), el('span', { class: 'govuk-hint govuk-!-font-size-16' }, charge.learner.email)),
    el('td', { class: 'govuk-table__cell cairn-wrap' }, charge.session.title,
      el('br'), el('span', { class: 'govuk-hint govuk-!-font-size-16' }, `Run by ${charge.session.host_borough}`)),
    el('td', { class: 'govuk-table__cell' }, formatDate(charge.session.starts_at)),
    el('td', { class: 'govuk-table__cell cairn-wrap' }, REASON[charge.reason] || charge.reason,
      charge.note ? el('br') : null,
      charge.note ? el('span', { class: 'govuk-hint govuk-!-font-size-16' }, charge.note) : null),
    el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, amountText(charge.amount_pence)),
    el('td', { class: 'govuk-table__cell' }, el('strong', { class: `govuk-tag ${tagClass}` }, tagText)),
    el('td', { class: 'govuk-table__cell' }, ...buttons));
}

async function load() {
  const status = filterFromUrl();
  statusSelect.value = status;
  const answer = await apiFetch(`/api/officer/charges${status ? `?status=${status}` : ''}`);
  const charges = (answer && answer.charges) || [];
  caption.textContent = status ? `${STATUS_TAG[status][0]} charges` : 'Charges';
  if (charges.length === 0) {
    loading.textContent = status ? `There are no ${status} charges.` : 'There are no charges.';
    loading.classList.remove('govuk-visually-hidden');
    loading.hidden = false;
    list.hidden = true;
    return;
  }
  tbody.replaceChildren(...charges.map(row));
  loading.textContent = `${charges.length} charges loaded`;
  loading.classList.add('govuk-visually-hidden');
  list.hidden = false;
  initComponents(list);
}

async function change(charge, status, button) {
  button.disabled = true;
  try {
    await apiFetch(`/api/charges/${charge.id}/status`, { method: 'POST', json: { status } });
    await load();
    const words = { waived: 'waived', invoiced: 'marked invoiced', flagged: 'flagged again' }[status];
    announceSuccess(done, `Charge ${words}`,
      `${charge.learner.name}, ${charge.session.title} (${formatDate(charge.session.starts_at)}).`);
  } catch (error) {
    button.disabled = false;
    showProblem(summaryHost, `The charge could not be changed. ${error.message}`);
  }
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  try {
    await load();
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `The charges could not be loaded. ${error.message}`, {
      link: { href: location.pathname + location.search, text: 'Try again' },
    });
  }
}

main();
