// Add a course to the borough's catalogue (POST /api/courses, docs/API.md
// "Courses and bookings"), for officers and admins. Errors from the form and
// from the API (422 with "field") show in the GOV.UK error summary, linked
// to the field.
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
} from './common.js';

initComponents();

const form = document.getElementById('course-form');
const summaryHost = document.querySelector('[data-error-summary]');
const done = document.getElementById('done');

/** The API's field names are the first input's id of each question. */
const FIELDS = ['title', 'group', 'category', 'level', 'duration_hours', 'aims'];

function checked(name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : null;
}

function read() {
  const errors = [];
  const title = document.getElementById('title').value.trim();
  const group = checked('group');
  const category = checked('category');
  const level = checked('level');
  const hoursText = document.getElementById('duration_hours').value.trim();
  const hours = Number(hoursText);
  if (!title) errors.push({ field: 'title', text: 'Enter the course title' });
  if (!group) errors.push({ field: 'group', text: 'Choose the group the course is for' });
  if (!category) errors.push({ field: 'category', text: 'Choose whether the course is core or specialist' });
  if (!/^\d+(\.\d+)?$/.test(hoursText) || !(hours > 0) || hours > 100)
    errors.push({ field: 'duration_hours', text: 'Enter the length in hours, a number above 0 and up to 100' });
  const body = {
    title, group, category, level: level ? Number(level) : null, duration_hours: hours,
    aims: document.getElementById('aims').value.trim(),
  };
  return { body, errors };
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form, summaryHost);
  done.hidden = true;
  const { body, errors } = read();
  if (errors.length) {
    showErrors(form, summaryHost, errors);
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const answer = await apiFetch('/api/courses', { method: 'POST', json: body });
    const course = answer.course;
    form.reset();
    announceSuccess(done, `${course.title} is added`, null);
    done.querySelector('.govuk-notification-banner__content').append(
      el('p', { class: 'govuk-body' },
        el('a', { class: 'govuk-notification-banner__link', href: `/session-edit.html?course=${course.id}` },
          'Schedule a session of this course')));
  } catch (error) {
    if (error.field && FIELDS.includes(error.field)) {
      showErrors(form, summaryHost, [{ field: error.field, text: error.message }]);
    } else if (error.status === 409) {
      showErrors(form, summaryHost, [{ field: 'title', text: error.message }]);
    } else {
      showProblem(summaryHost, `The course was not added. ${error.message}`);
    }
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const user = await requireUser(['officer', 'admin']);
  renderHeader(user, '/sessions.html');
  form.addEventListener('submit', submit);
}

main().catch((error) => showProblem(summaryHost, error.message));
