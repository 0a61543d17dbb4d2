// Partnership figures (docs/API.md "Data protection"): per-borough counts
// for partnership users and admins (GET /api/partnership/summary); the
// learners a partnership user's grants cover; for admins, the grants
// (GET/POST /api/admin/grants, DELETE /api/admin/grants/ID) and each
// borough's retention period (PUT /api/admin/boroughs/ID/retention).
import {
  announceSuccess,
  apiFetch,
  clearErrors,
  el,
  formatDate,
  initComponents,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
} from './common.js';

initComponents();

const loading = document.getElementById('loading');
const summaryHost = document.querySelector('[data-error-summary]');
const done = document.getElementById('done');
const number = new Intl.NumberFormat('en-GB');

function numCell(value, header = false) {
  const cls = header ? 'govuk-table__header govuk-table__header--numeric' : 'govuk-table__cell govuk-table__cell--numeric';
  return el(header ? 'th' : 'td', { class: cls }, number.format(value));
}

function figureCells(b) {
  return [
    numCell(b.learners), numCell(b.required), numCell(b.in_date), numCell(b.expired), numCell(b.overdue),
    numCell(b.not_yet_due), numCell(b.completed_12_months), numCell(b.learners_overdue),
  ];
}

async function showFigures() {
  const answer = await apiFetch('/api/partnership/summary');
  document.getElementById('figures-body').replaceChildren(...answer.boroughs.map((b) =>
    el('tr', { class: 'govuk-table__row' }, el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' }, b.name),
      ...figureCells(b))));
  const t = answer.totals;
  document.getElementById('figures-foot').replaceChildren(
    el('tr', { class: 'govuk-table__row' }, el('th', { scope: 'row', class: 'govuk-table__header' }, 'All boroughs'),
      ...figureCells(t)));
  const anon = t.anonymised;
  document.getElementById('figures-note').textContent =
    `Figures as of ${formatDate(answer.today)}; required training counts each learner once for each item their role requires. Learners include ${number.format(anon)} anonymised after erasure or their borough’s retention period; their training still counts.`;
  document.getElementById('figures').hidden = false;
}

async function showGranted() {
  const answer = await apiFetch('/api/partnership/learners?limit=200');
  const list = document.getElementById('granted-list');
  list.replaceChildren(...answer.learners.map((l) => el('li', {},
    el('a', { class: 'govuk-link', href: `/learner.html?id=${l.id}` }, l.name), ` – ${l.borough.name}`)));
  document.getElementById('granted-empty').hidden = answer.learners.length > 0;
  document.getElementById('granted').hidden = false;
}

// ---- admins: grants ----

const grantForm = document.getElementById('grant-form');
const grantErrors = document.querySelector('[data-grant-errors]');
const GRANT_FIELDS = { email: 'grant-email', user_id: 'grant-email', learner_id: 'grant-learner',
  borough_id: 'grant-borough', until: 'grant-until', reason: 'grant-reason' };

async function showGrants() {
  const answer = await apiFetch('/api/admin/grants?active=1');
  const body = document.getElementById('grants-body');
  if (answer.grants.length === 0) {
    body.replaceChildren(el('tr', { class: 'govuk-table__row' },
      el('td', { class: 'govuk-table__cell', colspan: '5' }, 'No grants in force.')));
  } else {
    body.replaceChildren(...answer.grants.map((g) => {
      const what = g.learner ? `${g.learner.name} (learner ${g.learner.id})` : `Every learner of ${g.borough.name}`;
      const button = el('button', { type: 'button', class: 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0',
        'data-module': 'govuk-button' }, 'Revoke', el('span', { class: 'govuk-visually-hidden' }, `: ${g.grantee.name}, ${what}`));
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          await apiFetch(`/api/admin/grants/${g.id}`, { method: 'DELETE' });
          await showGrants();
          announceSuccess(done, 'Grant revoked', `${g.grantee.name} no longer sees ${what}.`);
        } catch (error) {
          button.disabled = false;
          showProblem(summaryHost, `The grant was not revoked. ${error.message}`);
        }
      });
      return el('tr', { class: 'govuk-table__row' },
        el('td', { class: 'govuk-table__cell cairn-wrap' }, g.grantee.name, el('br'),
          el('span', { class: 'govuk-hint govuk-!-font-size-16' }, g.grantee.email)),
        el('td', { class: 'govuk-table__cell cairn-wrap' }, what),
        el('td', { class: 'govuk-table__cell cairn-wrap' }, g.reason),
        el('td', { class: 'govuk-table__cell' }, formatDate(`${g.expires_at.slice(0, 10)}T12:00:00Z`)),
        el('td', { class: 'govuk-table__cell' }, button));
    }));
  }
  document.getElementById('grants').hidden = false;
}

grantForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const v = (name) => grantForm.elements[name].value.trim();
  const errors = [];
  const body = { email: v('email'), until: v('until'), reason: v('reason') };
  if (!body.email) errors.push({ field: 'grant-email', text: 'Enter the partnership user’s email address' });
  if (v('borough')) body.borough_id = Number(v('borough'));
  else if (!/^\d+$/.test(v('learner'))) errors.push({ field: 'grant-learner', text: 'Enter the learner’s number, or choose a borough' });
  else body.learner_id = Number(v('learner'));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(body.until)) errors.push({ field: 'grant-until', text: 'Enter the last day of access, for example 2026-12-31' });
  if (!body.reason) errors.push({ field: 'grant-reason', text: 'Enter why the access is needed' });
  if (errors.length) {
    showErrors(grantForm, grantErrors, errors);
    return;
  }
  clearErrors(grantForm, grantErrors);
  try {
    const answer = await apiFetch('/api/admin/grants', { method: 'POST', json: body });
    grantForm.reset();
    await showGrants();
    announceSuccess(done, 'Access granted', `${answer.grant.grantee.name} may see this until ${formatDate(`${answer.grant.expires_at.slice(0, 10)}T12:00:00Z`)}.`);
  } catch (error) {
    showErrors(grantForm, grantErrors, [{ field: GRANT_FIELDS[error.field] || null, text: error.message }]);
  }
});

// ---- admins: retention periods ----

const retentionForm = document.getElementById('retention-form');
const retentionErrors = document.querySelector('[data-retention-errors]');
let retentionNow = [];

async function showRetention() {
  const answer = await apiFetch('/api/admin/retention');
  retentionNow = answer.boroughs;
  const select = document.getElementById('grant-borough');
  select.replaceChildren(el('option', { value: '' }, 'One learner'),
    ...answer.boroughs.map((b) => el('option', { value: String(b.id) }, b.name)));
  document.getElementById('retention-fields').replaceChildren(...answer.boroughs.map((b) =>
    el('div', { class: 'govuk-form-group' },
      el('label', { class: 'govuk-label', for: `retention-${b.id}` }, `${b.name}: months without activity`),
      el('input', { class: 'govuk-input govuk-input--width-4', id: `retention-${b.id}`, name: `retention-${b.id}`,
        type: 'text', inputmode: 'numeric', value: b.retention_months ? String(b.retention_months) : '' }))));
  document.getElementById('retention').hidden = false;
}

retentionForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const changes = [];
  const errors = [];
  for (const b of retentionNow) {
    const text = retentionForm.elements[`retention-${b.id}`].value.trim();
    if (text && (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1200)) {
      errors.push({ field: `retention-${b.id}`, text: `${b.name}: enter a number of months from 1 to 1200, or leave it empty` });
      continue;
    }
    const months = text ? Number(text) : null;
    if (months !== (b.retention_months ?? null)) changes.push([b, months]);
  }
  if (errors.length) {
    showErrors(retentionForm, retentionErrors, errors);
    return;
  }
  clearErrors(retentionForm, retentionErrors);
  try {
    for (const [b, months] of changes) {
      await apiFetch(`/api/admin/boroughs/${b.id}/retention`, { method: 'PUT', json: { months } });
    }
    await showRetention();
    announceSuccess(done, 'Retention periods saved', changes.length
      ? changes.map(([b, m]) => `${b.name}: ${m ? `${m} months` : 'kept'}`).join('; ') + '.'
      : 'Nothing changed.');
  } catch (error) {
    showErrors(retentionForm, retentionErrors, [{ field: null, text: error.message }]);
  }
});

async function main() {
  const user = await requireUser(['partnership', 'admin']);
  renderHeader(user, '/partnership.html');
  await showFigures();
  if (user.role === 'partnership') await showGranted();
  if (user.role === 'admin') {
    await showRetention();
    await showGrants();
  }
  loading.textContent = 'The figures have loaded.';
  loading.classList.add('govuk-visually-hidden');
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname, text: 'Try again' } });
});
