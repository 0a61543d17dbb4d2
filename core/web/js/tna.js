// Training needs analysis, for officers and admins (GET /api/officer/tna,
// docs/API.md "Reports"): per organisation, how many people need each group
// and level, how many are trained and in date, expired, not trained, and
// the gap; the totals first. Organisations can be ordered by name, by the
// largest gap or by the lowest share in date.
import { el, formatDate, initComponents, plural } from './common.js';
import { figuresTable, levelName, loadBoroughReport, num, percent } from './report-charts.js';

const host = document.getElementById('tna');

const COLUMNS = [
  { key: 'name', label: 'Group and level' },
  { key: 'required', label: 'People who need it' },
  { key: 'in_date', label: 'Trained and in date' },
  { key: 'share', label: 'Share in date' },
  { key: 'expired', label: 'Expired' },
  { key: 'untrained', label: 'Not trained' },
  { key: 'gap', label: 'Gap' },
];

function rows(levels) {
  return levels.map((l) => ({ ...l, name: levelName(l.group, l.level), share: percent(l.in_date, l.required) }));
}

function orgSection(o, index, allBoroughs) {
  const id = `org-${index}`;
  const name = allBoroughs && o.borough ? `${o.name} (${o.borough})` : o.name;
  const parts = [
    el('h3', { class: 'govuk-heading-s govuk-!-margin-bottom-1 cairn-wrap', id: `${id}-title` }, name),
    el('p', { class: 'govuk-body-s' },
      `${plural(o.learners, 'learner', 'learners')}; gap ${num(o.gap)}` +
      (o.required ? `, ${percent(o.in_date, o.required)} in date` : '')),
  ];
  parts.push(o.levels.length
    ? figuresTable(`${id}-table`, `Training needs of ${name}`, COLUMNS, rows(o.levels))
    : el('p', { class: 'govuk-body' }, 'No required training for these learners.'));
  return el('section', { class: 'govuk-!-margin-bottom-6', 'aria-labelledby': `${id}-title`, 'data-org': o.id ?? 0 }, ...parts);
}

const ORDERS = {
  name: (a, b) => a.name.localeCompare(b.name, 'en-GB'),
  gap: (a, b) => b.gap - a.gap || a.name.localeCompare(b.name, 'en-GB'),
  share: (a, b) => (a.required ? a.in_date / a.required : 2) - (b.required ? b.in_date / b.required : 2)
    || b.gap - a.gap || a.name.localeCompare(b.name, 'en-GB'),
};
const ORDER_NAMES = { name: 'by name', gap: 'by largest gap first', share: 'by lowest share in date first' };

function renderOrganisations(d, order) {
  const list = [...d.organisations].sort(ORDERS[order] || ORDERS.name);
  document.getElementById('organisations').replaceChildren(
    el('h2', { class: 'govuk-heading-m' }, 'Each organisation'),
    ...(list.length ? list.map((o, i) => orgSection(o, i, !d.borough))
      : [el('p', { class: 'govuk-body' }, 'No organisations yet.')]));
}

function render(d) {
  document.getElementById('as-of').textContent = `Figures for ${formatDate(d.today)}, ${plural(d.learners, 'learner', 'learners')}.`;
  // the same borough as the page shows
  const csv = new URLSearchParams({ format: 'csv' });
  if (d.borough && d.borough.slug) csv.set('borough', d.borough.slug);
  document.getElementById('download').href = `/api/officer/tna?${csv}`;
  document.getElementById('totals').replaceChildren(d.totals.length
    ? figuresTable('totals-table', 'Training needs of all organisations', COLUMNS, rows(d.totals), { visibleCaption: false })
    : el('p', { class: 'govuk-body' }, 'No required training yet: the borough’s rules have not asked anyone for any.'));
  const orderSelect = document.getElementById('order');
  const status = document.getElementById('order-status');
  const params = new URLSearchParams(location.search);
  if (ORDERS[params.get('order')]) orderSelect.value = params.get('order');
  renderOrganisations(d, orderSelect.value);
  orderSelect.addEventListener('change', () => {
    renderOrganisations(d, orderSelect.value);
    status.textContent = `Organisations ordered ${ORDER_NAMES[orderSelect.value]}.`;
    const url = new URL(location.href);
    url.searchParams.set('order', orderSelect.value);
    history.replaceState(null, '', url);
  });
}

initComponents();
loadBoroughReport('/api/officer/tna', host, render);
