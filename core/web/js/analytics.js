// Per-question analytics of one module (/analytics.html?package=ID): how many
// of the borough's learners answered each question, the share correct and
// the most common wrong answer (GET /api/officer/packages/ID/questions).
// Without ?package= it lists the modules to choose from.
import { apiFetch, el, initComponents, moduleNames, renderHeader, requireUser, showProblem } from './common.js';
import { fillForm, pageParams } from './list-view.js';

initComponents();

const loading = document.getElementById('loading');
const summaryHost = document.querySelector('[data-error-summary]');
const params = pageParams(['package', 'answer', 'borough']);

function percent(share) {
  return share === null || share === undefined ? '' : `${Math.round(share * 100)}%`;
}

function cell(text, numeric = false) {
  return el('td', { class: `govuk-table__cell${numeric ? ' govuk-table__cell--numeric' : ' cairn-wrap'}` }, text);
}

async function chooseModule() {
  const answer = await apiFetch('/api/packages');
  const packages = (answer && answer.packages) || [];
  const names = moduleNames(packages.map((p) => ({ ...p, package_id: p.id })));
  const list = document.getElementById('modules');
  list.replaceChildren(
    ...packages.map((p) =>
      el('li', {}, el('a', { class: 'govuk-link', href: `/analytics.html?package=${p.id}` }, names.get(p.id)))),
  );
  if (!packages.length) list.replaceChildren(el('li', {}, 'There are no modules yet.'));
  loading.hidden = true;
  document.getElementById('choose').hidden = false;
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user, '/upload.html');
  if (!/^\d+$/.test(params.get('package') || '')) {
    await chooseModule();
    return;
  }
  if (user.role === 'admin') {
    const boroughs = await apiFetch('/api/boroughs').catch(() => []);
    const select = document.getElementById('borough');
    for (const b of boroughs || []) select.append(el('option', { value: String(b.id) }, b.name));
    document.getElementById('borough-group').hidden = false;
  }
  const form = document.getElementById('options');
  fillForm(form, params);
  const latest = params.get('answer') === 'latest';
  document.getElementById(latest ? 'answer-latest' : 'answer-first').checked = true;
  const q = new URLSearchParams(params);
  q.delete('package');
  const api = `/api/officer/packages/${encodeURIComponent(params.get('package'))}/questions`;
  const csv = new URLSearchParams(q);
  csv.set('format', 'csv');
  document.getElementById('export').href = `${api}?${csv}`;

  const answer = await apiFetch(`${api}?${q}`);
  document.title = `${answer.package.title}: question analytics – Cairn`;
  document.getElementById('heading').textContent = `${answer.package.title}: question analytics`;
  const caption = document.getElementById('borough-caption');
  caption.textContent = answer.borough ? answer.borough.name : 'All boroughs';
  caption.hidden = false;
  const questions = answer.questions || [];
  document.getElementById('count').textContent = questions.length
    ? `${questions.length} ${questions.length === 1 ? 'question' : 'questions'}, answered by ${answer.learners} ${answer.learners === 1 ? 'learner' : 'learners'}.`
    : 'No learner has answered a question of this module yet.';
  document.querySelector('#analytics .cairn-table-scroll').hidden = questions.length === 0;
  document.getElementById('questions-body').replaceChildren(
    ...questions.map((item) => {
      const title = item.description || item.id;
      const where = [item.sco && item.sco.title, item.type].filter(Boolean).join(' · ');
      return el(
        'tr',
        { class: 'govuk-table__row' },
        el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' }, title,
          item.description ? el('span', { class: 'govuk-hint govuk-!-display-block govuk-!-margin-bottom-0' }, item.id) : null,
          where ? el('span', { class: 'govuk-hint govuk-!-display-block govuk-!-margin-bottom-0' }, where) : null),
        cell(String(item.answered), true),
        cell(item.share_correct === null ? '' : `${percent(item.share_correct)} (${item.correct})`, true),
        cell(item.common_wrong ? `${item.common_wrong.response} (${item.common_wrong.count})` : 'None'),
        cell(item.correct_response || ''),
      );
    }),
  );
  loading.hidden = true;
  document.getElementById('analytics').hidden = false;
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, `The answers could not be loaded. ${error.message}`, {
    link: { href: location.pathname + location.search, text: 'Try again' },
  });
});
