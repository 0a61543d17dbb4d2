// Upload a SCORM package: the raw .zip as the request body, with progress,
// then what was imported; below, the modules already on the server.
import {
  apiFetch,
  clearErrors,
  csrf,
  el,
  formatDateTime,
  getSession,
  initComponents,
  redirectToLogin,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
} from './common.js';

initComponents();

const MAX_BYTES = 512 * 1024 * 1024;

const form = document.getElementById('upload-form');
const fileInput = document.getElementById('package-file');
const summaryHost = document.querySelector('[data-error-summary]');
const result = document.getElementById('result');
const progressArea = document.getElementById('progress-area');
const progress = document.getElementById('progress');
const progressText = document.getElementById('progress-text');
let busy = false;

function versionName(version) {
  return version === '2004' ? 'SCORM 2004' : version === '1.2' ? 'SCORM 1.2' : String(version || 'Unknown');
}

// --- the list of packages ---------------------------------------------------

async function loadPackages() {
  const loading = document.getElementById('packages-loading');
  const area = document.getElementById('packages-area');
  const tbody = document.getElementById('packages-body');
  try {
    const answer = await apiFetch('/api/packages');
    const packages = [...((answer && answer.packages) || [])];
    packages.sort((a, b) => String(b.imported_at || '').localeCompare(String(a.imported_at || '')));
    if (packages.length === 0) {
      loading.textContent = 'There are no modules yet.';
      area.hidden = true;
      return;
    }
    tbody.replaceChildren(
      ...packages.map((p) =>
        el(
          'tr',
          { class: 'govuk-table__row' },
          el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' }, p.title || p.identifier || ''),
          el('td', { class: 'govuk-table__cell' }, versionName(p.scorm_version)),
          el('td', { class: 'govuk-table__cell cairn-wrap' }, p.version == null ? '' : String(p.version)),
          el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(p.sco_count ?? '')),
          el('td', { class: 'govuk-table__cell' }, formatDateTime(p.imported_at)),
          el('td', { class: 'govuk-table__cell' },
            el('a', { class: 'govuk-link', href: `/analytics.html?package=${encodeURIComponent(p.id)}` },
              'Question analytics', el('span', { class: 'govuk-visually-hidden' }, ` for ${p.title || p.identifier || ''}`))),
        ),
      ),
    );
    loading.hidden = true;
    area.hidden = false;
  } catch (error) {
    loading.textContent = `The list of modules could not be loaded. ${error.message}`;
  }
}

// --- the upload -------------------------------------------------------------

function say(text) {
  progressText.textContent = text;
}

function showImported(answer) {
  const pkg = (answer && answer.package) || {};
  const rows = [
    ['Title', pkg.title || pkg.identifier || ''],
    ['SCORM version', versionName(pkg.scorm_version)],
    ['Number of parts (SCOs)', String(pkg.sco_count ?? '')],
  ];
  const list = el(
    'dl',
    { class: 'govuk-summary-list govuk-!-margin-bottom-0' },
    ...rows.map(([key, value]) =>
      el(
        'div',
        { class: 'govuk-summary-list__row' },
        el('dt', { class: 'govuk-summary-list__key' }, key),
        el('dd', { class: 'govuk-summary-list__value cairn-wrap' }, value),
      ),
    ),
  );
  const content = el(
    'div',
    { class: 'govuk-notification-banner__content' },
    el('h3', { class: 'govuk-notification-banner__heading' }, answer && answer.replaced ? 'Module updated' : 'Module imported'),
  );
  if (answer && answer.replaced) {
    content.append(el('p', { class: 'govuk-body' }, 'This replaced an earlier version of the module.'));
  }
  content.append(list);
  const banner = el(
    'div',
    {
      class: 'govuk-notification-banner govuk-notification-banner--success',
      role: 'alert',
      'aria-labelledby': 'result-title',
    },
    el(
      'div',
      { class: 'govuk-notification-banner__header' },
      el('h2', { class: 'govuk-notification-banner__title', id: 'result-title' }, 'Success'),
    ),
    content,
  );
  result.replaceChildren(banner);
  result.focus();
}

/** Sends the file; resolves with {status, body} whatever the status. */
function sendFile(file, token) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const name = file.name || 'package.zip';
    xhr.open('POST', '/api/packages?filename=' + encodeURIComponent(name));
    xhr.setRequestHeader('Content-Type', 'application/zip');
    xhr.setRequestHeader('X-CSRF-Token', token || '');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'text';

    let lastStep = -1;
    xhr.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.floor((event.loaded / event.total) * 100);
      progress.value = percent;
      progress.textContent = `${percent}%`;
      // Speak at 25% steps only: more would talk over the user.
      const step = Math.floor(percent / 25);
      if (step !== lastStep && percent < 100) {
        lastStep = step;
        say(`Uploading: ${percent}% sent`);
      }
    });
    xhr.upload.addEventListener('load', () => {
      progress.value = 100;
      say('Upload finished. Checking the package: this can take a minute for a big module…');
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener('error', () => resolve({ status: 0, body: null }));
    xhr.addEventListener('abort', () => resolve({ status: 0, body: null }));
    xhr.send(file);
  });
}

function messageFor(status, body) {
  if (body && body.error) return body.error;
  if (status === 0) return 'The upload stopped because Cairn could not be reached. Check your connection and try again';
  if (status === 413) return 'The file is too big. It must be smaller than 512 MB';
  if (status === 415) return 'The selected file must be a .zip file';
  return `The package could not be imported (the server answered ${status})`;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  result.replaceChildren();

  const file = fileInput.files && fileInput.files[0];
  let problem = null;
  if (!file) problem = 'Select a SCORM package (.zip file)';
  else if (!/\.zip$/i.test(file.name)) problem = 'The selected file must be a .zip file';
  else if (file.size === 0) problem = 'The selected file is empty';
  else if (file.size > MAX_BYTES) problem = 'The selected file must be smaller than 512 MB';
  if (problem) {
    showErrors(form, summaryHost, [{ field: 'package-file', text: problem }]);
    return;
  }

  clearErrors(form, summaryHost);
  busy = true;
  progress.value = 0;
  progress.textContent = '0%';
  progressArea.hidden = false;
  say(`Uploading ${file.name}…`);

  let token;
  try {
    token = await csrf();
  } catch (error) {
    busy = false;
    progressArea.hidden = true;
    say('');
    showErrors(form, summaryHost, [{ field: null, text: error.message }]);
    return;
  }

  let { status, body } = await sendFile(file, token);
  if (status === 403 && body && body.code === 'csrf') {
    // The token changed (new session): fetch it again and send once more.
    token = (await getSession(true)).csrf_token;
    ({ status, body } = await sendFile(file, token));
  }
  busy = false;
  progressArea.hidden = true;

  if (status === 401) {
    redirectToLogin();
    return;
  }
  if (status === 201 || status === 200) {
    say('');
    form.reset();
    showImported(body);
    loadPackages();
    return;
  }
  say('');
  showErrors(form, summaryHost, [{ field: 'package-file', text: messageFor(status, body) }]);
});

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  loadPackages();
}

main().catch((error) => {
  // Only reached when Cairn cannot be asked who is signed in.
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
