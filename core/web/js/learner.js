// One learner's record for officers (learner.html?id=ID): who they are, the
// same record the learner sees (record-view.js), a form to add evidence of
// training done elsewhere (docs/API.md "Evidence") and erasure on request
// ("Data protection"). Partnership users under a grant only read it.
import {
  announceSuccess,
  apiFetch,
  clearErrors,
  el,
  initComponents,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
  summaryRow,
} from './common.js';
import { londonToday } from './london-time.js';
import { renderRecord } from './record-view.js';

initComponents();

const loading = document.getElementById('loading');
const host = document.getElementById('record');
const summaryHost = document.querySelector('[data-error-summary]');
const done = document.getElementById('done');
const form = document.getElementById('evidence-form');
const formErrors = document.querySelector('[data-evidence-errors]');
const submit = document.getElementById('ev-submit');

const id = new URLSearchParams(location.search).get('id');
let staff = false;   // an officer or admin (a partnership user only reads, under a grant)

// Server field names to the form's element ids.
const FIELD_IDS = {
  title: 'ev-title', kind: 'ev-kind-external', provider: 'ev-provider', completed_on: 'ev-day',
  hours: 'ev-hours', group: 'ev-group', level: 'ev-level', note: 'ev-note',
};

function showLearner(record) {
  const l = record.learner;
  document.getElementById('learner-name').textContent = l.name;
  document.title = `${l.name}’s record – Cairn`;
  const caption = document.getElementById('caption');
  caption.textContent = l.borough ? l.borough.name : '';
  caption.hidden = !l.borough;
  const details = document.getElementById('learner-details');
  details.replaceChildren(
    summaryRow('Email', l.email),
    summaryRow('Organisation', l.organisation ? l.organisation.name : 'None given'),
    summaryRow('Job role', l.job_role || 'None given'),
  );
  details.hidden = false;
  // the borough plugins' report_columns (docs/PLUGIN_API.md), values as text
  const columns = record.report_columns || [];
  document.getElementById('report-columns').replaceChildren(
    ...columns.map((c) => summaryRow(c.label, c.value === '' ? 'None' : c.value)));
  document.getElementById('borough-details').hidden = columns.length === 0;
}

async function load() {
  const record = await apiFetch(`/api/officer/learners/${encodeURIComponent(id)}/record`);
  showLearner(record);
  renderRecord(host, record, { onDelete: deleteEvidence });
  host.hidden = false;
  document.getElementById('evidence-section').hidden = !staff;
  eraseSection.hidden = !staff || record.learner.anonymised;
  loading.hidden = true;
  return record;
}

async function deleteEvidence(entry, button) {
  if (!window.confirm(`Delete the evidence “${entry.title}”? This cannot be undone.`)) return;
  button.disabled = true;
  try {
    await apiFetch(`/api/officer/evidence/${entry.evidence.id}`, { method: 'DELETE' });
    await load();
    announceSuccess(done, 'Evidence deleted', `“${entry.title}” is no longer on the record.`);
  } catch (error) {
    button.disabled = false;
    showProblem(summaryHost, `The evidence was not deleted. ${error.message}`);
  }
}

