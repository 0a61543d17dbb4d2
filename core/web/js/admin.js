// Borough plugins, for administrators: which plugins are loaded, the hooks
// each registered with their counters, any that failed with the error and
// line, and a button to reload them (GET /api/admin/plugins,
// POST /api/admin/plugins/reload).
import { apiFetch, el, formatDateTime, initComponents, renderHeader, requireUser, showProblem } from './common.js';

initComponents();

const loading = document.getElementById('loading');
const summary = document.getElementById('summary');
const area = document.getElementById('plugins');
const button = document.getElementById('reload-button');
const status = document.getElementById('reload-status');
const summaryHost = document.querySelector('[data-error-summary]');

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function microseconds(us) {
  if (!us) return '–';
  return us < 1000 ? `${Math.round(us)} µs` : `${(us / 1000).toFixed(1)} ms`;
}

function where(failure) {
  if (!failure || !failure.file) return '';
  return failure.line ? `${failure.file}, line ${failure.line}` : failure.file;
}

function stateTag(plugin) {
  return plugin.state === 'loaded'
    ? el('strong', { class: 'govuk-tag govuk-tag--green' }, 'Loaded')
    : el('strong', { class: 'govuk-tag govuk-tag--red' }, 'Failed to load');
}

function failureBlock(title, failure) {
  const place = where(failure);
  return el(
    'div',
    { class: 'govuk-inset-text' },
    el('p', { class: 'govuk-body govuk-!-font-weight-bold' }, title),
    el('p', { class: 'govuk-body cairn-wrap' }, failure.message),
    place ? el('p', { class: 'govuk-body-s' }, `In ${place}`) : null,
    failure.at ? el('p', { class: 'govuk-body-s' }, formatDateTime(failure.at)) : null,
  );
}

function hooksTable(plugin) {
  const head = ['Hook', 'Calls', 'Failures', 'Stopped (limits)', 'Average time', 'Longest'];
  return el(
    'div',
    { class: 'cairn-table-scroll', role: 'region', 'aria-label': `Hooks of ${plugin.name}`, tabindex: '0' },
    el(
      'table',
      { class: 'govuk-table' },
      el('caption', { class: 'govuk-table__caption govuk-table__caption--s' }, `Hooks ${plugin.name} registered`),
      el(
        'thead',
        { class: 'govuk-table__head' },
        el('tr', { class: 'govuk-table__row' }, ...head.map((h, i) =>
          el('th', { scope: 'col', class: `govuk-table__header${i ? ' govuk-table__header--numeric' : ''}` }, h))),
      ),
      el(
        'tbody',
        { class: 'govuk-table__body' },
        ...plugin.hooks.map((h) => el(
          'tr',
          { class: 'govuk-table__row' },
          el('th', { scope: 'row', class: 'govuk-table__header' }, h.name),
          el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(h.calls)),
          el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(h.failures)),
          el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(h.kills)),
          el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, microseconds(h.mean_us)),
          el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, microseconds(h.max_us)),
        )),
      ),
    ),
  );
}

function pluginSection(plugin) {
  const section = el(
    'section',
    { class: 'govuk-!-margin-bottom-8', 'aria-labelledby': `plugin-${plugin.name}` },
    el('h2', { class: 'govuk-heading-m', id: `plugin-${plugin.name}` }, plugin.name, ' ', stateTag(plugin)),
    el('p', { class: 'govuk-body' }, `Borough: ${plugin.borough || '–'}`),
    plugin.description ? el('p', { class: 'govuk-body cairn-wrap' }, plugin.description) : null,
  );
  if (plugin.error) section.append(failureBlock('Why it did not load', plugin.error));
  if (plugin.hooks.length) section.append(hooksTable(plugin));
  if (plugin.last_failure) {
    section.append(failureBlock(`Last failure (in ${plugin.last_failure.hook})`, plugin.last_failure));
  }
  if (plugin.files && plugin.files.length) {
    section.append(el('p', { class: 'govuk-body-s' }, `Files: ${plugin.files.join(', ')}`));
  }
  return section;
}

function render(answer) {
  document.getElementById('plugins-dir').textContent = answer.dir || '–';
  document.getElementById('loaded-at').textContent = answer.loaded_at
    ? `${formatDateTime(answer.loaded_at)} (generation ${answer.generation})` : 'Not loaded';
  const l = answer.limits || {};
  document.getElementById('limits').textContent =
    `${(l.call_instructions || 0).toLocaleString('en-GB')} instructions, ${l.call_ms} ms, ` +
    `${Math.round((l.memory_bytes || 0) / 1048576)} MiB of memory per plugin and thread`;
  summary.hidden = false;
  const plugins = answer.plugins || [];
  if (plugins.length === 0) {
    area.replaceChildren(el('p', { class: 'govuk-body' }, 'There are no plugins in the plugins folder.'));
    return;
  }
  area.replaceChildren(...plugins.map(pluginSection));
}

async function load() {
  const answer = await apiFetch('/api/admin/plugins');
  loading.hidden = true;
  render(answer);
  return answer;
}

button.addEventListener('click', async () => {
  button.disabled = true;
  button.setAttribute('aria-disabled', 'true');
  status.textContent = 'Reloading plugins…';
  try {
    const answer = await apiFetch('/api/admin/plugins/reload', { method: 'POST' });
    render(answer);
    const total = (answer.plugins || []).length;
    status.textContent = answer.failed
      ? `Reloaded: ${plural(total, 'plugin', 'plugins')}, ${plural(answer.failed, 'failed', 'failed')} to load.`
      : `Reloaded: ${plural(total, 'plugin', 'plugins')}, all loaded.`;
  } catch (error) {
    status.textContent = '';
    showProblem(summaryHost, `The plugins could not be reloaded. ${error.message}`);
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-disabled');
  }
});

async function main() {
  const user = await requireUser(['admin']);
  renderHeader(user);
  try {
    await load();
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `The list of plugins could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname, text: 'Try again' } });
});
