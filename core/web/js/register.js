// Create an account: POST /api/register, then on to My training.
import {
  apiFetch,
  clearErrors,
  el,
  getSession,
  homeFor,
  initComponents,
  rememberSession,
  showErrors,
  showProblem,
} from './common.js';

initComponents();

const form = document.getElementById('register-form');
const summaryHost = document.querySelector('[data-error-summary]');
const boroughSelect = document.getElementById('borough');
const organisationSelect = document.getElementById('organisation');

// Server field names (422 "field") to the ids of the controls on this page.
const FIELD_IDS = {
  name: 'name',
  email: 'email',
  password: 'password',
  borough_id: 'borough',
  borough: 'borough',
  organisation_id: 'organisation',
  organisation: 'organisation',
  job_role: 'job_role',
};

let boroughs = [];
let busy = false;

// Someone already signed in does not need a new account.
getSession()
  .then((session) => {
    if (session.user) location.replace(homeFor(session.user));
  })
  .catch(() => {});

function option(value, text) {
  return el('option', { value }, text);
}

function fillOrganisations() {
  const borough = boroughs.find((b) => String(b.id) === boroughSelect.value);
  const previous = organisationSelect.value;
  if (!borough) {
    organisationSelect.replaceChildren(option('', 'Choose a borough first'));
    return;
  }
  const organisations = [...(borough.organisations || [])].sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
  if (organisations.length === 0) {
    organisationSelect.replaceChildren(option('', 'No organisations are listed for this borough'));
    return;
  }
  organisationSelect.replaceChildren(
    option('', 'Choose your organisation'),
    ...organisations.map((o) => option(String(o.id), o.name)),
  );
  if (organisations.some((o) => String(o.id) === previous)) organisationSelect.value = previous;
}

async function loadBoroughs() {
  try {
    const answer = await apiFetch('/api/boroughs', { on401: 'throw' });
    boroughs = Array.isArray(answer) ? answer : [];
    boroughs.sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
    boroughSelect.replaceChildren(
      option('', 'Choose your borough'),
      ...boroughs.map((b) => option(String(b.id), b.name)),
    );
    if (boroughs.length === 1) boroughSelect.value = String(boroughs[0].id);
    fillOrganisations();
  } catch (error) {
    boroughSelect.replaceChildren(option('', 'Boroughs could not be loaded'));
    showProblem(summaryHost, `The list of boroughs could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Reload this page' },
    });
  }
}

boroughSelect.addEventListener('change', fillOrganisations);

function validate(values) {
  const errors = [];
  if (!values.name) errors.push({ field: 'name', text: 'Enter your full name' });
  if (!values.email) errors.push({ field: 'email', text: 'Enter your email address' });
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) {
    errors.push({ field: 'email', text: 'Enter an email address in the correct format, like name@example.com' });
  }
  if (!values.password) errors.push({ field: 'password', text: 'Enter a password' });
  else if (values.password.length < 10) {
    errors.push({ field: 'password', text: 'Your password must be 10 characters or more' });
  } else if (values.password.length > 256) {
    errors.push({ field: 'password', text: 'Your password must be 256 characters or fewer' });
  }
  if (!values.borough_id) errors.push({ field: 'borough', text: 'Select your borough' });
  const borough = boroughs.find((b) => String(b.id) === boroughSelect.value);
  if (!values.organisation_id && borough && (borough.organisations || []).length > 0) {
    errors.push({ field: 'organisation', text: 'Select your organisation' });
  }
  if (!values.job_role) errors.push({ field: 'job_role', text: 'Enter your job role' });
  return errors;
}

function toId(value) {
  if (value === '') return null;
  return /^\d+$/.test(value) ? Number(value) : value;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  const values = {
    name: form.elements.name.value.trim(),
    email: form.elements.email.value.trim(),
    password: form.elements.password.value,
    borough_id: toId(boroughSelect.value),
    organisation_id: toId(organisationSelect.value),
    job_role: form.elements.job_role.value.trim(),
  };
  const errors = validate(values);
  if (errors.length) {
    showErrors(form, summaryHost, errors);
    return;
  }

  clearErrors(form, summaryHost);
  busy = true;
  try {
    await getSession(); // sets the cairn_csrf cookie and gives the token
    const answer = await apiFetch('/api/register', { method: 'POST', json: values, on401: 'throw' });
    rememberSession(answer);
    location.assign(homeFor(answer.user));
  } catch (error) {
    busy = false;
    if (error.status === 409) {
      showErrors(form, summaryHost, [
        {
          field: 'email',
          text: 'There is already an account with this email address. Sign in instead, or use a different email address',
        },
      ]);
    } else if (error.status === 422 || error.status === 400) {
      showErrors(form, summaryHost, [{ field: FIELD_IDS[error.field] || null, text: error.message }]);
    } else {
      showErrors(form, summaryHost, [{ field: null, text: error.message }]);
    }
  }
});

loadBoroughs();
