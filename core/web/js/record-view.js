// The one learner record (docs/API.md "The learner record"), drawn the same
// way for the learner (record.html) and for officers (learner.html): what
// their role needs, the pathway's progress, and every entry with its hours,
// expiry, certificate and feedback links.
//
// Text from the server goes in with DOM methods only (common.js el()).
import { el, formatDate, plural } from './common.js';

const REQUIRED_STATES = {
  done: ['Done', 'govuk-tag--green'],
  expiring: ['Expiring soon', 'govuk-tag--orange'],
  overdue: ['Overdue', 'govuk-tag--red'],
  due: ['To do', 'govuk-tag--blue'],
};

const KINDS = {
  elearning: 'E-learning',
  face_to_face: 'Face-to-face course',
};

const EVIDENCE_KINDS = {
  external: 'Training elsewhere',
  course: 'Face-to-face course elsewhere',
  elearning: 'E-learning elsewhere',
};

const STATUSES = {
  completed: ['Completed', 'govuk-tag--green'],
  passed: ['Passed', 'govuk-tag--green'],
  failed: ['Failed', 'govuk-tag--red'],
  attended: ['Attended', 'govuk-tag--green'],
  partly_attended: ['Partly attended', 'govuk-tag--blue'],
  no_show: ['Did not attend', 'govuk-tag--red'],
  cancelled_late: ['Cancelled late', 'govuk-tag--red'],
};

/** "1 hour", "1.5 hours", "None". */
export function hoursText(hours) {
  const n = Math.round(Number(hours || 0) * 100) / 100;
  return n === 0 ? 'None' : plural(n, 'hour', 'hours');
}

/** A tag for a required item's state: the words say it, the colour helps. */
export function requiredTag(state) {
  const [text, modifier] = REQUIRED_STATES[state] || [String(state || 'Unknown'), 'govuk-tag--grey'];
  return el('strong', { class: `govuk-tag ${modifier}` }, text);
}

function statusTag(status) {
  const [text, modifier] = STATUSES[status] || [String(status || 'Unknown'), 'govuk-tag--grey'];
  return el('strong', { class: `govuk-tag ${modifier}` }, text);
}

function row(key, ...value) {
  return el('div', { class: 'govuk-summary-list__row' },
    el('dt', { class: 'govuk-summary-list__key' }, key),
    el('dd', { class: 'govuk-summary-list__value cairn-wrap' }, ...value));
}

function groupLevel(entry) {
  const parts = [];
  if (entry.group) parts.push(`Group ${entry.group}`);
  if (entry.level) parts.push(`Level ${entry.level}`);
  return parts.join(', ');
}

function section(id, heading, ...children) {
  return el('section', { class: 'govuk-!-margin-top-8', 'aria-labelledby': id },
    el('h2', { class: 'govuk-heading-m', id }, heading), ...children);
}

/** What the borough asks of the learner, with each item's state. */
function requiredSection(required, own) {
  const rows = required.map((item) => {
    const details = [];
    if ((item.state === 'done' || item.state === 'expiring') && item.expires) {
      details.push(`Done on ${formatDate(item.completed_at)}, valid until ${formatDate(item.expires)}`);
    } else if (item.state === 'done' && item.completed_at) {
      details.push(`Done on ${formatDate(item.completed_at)}`);
    } else if (item.state === 'overdue' && item.completed_at && item.expires) {
      details.push(`Expired on ${formatDate(item.expires)}`);
    } else if (item.due) {
      details.push(`${item.state === 'overdue' ? 'Was due' : 'Due'} by ${formatDate(item.due)}`);
    }
    details.push(item.kind === 'course' ? 'Face-to-face course' : 'E-learning');
    if (item.rule) details.push(item.rule);
    return el('div', { class: 'govuk-summary-list__row' },
      el('dt', { class: 'govuk-summary-list__key cairn-wrap' }, item.title),
      el('dd', { class: 'govuk-summary-list__value' }, requiredTag(item.state),
        ...details.map((d) => el('p', { class: 'govuk-body-s govuk-!-margin-top-1 govuk-!-margin-bottom-0' }, d))));
  });
  const counts = {};
  for (const item of required) counts[item.state] = (counts[item.state] || 0) + 1;
  const summary = ['overdue', 'expiring', 'due', 'done']
    .filter((s) => counts[s])
    .map((s) => `${counts[s]} ${REQUIRED_STATES[s][0].toLowerCase()}`)
    .join(', ');
  return section('required-heading', own ? 'Training your role needs' : 'Training their role needs',
    el('p', { class: 'govuk-body' }, `${plural(required.length, 'item', 'items')}: ${summary}.`),
    el('dl', { class: 'govuk-summary-list', id: 'required' }, ...rows));
}

