// Dashboard, for officers and admins (GET /api/officer/dashboard, docs/API.md
// "Reports"): summary cards, training expiring soon, compliance per
// organisation and per group and level, and feedback scores. Officers see
// their own borough; admins choose one borough or all with ?borough=SLUG.
import { el, formatDate, initComponents, plural } from './common.js';
import { levelName, loadBoroughReport, num, percent, stackedChart } from './report-charts.js';

const host = document.getElementById('dashboard');

const STATES = [
  { key: 'in_date', label: 'In date', cls: 'cairn-chart__part--in-date' },
  { key: 'expired', label: 'Expired', cls: 'cairn-chart__part--expired' },
  { key: 'overdue', label: 'Overdue', cls: 'cairn-chart__part--overdue' },
  { key: 'not_yet_due', label: 'Not yet due', cls: 'cairn-chart__part--due' },
];

function card(label, value, detail) {
  return el('li', { class: 'cairn-card' },
    el('span', { class: 'cairn-card__label' }, label),
    el('span', { class: 'cairn-card__value' }, value),
    detail ? el('span', { class: 'cairn-card__detail' }, detail) : null);
}

function cards(d) {
  const c = d.completions_this_month;
  const items = d.items;
  const overdueItems = items.overdue + items.expired;
  return [
    card('Learners', num(d.learners), `${percent(items.in_date, items.required)} of required training in date`),
    card('Completions this month', num(c.total),
      `${num(c.elearning)} e-learning, ${num(c.attendance)} courses attended, ${num(c.evidence)} evidence`),
    card('Learners overdue', num(d.learners_overdue),
      `${plural(overdueItems, 'item', 'items')} overdue or expired`),
    card('Expiring within 30 days', num(items.expiring_30),
      `${num(items.expiring_60)} within 60 days, ${num(items.expiring_90)} within 90`),
  ];
}

function note(r) {
  return `${percent(r.in_date, r.required)} in date, gap ${num(r.gap)}`;
}

function feedbackRows(f) {
  const score = (x) => (x === null || x === undefined ? 'No answers' : `${x} out of 5`);
  const change = (x) => {
    if (x === null || x === undefined) return 'No answers';
    if (Number(x) === 0) return 'No change';
    return `${x > 0 ? '+' : '−'}${Math.abs(x)} points`;
  };
  const row = (k, v) => el('div', { class: 'govuk-summary-list__row' },
    el('dt', { class: 'govuk-summary-list__key' }, k),
    el('dd', { class: 'govuk-summary-list__value' }, v));
  return [
    row('Responses', num(f.responses)),
    row('How useful (average)', score(f.usefulness_mean)),
    row('Confidence before (average)', score(f.confidence_before_mean)),
    row('Confidence after (average)', score(f.confidence_after_mean)),
    row('Change in confidence (average)', change(f.confidence_change_mean)),
  ];
}

function render(d) {
  document.getElementById('as-of').textContent =
    `Figures for ${formatDate(d.today)}.` + (d.compliance && d.compliance.rebuilding
      ? ' The figures are being recalculated after a change to the borough rules and may be incomplete.' : '');
  document.getElementById('cards').replaceChildren(...cards(d));

  const i = d.items;
  document.getElementById('expiring-chart').replaceChildren(stackedChart('expiring', 'Required training expiring soon',
    [
      { name: 'Within 30 days', count: i.expiring_30 },
      { name: 'Within 60 days', count: i.expiring_60 },
      { name: 'Within 90 days', count: i.expiring_90 },
    ],
    [{ key: 'count', label: 'Items expiring', cls: 'cairn-chart__part--expiring' }],
    { relative: true, labelHeading: 'Period', note: (r) => plural(r.count, 'item', 'items') }));

  const orgs = d.by_organisation.filter((o) => o.required > 0 || o.learners > 0).map((o) => ({
    ...o, name: d.borough ? o.name : `${o.name} (${o.borough || 'no borough'})`,
  }));
  const orgHost = document.getElementById('org-chart');
  orgHost.replaceChildren(orgs.length
    ? stackedChart('organisations', 'Required training by organisation', orgs, STATES, {
      labelHeading: 'Organisation', note,
      extraColumns: [{ key: 'learners', label: 'Learners' }, { key: 'required', label: 'Required' }, { key: 'gap', label: 'Gap' }],
    })
    : el('p', { class: 'govuk-body' }, 'No organisations yet.'));

  const levels = d.by_level.map((l) => ({ ...l, name: levelName(l.group, l.level) }));
  const levelHost = document.getElementById('level-chart');
  levelHost.replaceChildren(levels.length
    ? stackedChart('levels', 'Required training by group and level', levels, STATES, {
      labelHeading: 'Group and level', note,
      extraColumns: [{ key: 'required', label: 'Required' }, { key: 'gap', label: 'Gap' }],
    })
    : el('p', { class: 'govuk-body' }, 'No required training yet: the borough’s rules have not asked anyone for any.'));

  document.getElementById('feedback').replaceChildren(...feedbackRows(d.feedback));
  initComponents(host);
}

initComponents();
loadBoroughReport('/api/officer/dashboard', host, render);
