// Feedback, for officers and admins: summaries of participant feedback per
// course, session, trainer or e-learning module (GET /api/officer/feedback),
// one table of figures per group, the spread of usefulness answers, and the
// comments without names. ?by=course|session|trainer|module, narrowed with
// &course_id= or &session_id=. docs/API.md "Feedback".
import {
  apiFetch,
  el,
  formatDay,
  initComponents,
  plural,
  renderHeader,
  requireUser,
  showProblem,
} from './common.js';

const BY = ['course', 'session', 'trainer', 'module'];

const loading = document.getElementById('loading');
const groupsHost = document.getElementById('groups');
const narrowed = document.getElementById('narrowed');
const summaryHost = document.querySelector('[data-error-summary]');

/** 3.67 → "3.67", 2 → "2", null → "No answers". */
function score(x) {
  return x === null || x === undefined ? 'No answers' : `${Math.round(Number(x) * 100) / 100} out of 5`;
}

function change(x) {
  if (x === null || x === undefined) return 'No answers';
  const n = Math.round(Number(x) * 100) / 100;
  if (n === 0) return 'No change';
  return `${n > 0 ? '+' : '−'}${Math.abs(n)} ${Math.abs(n) === 1 ? 'point' : 'points'}`;
}

function titleOf(g, by) {
  if (by === 'session') return g.course.title;
  if (by === 'trainer') return g.trainer || 'No trainer named';
  if (by === 'module') return g.package.title;
  return g.course.title;
}

function detailOf(g, by) {
  if (by === 'session') {
    const parts = [formatDay(new Date(g.session.starts_at))];
    if (g.session.trainer) parts.push(`trainer ${g.session.trainer}`);
    if (g.session.host_borough) parts.push(`run by ${g.session.host_borough.name}`);
    return parts.join(', ');
  }
  if (by === 'course') return plural(g.sessions, 'session', 'sessions');
  if (by === 'trainer') return `${plural(g.sessions, 'session', 'sessions')}, ${plural(g.courses, 'course', 'courses')}`;
  return 'E-learning module';
}

function responsesText(g, by) {
  const asked = by === 'module' ? g.completed : g.attended;
  const who = by === 'module' ? 'who completed it' : 'who attended';
  const rate = g.response_rate === null || g.response_rate === undefined ? ''
    : ` (${Math.round(Number(g.response_rate) * 100)}%)`;
  return `${g.responses} of ${asked} ${who}${rate}`;
}

function row(key, value) {
  return el('tr', { class: 'govuk-table__row' },
    el('th', { scope: 'row', class: 'govuk-table__header' }, key),
    el('td', { class: 'govuk-table__cell' }, value));
}

function figuresTable(g, by, id, title) {
  return el('table', { class: 'govuk-table', id: `${id}-figures` },
    el('caption', { class: 'govuk-table__caption govuk-visually-hidden' }, `Figures for ${title}`),
    el('tbody', { class: 'govuk-table__body' },
      row('Responses', responsesText(g, by)),
      row('How useful (average)', score(g.usefulness.mean)),
      row('Confidence before (average)', score(g.confidence_before)),
      row('Confidence after (average)', score(g.confidence_after)),
      row('Change in confidence (average)', change(g.confidence_change))));
}

