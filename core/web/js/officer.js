// Learners of the officer's borough (all boroughs for an admin) and the state
// of each module, with a filter by name or email.
import {
  apiFetch,
  el,
  formatScore,
  initComponents,
  moduleNames,
  renderHeader,
  requireUser,
  showProblem,
  stateTag,
} from './common.js';

initComponents();

const loading = document.getElementById('loading');
const area = document.getElementById('learners');
const head = document.getElementById('learners-head');
const body = document.getElementById('learners-body');
const caption = document.getElementById('learners-caption');
const filterInput = document.getElementById('filter');
const filterCount = document.getElementById('filter-count');
const summaryHost = document.querySelector('[data-error-summary]');

let rows = []; // [{row, text}] for filtering

// organisation may come as {id, name}, a plain name, or null.
function nameOf(value) {
  if (!value) return '';
  return typeof value === 'object' ? value.name || '' : String(value);
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

function header(text) {
  return el('th', { scope: 'col', class: 'govuk-table__header' }, text);
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
    header('Name'),
    header('Email'),
    header('Organisation'),
    header('Job role'),
    ...columns.map((c) => header(c.title)),
  );

  const fragment = document.createDocumentFragment();
  rows = learners.map((learner) => {
    const byPackage = new Map((learner.modules || []).map((m) => [m.package_id, m]));
    const row = el(
      'tr',
      { class: 'govuk-table__row' },
      el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' }, learner.name || ''),
      cell(learner.email || ''),
      cell(nameOf(learner.organisation)),
      cell(learner.job_role || ''),
      ...columns.map((c) => moduleCell(byPackage.get(c.id))),
    );
    fragment.append(row);
    return { row, text: fold(`${learner.name || ''} ${learner.email || ''}`) };
  });
  body.replaceChildren(fragment);
  applyFilter();
}

function applyFilter() {
  const words = fold(filterInput.value.trim()).split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const { row, text } of rows) {
    const match = words.every((w) => text.includes(w));
    row.hidden = !match;
    if (match) shown += 1;
  }
  const total = rows.length;
  const noun = total === 1 ? 'learner' : 'learners';
  filterCount.textContent = words.length ? `Showing ${shown} of ${total} ${noun}` : `${total} ${noun}`;
}

let filterTimer = 0;
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(applyFilter, 150);
});

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  try {
    const answer = await apiFetch('/api/officer/learners');
    const learners = (answer && answer.learners) || [];
    const boroughCaption = document.getElementById('borough-caption');
    boroughCaption.textContent = answer && answer.borough ? answer.borough.name : 'All boroughs';
    boroughCaption.hidden = false;
    caption.textContent =
      answer && answer.borough ? `Learners in ${answer.borough.name} and their training` : 'Learners in all boroughs and their training';

    loading.hidden = true;
    if (learners.length === 0) {
      area.replaceChildren(el('p', { class: 'govuk-body' }, 'Nobody has an account yet.'));
      area.hidden = false;
      return;
    }
    render(learners);
    area.hidden = false;
  } catch (error) {
    loading.hidden = true;
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
