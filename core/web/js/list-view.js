// What the officers' list pages (Learners, Records) share: the filter form is
// a plain GET form, so the page's own URL holds the filters, the sort and the
// page (Back and bookmarks work); sortable column headers are buttons inside
// the <th>, which carries aria-sort; numbered GOV.UK pagination; and the
// "Export CSV" link asks the API for the same list as CSV (docs/API.md
// "Lists and exports").
import { el } from './common.js';

/** The page's parameters among keys, as URLSearchParams (empty values dropped). */
export function pageParams(keys, search = location.search) {
  const here = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const key of keys) {
    const value = (here.get(key) || '').trim();
    if (value) out.set(key, value);
  }
  return out;
}

/** Puts the parameters' values into the form's fields of the same name. */
export function fillForm(form, params) {
  for (const control of form.elements) {
    if (!control.name) continue;
    const value = params.get(control.name);
    if (value !== null) control.value = value;
  }
}

/** This page with other parameters (values '' or null are removed). */
export function pageLink(params, changes = {}) {
  const q = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '' || value === undefined) q.delete(key);
    else q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `${location.pathname}?${text}` : location.pathname;
}

/**
 * A column header. With a sort key it holds a button that sorts the list by
 * the column (again: the other way), and says how it is sorted in aria-sort.
 * defaults: {sort, order} the API uses when the URL says nothing.
 */
export function sortableHeader(label, key, params, defaults, { numeric = false } = {}) {
  const th = el('th', { scope: 'col', class: `govuk-table__header${numeric ? ' govuk-table__header--numeric' : ''}` });
  if (!key) {
    th.append(label);
    return th;
  }
  const sort = params.get('sort') || defaults.sort;
  const order = params.get('order') || (sort === defaults.sort ? defaults.order : 'asc');
  const active = sort === key;
  th.setAttribute('aria-sort', active ? (order === 'desc' ? 'descending' : 'ascending') : 'none');
  const next = active && order === 'asc' ? 'desc' : 'asc';
  const button = el(
    'button',
    { type: 'button', class: 'cairn-link-button cairn-sort-button' },
    label,
    el('span', { 'aria-hidden': 'true' }, active ? (order === 'desc' ? ' ▼' : ' ▲') : ''),
  );
  button.addEventListener('click', () => {
    location.assign(pageLink(params, { sort: key, order: next, offset: null }));
  });
  th.append(button);
  return th;
}

/**
 * Fills a <nav class="govuk-pagination"> with Previous, numbered pages and
 * Next for an answer {total, limit, offset}; hidden when one page holds all.
 */
export function showPages(nav, answer, params, noun) {
  const { total = 0, limit = 50, offset = 0 } = answer || {};
  const pages = Math.ceil(total / limit);
  const current = Math.floor(offset / limit) + 1;
  nav.replaceChildren();
  nav.hidden = pages <= 1;
  if (pages <= 1) return;
  const link = (page) => pageLink(params, { offset: page > 1 ? (page - 1) * limit : null });

  if (current > 1) {
    nav.append(
      el(
        'div',
        { class: 'govuk-pagination__prev' },
        el(
          'a',
          { class: 'govuk-link govuk-pagination__link', href: link(current - 1), rel: 'prev' },
          el('span', { class: 'govuk-pagination__link-title' }, 'Previous', el('span', { class: 'govuk-visually-hidden' }, ` page of ${noun}`)),
        ),
      ),
    );
  }
  // First, last, and the pages next to the current one; ellipses between.
  const shown = [...new Set([1, current - 1, current, current + 1, pages])].filter((p) => p >= 1 && p <= pages).sort((a, b) => a - b);
  const list = el('ul', { class: 'govuk-pagination__list' });
  let last = 0;
  for (const page of shown) {
    if (page - last > 1) list.append(el('li', { class: 'govuk-pagination__item govuk-pagination__item--ellipses' }, '⋯'));
    const item = el('li', { class: `govuk-pagination__item${page === current ? ' govuk-pagination__item--current' : ''}` });
    item.append(
      el(
        'a',
        {
          class: 'govuk-link govuk-pagination__link',
          href: link(page),
          'aria-label': `Page ${page}`,
          'aria-current': page === current ? 'page' : null,
        },
        String(page),
      ),
    );
    list.append(item);
    last = page;
  }
  nav.append(list);
  if (current < pages) {
    nav.append(
      el(
        'div',
        { class: 'govuk-pagination__next' },
        el(
          'a',
          { class: 'govuk-link govuk-pagination__link', href: link(current + 1), rel: 'next' },
          el('span', { class: 'govuk-pagination__link-title' }, 'Next', el('span', { class: 'govuk-visually-hidden' }, ` page of ${noun}`)),
        ),
      ),
    );
  }
}

/** "Showing 51 to 100 of 240 learners". */
export function rangeText(answer, one, many) {
  const { total = 0, offset = 0 } = answer || {};
  const count = answer ? (answer.learners || answer.records || []).length : 0;
  const noun = total === 1 ? one : many;
  if (total === 0) return `No ${many} match.`;
  if (count === total) return `${total} ${noun}`;
  if (count === 0) return `No ${many} on this page (${total} in all).`;
  return `Showing ${offset + 1} to ${offset + count} of ${total} ${noun}`;
}

/** The API's CSV export of the same list (the page's offset and limit dropped). */
export function exportHref(apiPath, params) {
  const q = new URLSearchParams(params);
  q.delete('offset');
  q.delete('limit');
  q.set('format', 'csv');
  return `${apiPath}?${q}`;
}

/** An API 422 names a parameter: show it on the form field of that name. */
export function fieldFor(form, name) {
  const control = name && form.elements.namedItem(name);
  return control && control.id ? control.id : null;
}

/** An <option> of a filter select. */
export function option(value, text) {
  return el('option', { value: String(value) }, text);
}

/**
 * The borough choices of a list's filter form, from GET /api/boroughs: the
 * organisation select gets the organisations of the user's borough (admins:
 * of every borough, grouped by borough when there are several), and for
 * admins the borough select is filled and shown.
 */
export function fillBoroughChoices(user, boroughs) {
  const organisation = document.getElementById('organisation');
  const mine = (boroughs || []).filter((b) => user.role === 'admin' || b.id === (user.borough && user.borough.id));
  for (const b of mine) {
    const group = mine.length > 1 ? el('optgroup', { label: b.name }) : organisation;
    for (const o of b.organisations || []) group.append(option(o.id, o.name));
    if (group !== organisation) organisation.append(group);
  }
  if (user.role === 'admin') {
    const select = document.getElementById('borough');
    for (const b of boroughs || []) select.append(option(b.id, b.name));
    document.getElementById('borough-group').hidden = false;
  }
}