function distributionTable(g, id, title) {
  const heads = ['1 – Not useful', '2', '3', '4', '5 – Very useful'];
  return el('div', { class: 'cairn-table-scroll', role: 'region', 'aria-labelledby': `${id}-dist-caption`, tabindex: 0 },
    el('table', { class: 'govuk-table', id: `${id}-dist` },
      el('caption', { class: 'govuk-table__caption govuk-table__caption--s', id: `${id}-dist-caption` },
        'How useful: number of answers', el('span', { class: 'govuk-visually-hidden' }, ` for ${title}`)),
      el('thead', { class: 'govuk-table__head' },
        el('tr', { class: 'govuk-table__row' },
          ...heads.map((h) => el('th', { scope: 'col', class: 'govuk-table__header govuk-table__header--numeric' }, h)))),
      el('tbody', { class: 'govuk-table__body' },
        el('tr', { class: 'govuk-table__row' },
          ...g.usefulness.distribution.map((n) => el('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, String(n)))))));
}

function links(g, by) {
  const out = [];
  if (by === 'course')
    out.push(el('a', { class: 'govuk-link', href: `/feedback-summary.html?by=session&course_id=${encodeURIComponent(g.course.id)}` },
      'Feedback on each session', el('span', { class: 'govuk-visually-hidden' }, ` of ${g.course.title}`)));
  if (by === 'session')
    out.push(el('a', { class: 'govuk-link', href: `/sessions.html?session=${encodeURIComponent(g.session.id)}` },
      'The session’s bookings and attendance', el('span', { class: 'govuk-visually-hidden' }, ` (${g.course.title})`)));
  return out.length ? el('p', { class: 'govuk-body' }, ...out) : null;
}

function groupSection(g, by, index) {
  const id = `group-${index}`;
  const title = titleOf(g, by);
  const parts = [
    el('h2', { class: 'govuk-heading-m govuk-!-margin-bottom-1', id: `${id}-title` }, title),
    el('p', { class: 'govuk-body-s govuk-!-margin-bottom-3' }, detailOf(g, by)),
  ];
  if (g.few_responses) {
    parts.push(el('div', { class: 'govuk-warning-text' },
      el('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
      el('strong', { class: 'govuk-warning-text__text' },
        el('span', { class: 'govuk-visually-hidden' }, 'Warning'),
        g.responses === 0 ? 'No responses yet.' : `Only ${plural(g.responses, 'response', 'responses')}: treat these figures with care.`)));
  }
  parts.push(figuresTable(g, by, id, title));
  if (g.responses > 0) parts.push(distributionTable(g, id, title));
  const comments = g.comments || [];
  parts.push(el('h3', { class: 'govuk-heading-s' }, comments.length ? `Comments (${comments.length})` : 'Comments'));
  if (comments.length)
    parts.push(el('ul', { class: 'govuk-list' },
      ...comments.map((c) => el('li', {}, el('div', { class: 'govuk-inset-text govuk-!-margin-top-0 govuk-!-margin-bottom-3 cairn-wrap' }, c)))));
  else parts.push(el('p', { class: 'govuk-body' }, 'No comments.'));
  parts.push(links(g, by));
  return el('section', { class: 'govuk-!-margin-bottom-9', 'aria-labelledby': `${id}-title`, 'data-group': index }, ...parts);
}

const EMPTY = {
  course: 'No feedback yet: once learners attend your borough’s sessions, they are asked for it.',
  session: 'No feedback yet: once learners attend your borough’s sessions, they are asked for it.',
  trainer: 'No feedback yet: once learners attend your borough’s sessions, they are asked for it.',
  module: 'No feedback yet: once your learners complete a module, they are asked for it.',
};

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user);
  const params = new URLSearchParams(location.search);
  const by = BY.includes(params.get('by')) ? params.get('by') : 'course';
  const chosen = document.querySelector(`input[name="by"][value="${by}"]`);
  if (chosen) chosen.checked = true;

  const query = new URLSearchParams({ by });
  for (const key of ['course_id', 'session_id']) {
    if (/^\d+$/.test(params.get(key) || '')) query.set(key, params.get(key));
  }
  try {
    const answer = await apiFetch(`/api/officer/feedback?${query}`);
    const groups = (answer && answer.groups) || [];
    if (query.has('course_id') || query.has('session_id')) {
      const what = groups[0] ? titleOf(groups[0], by) : 'one course';
      narrowed.replaceChildren(`Showing ${query.has('session_id') ? 'one session' : `the sessions of ${what}`} only. `,
        el('a', { class: 'govuk-link', href: `/feedback-summary.html?by=${by}` }, 'Show all'));
      narrowed.hidden = false;
    }
    if (groups.length === 0) {
      groupsHost.replaceChildren(el('p', { class: 'govuk-body' }, EMPTY[by]));
      loading.hidden = true;
      return;
    }
    groupsHost.replaceChildren(...groups.map((g, i) => groupSection(g, by, i)));
    loading.textContent = `Feedback by ${by}: ${plural(groups.length, 'group', 'groups')}`;
    loading.classList.add('govuk-visually-hidden');
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `Feedback could not be loaded. ${error.message}`, {
      link: { href: location.pathname + location.search, text: 'Try again' },
    });
  }
}

initComponents();
main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
