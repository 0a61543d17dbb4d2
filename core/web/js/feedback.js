// Give feedback: after a course (?session=ID) or a module (?package=ID), a
// short evaluation: how useful it was, how confident the learner felt about
// its aims before and after (1 to 5), and free text (POST /api/feedback).
// Without a parameter: what is waiting for feedback and what was given
// (GET /api/me/feedback). docs/API.md "Feedback".
import {
  apiFetch,
  clearErrors,
  el,
  formatDate,
  formatSpan,
  initComponents,
  plural,
  renderHeader,
  requireUser,
  showErrors,
  showProblem,
  summaryRow,
} from './common.js';

const SCALES = ['usefulness', 'confidence_before', 'confidence_after'];
const SCALE_ERRORS = {
  usefulness: 'Choose how useful it was, from 1 to 5',
  confidence_before: 'Choose how confident you were before, from 1 to 5',
  confidence_after: 'Choose how confident you are now, from 1 to 5',
};
const MAX_COMMENTS = 2000;

const loading = document.getElementById('loading');
const summaryHost = document.querySelector('[data-error-summary]');
const heading = document.getElementById('heading');
const caption = document.getElementById('caption');
const form = document.getElementById('feedback-form');
const sent = document.getElementById('sent');

/** The 1–5 radios of each scale, the ends labelled ("1 – Not useful"). */
function buildScales() {
  for (const name of SCALES) {
    const group = form.querySelector(`[data-scale="${name}"] .govuk-radios`);
    const [low, high] = group.dataset.labels.split('|');
    const items = [];
    for (let v = 1; v <= 5; v++) {
      // The first radio carries the group's id, so error links land on it.
      const id = v === 1 ? name : `${name}-${v}`;
      const text = v === 1 ? `1 – ${low}` : v === 5 ? `5 – ${high}` : String(v);
      items.push(el('div', { class: 'govuk-radios__item' },
        el('input', { class: 'govuk-radios__input', id, name, type: 'radio', value: v }),
        el('label', { class: 'govuk-label govuk-radios__label', for: id }, text)));
    }
    group.replaceChildren(...items);
  }
}

function itemUrl(item) {
  return item.kind === 'session' ? `/feedback.html?session=${encodeURIComponent(item.session_id)}`
    : `/feedback.html?package=${encodeURIComponent(item.package_id)}`;
}

function whenText(item) {
  if (item.kind === 'session') return item.starts_at && item.ends_at ? formatSpan(item.starts_at, item.ends_at) : formatDate(item.starts_at);
  return item.completed_at ? `Completed on ${formatDate(item.completed_at)}` : '';
}

function done(text) {
  loading.textContent = text;
  loading.classList.add('govuk-visually-hidden');
}

// ---------------------------------------------------------------------------
// What is waiting, and what was given
// ---------------------------------------------------------------------------

function showList(answer) {
  const awaiting = answer.awaiting || [];
  const given = answer.given || [];
  const list = document.getElementById('awaiting');
  list.replaceChildren(...awaiting.map((item) => {
    const rows = [summaryRow(item.kind === 'session' ? 'Course' : 'Module', item.kind === 'session' ? 'Face-to-face course' : 'E-learning')];
    const when = whenText(item);
    if (when) rows.push(summaryRow(item.kind === 'session' ? 'When' : 'Done', when));
    if (item.trainer) rows.push(summaryRow('Trainer', item.trainer));
    return el('li', { class: 'govuk-summary-card cairn-module-card' },
      el('div', { class: 'govuk-summary-card__title-wrapper' },
        el('h3', { class: 'govuk-summary-card__title' }, item.title)),
      el('div', { class: 'govuk-summary-card__content' },
        el('dl', { class: 'govuk-summary-list' }, ...rows),
        el('a', { class: 'govuk-button', role: 'button', draggable: 'false', 'data-module': 'govuk-button', href: itemUrl(item) },
          'Give feedback', el('span', { class: 'govuk-visually-hidden' }, ` on ${item.title}`))));
  }));
  document.getElementById('awaiting-none').hidden = awaiting.length > 0;
  if (given.length) {
    document.getElementById('given').replaceChildren(...given.map((g) =>
      el('li', {}, el('a', { class: 'govuk-link', href: itemUrl(g) }, g.title), `, ${formatDate(g.created_at)}`)));
    document.getElementById('given-section').hidden = false;
  }
  document.getElementById('list').hidden = false;
  initComponents(list);
  done(awaiting.length ? `${plural(awaiting.length, 'evaluation', 'evaluations')} to complete` : 'Nothing waiting for feedback');
}

// ---------------------------------------------------------------------------
// One course or module
// ---------------------------------------------------------------------------

function showAbout(item) {
  caption.textContent = item.kind === 'session' ? 'Course feedback' : 'Module feedback';
  caption.hidden = false;
  heading.textContent = item.title;
  const rows = [];
  const when = whenText(item);
  if (when) rows.push(summaryRow(item.kind === 'session' ? 'When' : 'Done', when));
  if (item.trainer) rows.push(summaryRow('Trainer', item.trainer));
  if (item.host_borough) rows.push(summaryRow('Run by', item.host_borough));
  document.getElementById('about-list').replaceChildren(...rows);
  document.getElementById('about-list').hidden = rows.length === 0;
  if (item.aims) {
    document.getElementById('aims').textContent = item.aims;
    document.getElementById('aims-block').hidden = false;
  }
  document.getElementById('about').hidden = false;
}

const ANSWER_TEXT = {
  usefulness: 'How useful it was',
  confidence_before: 'Confidence before',
  confidence_after: 'Confidence after',
};

