// The audit log (GET /api/admin/audit, docs/API.md "Data protection"): an
// admin sees every entry, an officer their own borough's. The filters and
// the page (?offset=) are in the page's own address, so Back works.
import {
  apiFetch,
  el,
  formatDateTime,
  initComponents,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
} from './common.js';

initComponents();

const LIMIT = 50;
const loading = document.getElementById('loading');
const list = document.getElementById('list');
const tbody = document.getElementById('audit-body');
const form = document.getElementById('filter-form');
const summaryHost = document.querySelector('[data-error-summary]');
const FILTERS = ['action', 'subject', 'actor', 'from', 'to'];
const ACTIONS = {
  view_record: 'Viewed the record', view_certificate: 'Viewed a certificate', export_csv: 'Exported a list',
  export_learner: 'Downloaded their own data', erase: 'Erased the learner', retention_run: 'Retention run',
  retention_set: 'Changed the retention period', grant: 'Granted access', revoke: 'Revoked access',
};

function details(entry) {
  const d = entry.detail || {};
  const parts = [];
  if (d.reason) parts.push(`Reason: ${d.reason}`);
  if (d.format) parts.push(`Format: ${d.format.toUpperCase()}`);
  if (d.code) parts.push(`Certificate ${d.code}`);
  if (d.until) parts.push(`Until ${d.until}`);
  if (d.anonymised !== undefined) parts.push(`${d.anonymised} anonymised, cut-off ${d.cutoff}`);
  if (d.months !== undefined && d.anonymised === undefined) parts.push(d.months ? `${d.months} months` : 'Kept for ever');
  if (d.list) parts.push(`List: ${d.list}`);
  if (d.rows !== undefined) parts.push(`${d.rows} rows`);
  return parts.join('. ');
}

function row(e) {
  const who = e.actor ? `${e.actor.name} (${e.actor.role})` : 'Cairn (scheduled)';
  const learner = e.subject
    ? el('a', { class: 'govuk-link', href: `/learner.html?id=${e.subject.id}` }, e.subject.name)
    : '–';
  return el('tr', { class: 'govuk-table__row' },
    el('td', { class: 'govuk-table__cell' }, formatDateTime(e.at)),
    el('td', { class: 'govuk-table__cell cairn-wrap' }, who),
    el('td', { class: 'govuk-table__cell' }, ACTIONS[e.action] || e.action),
    el('td', { class: 'govuk-table__cell cairn-wrap' }, learner),
    el('td', { class: 'govuk-table__cell cairn-wrap' }, e.borough ? e.borough.name : '–'),
    el('td', { class: 'govuk-table__cell cairn-wrap' }, details(e)));
}

function pageLink(offset) {
  const q = new URLSearchParams(location.search);
  q.set('offset', String(offset));
  return `${location.pathname}?${q}`;
}

async function load() {
  const here = new URLSearchParams(location.search);
  const q = new URLSearchParams({ limit: String(LIMIT) });
  for (const key of FILTERS) {
    const v = here.get(key) || '';
    form.elements[key].value = v;
    if (v) q.set(key, v);
  }
  const offset = Number(here.get('offset')) || 0;
  if (offset > 0) q.set('offset', String(offset));
  let answer;
  try {
    answer = await apiFetch(`/api/admin/audit?${q}`);
  } catch (error) {
    loading.hidden = true;
    const field = FILTERS.includes(error.field) ? error.field : null;
    if (field) showErrors(form, summaryHost, [{ field, text: error.message }]);
    else showProblem(summaryHost, `The audit log could not be loaded. ${error.message}`);
    return;
  }
  if (answer.scope === 'borough')
    document.getElementById('scope-note').textContent = 'Who viewed, exported or erased the data of your borough’s learners, newest first.';
  document.getElementById('audit-caption').textContent = answer.total === 0 ? 'No entries match'
    : `Entries ${offset + 1} to ${offset + answer.entries.length} of ${answer.total}`;
  tbody.replaceChildren(...answer.entries.map(row));
  const pager = document.getElementById('pager');
  const prev = pager.querySelector('.govuk-pagination__prev');
  const next = pager.querySelector('.govuk-pagination__next');
  prev.hidden = offset === 0;
  next.hidden = offset + answer.entries.length >= answer.total;
  prev.querySelector('a').href = pageLink(Math.max(0, offset - LIMIT));
  next.querySelector('a').href = pageLink(offset + LIMIT);
  pager.hidden = prev.hidden && next.hidden;
  list.hidden = false;
  loading.textContent = 'The audit log has loaded.';
  loading.classList.add('govuk-visually-hidden');
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user, '/audit.html');
  await load();
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname, text: 'Try again' } });
});
