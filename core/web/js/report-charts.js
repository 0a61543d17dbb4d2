// Charts for the officers' reports (dashboard.js, tna.js): horizontal bars
// drawn with CSS, hidden from screen readers, each followed by the same
// figures as a table in a GOV.UK details component, so every number can be
// read without the picture. Text only through el() (textContent). Also the
// loading of a report page with its borough scope, which both pages share.
import {
  apiFetch,
  el,
  renderHeader,
  requireUser,
  showProblem,
} from './common.js';

/** 12345 → "12,345". */
export function num(n) {
  return Number(n || 0).toLocaleString('en-GB');
}

/** 3 of 4 → "75%"; of 0 → "–". */
export function percent(part, whole) {
  return whole ? `${Math.round((100 * part) / whole)}%` : '–';
}

/** "Group B, level 1", "Group A", "Level 2", "No group or level". */
export function levelName(group, level) {
  if (group && level) return `Group ${group}, level ${level}`;
  if (group) return `Group ${group}`;
  if (level) return `Level ${level}`;
  return 'No group or level';
}

function numericCell(text, header = false) {
  return header
    ? el('th', { scope: 'col', class: 'govuk-table__header govuk-table__header--numeric' }, text)
    : el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, text);
}

/**
 * A table of rows: columns is [{key, label}] (the first is the row header,
 * text; the rest numbers). captionText names it for screen readers.
 */
export function figuresTable(id, captionText, columns, rows, { visibleCaption = false } = {}) {
  const [first, ...rest] = columns;
  return el('div', { class: 'cairn-table-scroll', role: 'region', 'aria-labelledby': `${id}-caption`, tabindex: 0 },
    el('table', { class: 'govuk-table', id },
      el('caption', {
        class: visibleCaption ? 'govuk-table__caption govuk-table__caption--s' : 'govuk-table__caption govuk-visually-hidden',
        id: `${id}-caption`,
      }, captionText),
      el('thead', { class: 'govuk-table__head' },
        el('tr', { class: 'govuk-table__row' },
          el('th', { scope: 'col', class: 'govuk-table__header' }, first.label),
          ...rest.map((c) => numericCell(c.label, true)))),
      el('tbody', { class: 'govuk-table__body' },
        ...rows.map((r) => el('tr', { class: 'govuk-table__row' },
          el('th', { scope: 'row', class: 'govuk-table__header cairn-wrap' }, r[first.key]),
          ...rest.map((c) => numericCell(typeof r[c.key] === 'string' ? r[c.key] : num(r[c.key]))))))));
}

/** A span of the given class and width (CSSOM: the pages' Content-Security-Policy
 * refuses style attributes). */
function sized(cls, widthPercent) {
  const node = el('span', { class: cls });
  node.style.width = `${Math.max(0, Math.min(100, widthPercent)).toFixed(2)}%`;
  return node;
}

function details(summaryText, ...content) {
  return el('details', { class: 'govuk-details govuk-!-margin-top-3' },
    el('summary', { class: 'govuk-details__summary' }, el('span', { class: 'govuk-details__summary-text' }, summaryText)),
    el('div', { class: 'govuk-details__text' }, ...content));
}

/**
 * Stacked bars, one per row: segments is [{key, label, cls}] in drawing
 * order; each bar is as long as the row's total relative to the largest
 * (or full width when relative is false), with note(row) written after it.
 */
export function stackedChart(id, captionText, rows, segments, { label = 'name', labelHeading = 'Name', note, relative = false, extraColumns = [] } = {}) {
  const total = (r) => segments.reduce((s, g) => s + Number(r[g.key] || 0), 0);
  const max = Math.max(1, ...rows.map(total));
  const legend = el('ul', { class: 'cairn-chart__legend', 'aria-hidden': 'true' },
    ...segments.map((g) => el('li', {}, el('span', { class: `cairn-chart__swatch ${g.cls}` }), g.label)));
  const chart = el('div', { class: 'cairn-chart', 'aria-hidden': 'true', 'data-chart': id },
    ...rows.map((r) => {
      const t = total(r);
      const bar = sized('cairn-chart__bar', 100 * (relative ? t / max : t ? 1 : 0));
      bar.append(...segments.filter((g) => Number(r[g.key]) > 0).map((g) =>
        sized(`cairn-chart__part ${g.cls}`, (100 * r[g.key]) / t)));
      return el('div', { class: 'cairn-chart__row' },
        el('span', { class: 'cairn-chart__label' }, r[label]),
        el('span', { class: 'cairn-chart__track' }, bar),
        el('span', { class: 'cairn-chart__note' }, note ? note(r) : num(t)));
    }));
  const columns = [{ key: label, label: labelHeading }, ...segments.map((g) => ({ key: g.key, label: g.label })), ...extraColumns];
  return el('figure', { class: 'cairn-figure', 'aria-labelledby': `${id}-figcaption` },
    el('figcaption', { class: 'govuk-body-s govuk-!-font-weight-bold', id: `${id}-figcaption` }, captionText),
    legend,
    chart,
    details('Show these figures as a table', figuresTable(`${id}-table`, captionText, columns, rows)));
}

// The caption naming the borough (or all boroughs) and, for admins, the
// form that chooses one, filled from d.boroughs.
function showScope(d, user, slug) {
  const caption = document.getElementById('scope-caption');
  caption.textContent = d.borough ? d.borough.name : 'All boroughs';
  caption.hidden = false;
  if (user.role !== 'admin') return;
  const select = document.getElementById('borough');
  for (const b of d.boroughs || []) {
    select.append(el('option', { value: b.slug, selected: b.slug === slug }, b.name));
  }
  document.getElementById('scope-form').hidden = false;
}

/**
 * A borough report page (dashboard, training needs) for officers and admins:
 * reads path, for admins with ?borough=SLUG as the page was asked, shows the
 * scope, then render(d) fills the page and host is shown; a failure goes to
 * the page's error summary. Officers see their own borough.
 */
export async function loadBoroughReport(path, host, render) {
  const loading = document.getElementById('loading');
  const summaryHost = document.querySelector('[data-error-summary]');
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  const slug = new URLSearchParams(location.search).get('borough') || '';
  const query = slug ? `?borough=${encodeURIComponent(slug)}` : '';
  try {
    const d = await apiFetch(`${path}${query}`);
    showScope(d, user, slug);
    render(d);
    host.hidden = false;
  } catch (error) {
    showProblem(summaryHost, error.message);
  } finally {
    loading.hidden = true;
  }
}