/** "3 of 7 pathway courses done", with a progress bar screen readers read. */
function pathwaySection(pathway, own) {
  const text = `${pathway.done} of ${plural(pathway.total, 'pathway course', 'pathway courses')} done`;
  const role = pathway.role ? ` for ${own ? 'your role' : 'their role'}, ${pathway.role}` : '';
  return section('pathway-heading', 'Pathway',
    el('p', { class: 'govuk-body', id: 'pathway-summary' }, `${text}${role}.`),
    el('progress', {
      class: 'cairn-pathway-progress', max: String(pathway.total), value: String(pathway.done),
      'aria-labelledby': 'pathway-summary',
    }, text),
    el('ul', { class: 'govuk-list cairn-pathway-list', id: 'pathway-items' },
      ...pathway.items.map((item) => el('li', {},
        requiredTag(item.state), ' ', el('span', { class: 'cairn-wrap' }, item.title)))));
}

function entryCard(entry, index, own, onDelete) {
  const titleId = `entry-${index}-title`;
  const date = formatDate(entry.date);
  const rows = [
    row('Date', date),
    row('Kind', entry.kind === 'evidence'
      ? EVIDENCE_KINDS[entry.evidence.kind] || 'Evidence' : KINDS[entry.kind] || entry.kind),
  ];
  const gl = groupLevel(entry);
  if (gl) rows.push(row('Group and level', gl));
  rows.push(row('Hours', hoursText(entry.hours)));
  rows.push(row('Status', statusTag(entry.status)));
  rows.push(row('Expires', entry.expires ? formatDate(entry.expires) : 'No expiry date'));
  if (entry.kind === 'evidence') {
    const ev = entry.evidence;
    if (ev.provider) rows.push(row('Provided by', ev.provider));
    if (ev.note) rows.push(row('Evidence', ev.note));
    rows.push(row('Recorded by', ev.source === 'import' ? 'Imported from past records'
      : ev.entered_by ? ev.entered_by.name : 'A training officer'));
  }
  const links = [];
  if (entry.certificate) {
    links.push(el('a', { class: 'govuk-link', href: entry.certificate.url },
      'View certificate', el('span', { class: 'govuk-visually-hidden' }, ` for ${entry.title}, ${date}`)));
  }
  if (own && entry.feedback_url && entry.feedback_given) {
    links.push('You gave feedback. Thank you.');
  } else if (own && entry.feedback_url) {
    links.push(el('a', { class: 'govuk-link', href: entry.feedback_url },
      'Give feedback', el('span', { class: 'govuk-visually-hidden' }, ` on ${entry.title}`)));
  }
  if (links.length) {
    rows.push(row('Links', ...links.map((a) => el('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, a))));
  }

  const titleWrapper = el('div', { class: 'govuk-summary-card__title-wrapper' },
    el('h3', { class: 'govuk-summary-card__title cairn-wrap', id: titleId }, entry.title));
  if (onDelete && entry.kind === 'evidence') {
    const button = el('button', { type: 'button', class: 'cairn-link-button govuk-link' },
      'Delete', el('span', { class: 'govuk-visually-hidden' }, ` evidence: ${entry.title}, ${date}`));
    button.addEventListener('click', () => onDelete(entry, button));
    titleWrapper.append(el('ul', { class: 'govuk-summary-card__actions' },
      el('li', { class: 'govuk-summary-card__action' }, button)));
  }
  return el('li', { class: 'govuk-summary-card cairn-record-card' },
    titleWrapper,
    el('div', { class: 'govuk-summary-card__content' }, el('dl', { class: 'govuk-summary-list' }, ...rows)));
}

function totalsText(totals) {
  const parts = [];
  if (totals.elearning_hours) parts.push(`${hoursText(totals.elearning_hours)} of e-learning`);
  if (totals.face_to_face_hours) parts.push(`${hoursText(totals.face_to_face_hours)} face to face`);
  if (totals.evidence_hours) parts.push(`${hoursText(totals.evidence_hours)} recorded from elsewhere`);
  const all = `${hoursText(totals.hours)} of training in all`;
  if (parts.length < 2) return `${all}.`;
  return `${all}: ${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}.`;
}

/**
 * Draws the record into host. options.own: the learner's own record (their
 * wording, feedback links); options.onDelete(entry, button): offer deleting
 * evidence (officers).
 */
export function renderRecord(host, record, { own = false, onDelete = null } = {}) {
  const parts = [];
  const required = record.required || [];
  if (required.length) parts.push(requiredSection(required, own));
  if (record.pathway) parts.push(pathwaySection(record.pathway, own));
  const entries = record.entries || [];
  const body = entries.length
    ? [
        el('p', { class: 'govuk-body', id: 'record-totals' }, totalsText(record.totals)),
        el('p', { class: 'govuk-body-s' }, 'Oldest first.'),
        el('ol', { class: 'cairn-record-list', id: 'record-entries' },
          ...entries.map((e, i) => entryCard(e, i, own, onDelete))),
      ]
    : [el('p', { class: 'govuk-body', id: 'record-totals' },
        own ? 'Nothing is recorded yet. Modules you finish and courses you attend will appear here.'
          : 'Nothing is recorded yet.')];
  parts.push(section('record-heading', own ? 'Your training record' : 'Training record', ...body));
  host.replaceChildren(...parts);
}