/** The form's values as the API wants them, and every problem found. */
function readForm() {
  const value = (name) => form.elements[name].value.trim();
  const errors = [];
  const body = { kind: form.elements.kind.value || 'external' };
  body.title = value('title');
  if (!body.title) errors.push({ field: 'ev-title', text: 'Enter the name of the training' });
  else if (body.title.length > 200) errors.push({ field: 'ev-title', text: 'The name must be 200 characters or fewer' });
  if (value('provider')) body.provider = value('provider');

  const [d, m, y] = [value('day'), value('month'), value('year')];
  if (!d && !m && !y) {
    errors.push({ field: 'ev-day', text: 'Enter the date the training was completed' });
  } else if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) {
    errors.push({ field: 'ev-day', text: 'The date must be a real date, for example 27 3 2024' });
  } else {
    const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
    const date = new Date(`${iso}T12:00:00Z`);
    const today = londonToday();
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso) {
      errors.push({ field: 'ev-day', text: 'The date must be a real date, for example 27 3 2024' });
    } else if (iso > today) {
      errors.push({ field: 'ev-day', text: 'The date must be today or in the past' });
    } else if (iso < '1990-01-01') {
      errors.push({ field: 'ev-day', text: 'The date must be 1 January 1990 or later' });
    } else {
      body.completed_on = iso;
    }
  }

  const hours = value('hours');
  if (!hours) errors.push({ field: 'ev-hours', text: 'Enter the hours of training' });
  else if (!/^\d+(\.\d+)?$/.test(hours) || Number(hours) > 100) {
    errors.push({ field: 'ev-hours', text: 'Hours must be a number from 0 to 100, like 6 or 1.5' });
  } else {
    body.hours = Number(hours);
  }
  if (value('group')) body.group = value('group');
  if (value('level')) body.level = Number(value('level'));
  const note = form.elements.note.value.trim();
  if (note.length > 1000) errors.push({ field: 'ev-note', text: 'The evidence note must be 1,000 characters or fewer' });
  else if (note) body.note = note;
  return { body, errors };
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  done.hidden = true;
  const { body, errors } = readForm();
  if (errors.length) {
    showErrors(form, formErrors, errors);
    return;
  }
  clearErrors(form, formErrors);
  submit.disabled = true;
  try {
    const answer = await apiFetch(`/api/officer/learners/${encodeURIComponent(id)}/evidence`,
      { method: 'POST', json: body });
    form.reset();
    await load();
    announceSuccess(done, 'Evidence added', `“${answer.evidence.title}” is now on the record.`);
  } catch (error) {
    const field = error.status === 409 ? 'ev-title' : FIELD_IDS[error.field] || null;
    showErrors(form, formErrors, [{ field, text: error.message }]);
  } finally {
    submit.disabled = false;
  }
});

// ---- erasure (POST /api/officer/learners/ID/erase): a confirmation step first ----
const eraseSection = document.getElementById('erase-section');
const eraseStart = document.getElementById('erase-start');
const eraseForm = document.getElementById('erase-form');
const eraseErrors = document.querySelector('[data-erase-errors]');

function showEraseForm(open) {
  eraseForm.hidden = !open;
  eraseStart.hidden = open;
  eraseStart.setAttribute('aria-expanded', String(open));
  if (open) document.getElementById('erase-reason').focus();
  else eraseStart.focus();
}

eraseStart.addEventListener('click', () => showEraseForm(true));
document.getElementById('erase-cancel').addEventListener('click', () => {
  clearErrors(eraseForm, eraseErrors);
  showEraseForm(false);
});

eraseForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const reason = eraseForm.elements.reason.value.trim();
  const errors = [];
  if (!reason) errors.push({ field: 'erase-reason', text: 'Enter why the data is being erased' });
  else if (reason.length > 500) errors.push({ field: 'erase-reason', text: 'The reason must be 500 characters or fewer' });
  if (!eraseForm.elements.confirm.checked) errors.push({ field: 'erase-confirm', text: 'Confirm that you understand this cannot be undone' });
  if (errors.length) {
    showErrors(eraseForm, eraseErrors, errors);
    return;
  }
  clearErrors(eraseForm, eraseErrors);
  const button = document.getElementById('erase-submit');
  button.disabled = true;
  try {
    await apiFetch(`/api/officer/learners/${encodeURIComponent(id)}/erase`,
      { method: 'POST', json: { reason, confirm: true } });
    eraseSection.hidden = true;
    await load();
    announceSuccess(done, 'Personal data erased', 'The learner is now anonymised; their training still counts in the figures.');
  } catch (error) {
    const field = error.field === 'reason' ? 'erase-reason' : error.field === 'confirm' ? 'erase-confirm' : null;
    showErrors(eraseForm, eraseErrors, [{ field, text: error.message }]);
  } finally {
    button.disabled = false;
  }
});

async function main() {
  const user = await requireUser(['officer', 'admin', 'partnership']);
  renderHeader(user, user.role === 'partnership' ? '/partnership.html' : '/officer.html');
  staff = user.role !== 'partnership';
  if (!id || !/^\d+$/.test(id)) {
    loading.hidden = true;
    showProblem(summaryHost, 'No learner was chosen.', { link: { href: '/officer.html', text: 'Choose a learner' } });
    return;
  }
  try {
    await load();
  } catch (error) {
    loading.hidden = true;
    const text = error.status === 404 ? 'There is no such learner in your borough.'
      : error.status === 403 ? error.message
      : `The record could not be loaded. ${error.message}`;
    showProblem(summaryHost, text, { link: { href: '/officer.html', text: 'Back to all learners' } });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
