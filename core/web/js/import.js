// Import training records, for officers and admins: a CSV file read in the
// browser (FileReader, as bytes so the server checks the encoding) and sent
// as text/csv to POST /api/officer/imports?dry_run=1 to check every line,
// then without dry_run to import (docs/API.md "Importing training history").
import {
  announceSuccess,
  apiFetch,
  clearErrors,
  el,
  initComponents,
  plural,
  renderHeader,
  requireUser,
  showErrors,
  summaryRow,
} from './common.js';

initComponents();

const MAX_BYTES = 5 * 1024 * 1024;

const form = document.getElementById('import-form');
const fileInput = document.getElementById('csv-file');
const checkButton = document.getElementById('check-button');
const statusLine = document.getElementById('status');
const summaryHost = document.querySelector('[data-error-summary]');
const done = document.getElementById('done');
const report = document.getElementById('report');
const reportHeading = document.getElementById('report-heading');
const counts = document.getElementById('report-counts');
const importArea = document.getElementById('import-area');
const rowsBody = document.getElementById('rows-body');

let checked = null;   // {bytes, name}: the file the report is about
let busy = false;

const OUTCOME = {
  dry: {
    accept: ['Will be imported', 'govuk-tag--green'],
    reject: ['Left out', 'govuk-tag--red'],
    duplicate: ['Already there', 'govuk-tag--grey'],
  },
  done: {
    accept: ['Imported', 'govuk-tag--green'],
    reject: ['Left out', 'govuk-tag--red'],
    duplicate: ['Already there', 'govuk-tag--grey'],
  },
};

function readBytes(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener('load', () => resolve(reader.result));
    reader.addEventListener('error', () => reject(new Error('The file could not be read. Choose it again')));
    reader.readAsArrayBuffer(file);
  });
}

function send(bytes, dryRun) {
  return apiFetch(`/api/officer/imports${dryRun ? '?dry_run=1' : ''}`, {
    method: 'POST', body: bytes, headers: { 'Content-Type': 'text/csv' },
  });
}

function showReport(answer) {
  const words = OUTCOME[answer.dry_run ? 'dry' : 'done'];
  counts.replaceChildren(
    summaryRow(answer.dry_run ? 'Would be imported' : 'Imported', String(answer.accepted)),
    summaryRow('Left out because of a problem', String(answer.rejected)),
    summaryRow('Already recorded or repeated in the file', String(answer.duplicates)),
  );
  rowsBody.replaceChildren(...answer.rows.map((row) => {
    const [text, modifier] = words[row.outcome] || [row.outcome, 'govuk-tag--grey'];
    return el('tr', { class: 'govuk-table__row' },
      el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(row.line)),
      el('td', { class: 'govuk-table__cell cairn-wrap' }, row.email || '(none)'),
      el('td', { class: 'govuk-table__cell cairn-wrap' }, row.item || '(none)'),
      el('td', { class: 'govuk-table__cell' }, el('strong', { class: `govuk-tag ${modifier}` }, text)),
      el('td', { class: 'govuk-table__cell cairn-wrap' }, row.reason || ''));
  }));
  importArea.replaceChildren();
  if (answer.dry_run && answer.accepted > 0) {
    const button = el('button', { type: 'button', class: 'govuk-button', 'data-module': 'govuk-button' },
      `Import ${plural(answer.accepted, 'record', 'records')}`);
    button.addEventListener('click', () => importChecked(button));
    importArea.append(
      el('p', { class: 'govuk-body' }, answer.rejected
        ? `Lines left out are not imported: correct them in the file and check it again, or import the rest now.`
        : 'Every new line can be imported.'),
      button);
  } else if (answer.dry_run) {
    importArea.append(el('p', { class: 'govuk-body' }, 'There is nothing new to import from this file.'));
  }
  reportHeading.textContent = answer.dry_run ? `What ${checked.name} holds` : `What was imported from ${checked.name}`;
  report.hidden = false;
}

function showFailure(error) {
  const field = error.field === 'file' || error.status === 413 || error.status === 415 ? 'csv-file' : null;
  showErrors(form, summaryHost, [{ field, text: error.message }]);
}

async function importChecked(button) {
  if (busy || !checked) return;
  busy = true;
  button.disabled = true;
  statusLine.textContent = 'Importing…';
  try {
    const answer = await send(checked.bytes, false);
    statusLine.textContent = '';
    showReport(answer);
    announceSuccess(done, `${plural(answer.written ?? answer.accepted, 'record', 'records')} imported`,
      answer.duplicates ? `${plural(answer.duplicates, 'line was', 'lines were')} already recorded.` : '');
  } catch (error) {
    statusLine.textContent = '';
    button.disabled = false;
    showFailure(error);
  } finally {
    busy = false;
  }
}

fileInput.addEventListener('change', () => {
  // a new file needs a new check before anything is imported
  checked = null;
  report.hidden = true;
  importArea.replaceChildren();
  done.hidden = true;
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  done.hidden = true;
  const file = fileInput.files && fileInput.files[0];
  let problem = null;
  if (!file) problem = 'Select a CSV file';
  else if (!/\.csv$/i.test(file.name) && file.type !== 'text/csv') problem = 'The selected file must be a CSV file (.csv)';
  else if (file.size === 0) problem = 'The selected file is empty';
  else if (file.size > MAX_BYTES) problem = 'The selected file must be smaller than 5 MB';
  if (problem) {
    showErrors(form, summaryHost, [{ field: 'csv-file', text: problem }]);
    return;
  }
  clearErrors(form, summaryHost);
  busy = true;
  checkButton.disabled = true;
  statusLine.textContent = `Checking ${file.name}…`;
  try {
    const bytes = await readBytes(file);
    const answer = await send(bytes, true);
    checked = { bytes, name: file.name };
    statusLine.textContent = `Checked ${file.name}: ${plural(answer.rows.length, 'line', 'lines')}.`;
    showReport(answer);
    reportHeading.focus();
  } catch (error) {
    statusLine.textContent = '';
    report.hidden = true;
    showFailure(error);
  } finally {
    busy = false;
    checkButton.disabled = false;
  }
});

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
}

main();
