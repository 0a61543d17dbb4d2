// Every record entry of the officer's borough's learners (admins: every
// borough, or one): GET /api/officer/records, filtered, sorted and paged by
// the server with the filters in the page's URL, and "Export CSV" of the
// same list.
import { apiFetch, el, formatDate, initComponents, renderHeader, requireUser, showErrors, showProblem } from './common.js';
import {
  exportHref, fieldFor, fillBoroughChoices, fillForm, pageParams, rangeText, showPages, sortableHeader,
} from './list-view.js';

initComponents();

const PARAMS = ['q', 'title', 'kind', 'status', 'organisation', 'group', 'from', 'to', 'learner', 'borough',
  'sort', 'order', 'limit', 'offset'];
const DEFAULTS = { sort: 'date', order: 'desc' };

const loading = document.getElementById('loading');
const area = document.getElementById('records');
const form = document.getElementById('filters');
const summaryHost = document.querySelector('[data-error-summary]');
const params = pageParams(PARAMS);

const KINDS = { elearning: 'E-learning', face_to_face: 'Face to face', evidence: 'Evidence' };
const STATUSES = {
  passed: 'Passed', completed: 'Completed', failed: 'Failed', attended: 'Attended',
  partly_attended: 'Partly attended', no_show: 'Did not attend', cancelled_late: 'Cancelled late',
};

function cell(...children) {
  return el('td', { class: 'govuk-table__cell cairn-wrap' }, ...children);
}

function groupLevel(e) {
  const parts = [];
  if (e.group) parts.push(`Group ${e.group}`);
  if (e.level) parts.push(`Level ${e.level}`);
  return parts.join(', ');
}

function render(entries) {
  document.getElementById('records-head').replaceChildren(
    sortableHeader('Date', 'date', params, DEFAULTS),
    sortableHeader('Learner', 'learner', params, DEFAULTS),
    sortableHeader('Organisation', null, params, DEFAULTS),
    sortableHeader('Kind', 'kind', params, DEFAULTS),
    sortableHeader('Title', 'title', params, DEFAULTS),
    sortableHeader('Group and level', null, params, DEFAULTS),
    sortableHeader('Hours', null, params, DEFAULTS, { numeric: true }),
    sortableHeader('Status', 'status', params, DEFAULTS),
    sortableHeader('Certificate', null, params, DEFAULTS),
  );
  document.getElementById('records-body').replaceChildren(
    ...entries.map((e) =>
      el(
        'tr',
        { class: 'govuk-table__row' },
        cell(formatDate(e.date)),
        el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' },
          el('a', { class: 'govuk-link', href: `/learner.html?id=${encodeURIComponent(e.learner.id)}` }, e.learner.name)),
        cell(e.learner.organisation || ''),
        cell(KINDS[e.kind] || e.kind),
        cell(e.title, e.provider ? el('span', { class: 'govuk-hint govuk-!-display-block govuk-!-margin-bottom-0' }, e.provider) : null),
        cell(groupLevel(e)),
        el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(e.hours)),
        cell(STATUSES[e.status] || e.status, e.flagged ? el('strong', { class: 'govuk-tag govuk-tag--red govuk-!-margin-left-1' }, 'Flagged') : null),
        cell(e.certificate
          ? el('a', { class: 'govuk-link', href: `/certificate.html?code=${encodeURIComponent(e.certificate)}` }, e.certificate)
          : ''),
      ),
    ),
  );
}

async function fillChoices(user) {
  fillBoroughChoices(user, await apiFetch('/api/boroughs').catch(() => []));
  fillForm(form, params);
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  await fillChoices(user);
  document.getElementById('export').href = exportHref('/api/officer/records', params);
  try {
    const answer = await apiFetch(`/api/officer/records?${params}`);
    const entries = (answer && answer.records) || [];
    const boroughCaption = document.getElementById('borough-caption');
    boroughCaption.textContent = answer && answer.borough ? answer.borough.name : 'All boroughs';
    boroughCaption.hidden = false;
    loading.hidden = true;
    area.hidden = false;
    document.getElementById('count').textContent = rangeText(answer, 'entry', 'entries');
    showPages(document.getElementById('pager'), answer, params, 'records');
    document.querySelector('#records .cairn-table-scroll').hidden = entries.length === 0;
    if (entries.length) render(entries);
  } catch (error) {
    loading.hidden = true;
    const id = error.status === 422 ? fieldFor(form, error.field) : null;
    if (id) {
      showErrors(form, summaryHost, [{ field: id, text: error.message }]);
      return;
    }
    showProblem(summaryHost, `The records could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