function showGiven(item) {
  showAbout(item);
  const rows = SCALES.map((s) => summaryRow(ANSWER_TEXT[s], `${item[s]} out of 5`));
  rows.push(summaryRow('Comments', item.comments || 'None'));
  const about = document.getElementById('about');
  about.append(
    el('h2', { class: 'govuk-heading-m' }, 'You have given feedback'),
    el('p', { class: 'govuk-body' }, `You sent this on ${formatDate(item.created_at)}. Thank you.`),
    el('dl', { class: 'govuk-summary-list' }, ...rows),
    el('p', { class: 'govuk-body' }, el('a', { class: 'govuk-link', href: '/feedback.html' }, 'See everything waiting for feedback')));
  done(`Feedback on ${item.title}`);
}

function notYet(kind) {
  const p = document.getElementById('not-yet');
  heading.textContent = 'Feedback is not open yet';
  p.replaceChildren(kind === 'session'
    ? 'You can give feedback on a course once your training officer has recorded that you attended it.'
    : 'You can give feedback on a module once you have completed it.',
  ' ', el('a', { class: 'govuk-link', href: '/feedback.html' }, 'See what is waiting for your feedback'));
  p.hidden = false;
  done('Feedback is not open yet');
}

/** Moves each radio group's error message under its legend (the GOV.UK place). */
function placeScaleErrors() {
  for (const name of SCALES) {
    const message = document.getElementById(`${name}-error`);
    if (!message) continue;
    const group = form.querySelector(`[data-scale="${name}"]`);
    group.querySelector('.govuk-radios').before(message);
    const first = document.getElementById(name);
    first.removeAttribute('aria-describedby');
    first.classList.remove('govuk-input--error');
    group.querySelector('fieldset').setAttribute('aria-describedby', `${name}-hint ${name}-error`);
  }
}

function clearScaleErrors() {
  for (const name of SCALES)
    form.querySelector(`[data-scale="${name}"] fieldset`).setAttribute('aria-describedby', `${name}-hint`);
  clearErrors(form, summaryHost);
}

function report(errors) {
  showErrors(form, summaryHost, errors);
  placeScaleErrors();
}

function showSent(item, answer) {
  form.hidden = true;
  document.getElementById('about').hidden = true;
  caption.hidden = true;
  heading.hidden = true;
  const more = (answer.awaiting || []).length;
  sent.replaceChildren(...[
    el('div', { class: 'govuk-panel govuk-panel--confirmation' },
      el('h1', { class: 'govuk-panel__title' }, 'Feedback sent'),
      el('div', { class: 'govuk-panel__body' }, `Thank you for your feedback on ${item.title}`)),
    el('p', { class: 'govuk-body' }, 'Your borough’s training officers use it, with everyone else’s, to improve their courses. They do not see who gave it.'),
    more
      ? el('p', { class: 'govuk-body' }, el('a', { class: 'govuk-link', href: '/feedback.html' },
        `${plural(more, 'more evaluation', 'more evaluations')} to complete`))
      : null,
    el('p', { class: 'govuk-body' }, el('a', { class: 'govuk-link', href: '/training.html' }, 'Back to My training')),
  ].filter(Boolean));
  sent.hidden = false;
  document.title = 'Feedback sent – Cairn';
  sent.focus();
}

function showForm(item) {
  showAbout(item);
  buildScales();
  form.hidden = false;
  const button = document.getElementById('send');
  const comments = document.getElementById('comments');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearScaleErrors();
    const body = item.kind === 'session' ? { session_id: item.session_id } : { package_id: item.package_id };
    const errors = [];
    for (const name of SCALES) {
      const chosen = form.querySelector(`input[name="${name}"]:checked`);
      if (chosen) body[name] = Number(chosen.value);
      else errors.push({ field: name, text: SCALE_ERRORS[name] });
    }
    body.comments = comments.value.trim();
    if ([...body.comments].length > MAX_COMMENTS)
      errors.push({ field: 'comments', text: `Comments must be ${MAX_COMMENTS} characters or fewer` });
    if (errors.length) {
      report(errors);
      return;
    }
    button.disabled = true;
    try {
      await apiFetch('/api/feedback', { method: 'POST', json: body });
      const answer = await apiFetch('/api/me/feedback').catch(() => ({ awaiting: [] }));
      showSent(item, answer);
    } catch (error) {
      const fieldErrors = (error.body && error.body.errors) || [];
      if (error.status === 422 && fieldErrors.length) {
        report(fieldErrors.map((e) => ({
          field: SCALES.includes(e.field) || e.field === 'comments' ? e.field : null, text: e.error,
        })));
      } else {
        showProblem(summaryHost, `Your feedback was not sent. ${error.message}`);
      }
    } finally {
      button.disabled = false;
    }
  });
  done(`Feedback form for ${item.title}`);
}

async function main() {
  const user = await requireUser(['learner', 'officer', 'admin']);
  renderHeader(user);
  const params = new URLSearchParams(location.search);
  const session = params.get('session');
  const pkg = params.get('package');
  try {
    const answer = await apiFetch('/api/me/feedback');
    if (!session && !pkg) {
      showList(answer);
      return;
    }
    const match = (x) => (session ? x.kind === 'session' && String(x.session_id) === session
      : x.kind === 'module' && String(x.package_id) === pkg);
    const waiting = (answer.awaiting || []).find(match);
    const given = (answer.given || []).find(match);
    if (waiting) showForm(waiting);
    else if (given) showGiven(given);
    else notYet(session ? 'session' : 'module');
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `Your feedback could not be loaded. ${error.message}`, {
      link: { href: location.pathname + location.search, text: 'Try again' },
    });
  }
}

initComponents();
main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
