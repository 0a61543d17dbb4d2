// Learners of the officer's borough (all boroughs for an admin, or one):
// filtered, sorted and paged by the server (GET /api/officer/learners), with
// the filters in the page's URL so a view can be bookmarked, and an "Export
// CSV" link for the same list. Each learner's modules are shown as columns.
import {
  apiFetch,
  el,
  formatDate,
  formatScore,
  initComponents,
  moduleNames,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
  stateTag,
} from './common.js';
import {
  exportHref, fieldFor, fillBoroughChoices, fillForm, option, pageParams, rangeText, showPages, sortableHeader,
} from './list-view.js';

initComponents();

const PARAMS = ['q', 'status', 'organisation', 'job_role', 'group', 'package', 'course', 'registered_from',
  'registered_to', 'completed_from', 'completed_to', 'borough', 'sort', 'order', 'limit', 'offset'];
const DEFAULTS = { sort: 'name', order: 'asc' };

const loading = document.getElementById('loading');
const area = document.getElementById('learners');
const head = document.getElementById('learners-head');
const body = document.getElementById('learners-body');
const caption = document.getElementById('learners-caption');
const form = document.getElementById('filters');
const filterInput = document.getElementById('filter');
const filterCount = document.getElementById('filter-count');
const summaryHost = document.querySelector('[data-error-summary]');
const params = pageParams(PARAMS);

let rows = []; // [{row, text}] for narrowing the page as the filter is typed
let answer = null;

const STATUS = {
  overdue: ['Overdue', 'govuk-tag--red'],
  expiring: ['Expiring soon', 'govuk-tag--orange'],
  not_started: ['Not started', 'govuk-tag--grey'],
  in_progress: ['In progress', 'govuk-tag--blue'],
  compliant: ['Compliant', 'govuk-tag--green'],
  none: ['Nothing required', 'govuk-tag--grey'],
};

function statusTag(status) {
  const [text, colour] = STATUS[status] || [status || 'Unknown', 'govuk-tag--grey'];
  return el('strong', { class: `govuk-tag ${colour}` }, text);
}

// For the filter: lower case, accents removed ("Zoë" matches "zoe").
function fold(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

// The modules to show as columns, in the order first seen.
function moduleColumns(learners) {
  const modules = new Map();
  for (const learner of learners) {
    for (const module of learner.modules || []) {
      if (!modules.has(module.package_id)) modules.set(module.package_id, module);
    }
  }
  const names = moduleNames([...modules.values()]);
  return [...modules.keys()].map((id) => ({ id, title: names.get(id) }));
}

function cell(...children) {
  return el('td', { class: 'govuk-table__cell cairn-wrap' }, ...children);
}

function moduleCell(module) {
  if (!module) {
    return cell(el('span', { 'aria-hidden': 'true' }, '–'), el('span', { class: 'govuk-visually-hidden' }, 'No record'));
  }
  const score = formatScore(module.score);
  return cell(stateTag(module.state), score ? el('span', { class: 'cairn-score' }, `Score ${score}`) : null);
}

function render(learners) {
  const columns = moduleColumns(learners);
  head.replaceChildren(
    sortableHeader('Name', 'name', params, DEFAULTS),
    sortableHeader('Email', null, params, DEFAULTS),
    sortableHeader('Organisation', 'organisation', params, DEFAULTS),
    sortableHeader('Job role', null, params, DEFAULTS),
    ...columns.map((c) => sortableHeader(c.title, null, params, DEFAULTS)),
    sortableHeader('Status', 'status', params, DEFAULTS),
    sortableHeader('Required training in date', null, params, DEFAULTS),
    sortableHeader('Last activity', 'last_activity', params, DEFAULTS),
  );

  const fragment = document.createDocumentFragment();
  rows = learners.map((learner) => {
    const byPackage = new Map((learner.modules || []).map((m) => [m.package_id, m]));
    const row = el(
      'tr',
      { class: 'govuk-table__row' },
      el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' },
        el('a', { class: 'govuk-link', href: `/learner.html?id=${encodeURIComponent(learner.id)}` },
          learner.name || `Learner ${learner.id}`)),
      cell(learner.email || ''),
      cell(learner.organisation || ''),
      cell(learner.job_role || ''),
      ...columns.map((c) => moduleCell(byPackage.get(c.id))),
      cell(statusTag(learner.status)),
      cell(learner.required ? `${learner.in_date} of ${learner.required}` : 'None'),
      cell(learner.last_activity ? formatDate(learner.last_activity) : 'Never'),
    );
    fragment.append(row);
    return { row, text: fold(`${learner.name || ''} ${learner.email || ''}`) };
  });
  body.replaceChildren(fragment);
  narrow();
}

// Narrows the rows of this page to those matching what is typed.
function narrow() {
  const words = fold(filterInput.value.trim()).split(/\s+/).filter(Boolean);
  const applied = fold(params.get('q') || '');
  let shown = 0;
  for (const { row, text } of rows) {
    const match = words.every((w) => text.includes(w));
    row.hidden = !match;
    if (match) shown += 1;
  }
  const noun = rows.length === 1 ? 'learner' : 'learners';
  filterCount.textContent = words.length && fold(filterInput.value.trim()) !== applied
    ? `Showing ${shown} of ${rows.length} ${noun}`
    : rangeText(answer, 'learner', 'learners');
}

let filterTimer = 0;
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(narrow, 150);
});

// The choices of the selects: organisations, modules, courses, boroughs.
async function fillChoices(user) {
  const [boroughs, packages, courses] = await Promise.all([
    apiFetch('/api/boroughs').catch(() => []),
    apiFetch('/api/packages').catch(() => ({ packages: [] })),
    apiFetch('/api/courses').catch(() => ({ courses: [] })),
  ]);
  fillBoroughChoices(user, boroughs);
  const names = moduleNames((packages && packages.packages || []).map((p) => ({ ...p, package_id: p.id })));
  for (const p of (packages && packages.packages) || []) document.getElementById('package').append(option(p.id, names.get(p.id)));
  for (const c of (courses && courses.courses) || []) {
    document.getElementById('course').append(option(c.id, c.level ? `${c.title} (Level ${c.level})` : c.title));
  }
  fillForm(form, params);
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  fillForm(form, params);
  await fillChoices(user);
  document.getElementById('export').href = exportHref('/api/officer/learners', params);
  try {
    answer = await apiFetch(`/api/officer/learners?${params}`);
    const learners = (answer && answer.learners) || [];
    const boroughCaption = document.getElementById('borough-caption');
    boroughCaption.textContent = answer && answer.borough ? answer.borough.name : 'All boroughs';
    boroughCaption.hidden = false;
    caption.textContent =
      answer && answer.borough ? `Learners in ${answer.borough.name} and their training` : 'Learners in all boroughs and their training';

    loading.hidden = true;
    area.hidden = false;
    showPages(document.getElementById('pager'), answer, params, 'learners');
    if (learners.length === 0) {
      const filtered = [...params.keys()].some((k) => !['sort', 'order', 'limit', 'offset'].includes(k));
      document.querySelector('#learners .cairn-table-scroll').hidden = true;
      filterCount.textContent = filtered ? 'No learners match these filters.' : 'Nobody has an account yet.';
      return;
    }
    render(learners);
  } catch (error) {
    loading.hidden = true;
    const id = error.status === 422 ? fieldFor(form, error.field) : null;
    if (id) {
      showErrors(form, summaryHost, [{ field: id, text: error.message }]);
      return;
    }
    showProblem(summaryHost, `The list of learners could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  // Only reached when Cairn cannot be asked who is signed in.
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
