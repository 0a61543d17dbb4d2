// Sign in: POST /api/login, then to ?next= (a path on this site) or the
// user's own page.
import {
  apiFetch,
  clearErrors,
  el,
  getSession,
  homeFor,
  initComponents,
  rememberSession,
  safeNext,
  showErrors,
} from './common.js';

initComponents();

const form = document.getElementById('login-form');
const summaryHost = document.querySelector('[data-error-summary]');
const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));
let busy = false;

function destination(user) {
  return next || homeFor(user);
}

if (params.has('signed-out')) {
  const banner = el(
    'div',
    {
      class: 'govuk-notification-banner govuk-notification-banner--success',
      role: 'region',
      'aria-labelledby': 'signed-out-title',
    },
    el(
      'div',
      { class: 'govuk-notification-banner__header' },
      el('h2', { class: 'govuk-notification-banner__title', id: 'signed-out-title' }, 'Success'),
    ),
    el(
      'div',
      { class: 'govuk-notification-banner__content' },
      el('p', { class: 'govuk-notification-banner__heading' }, 'You have signed out'),
    ),
  );
  document.querySelector('[data-notice]').append(banner);
}

// Already signed in: no need to sign in again.
getSession()
  .then((session) => {
    if (session.user) location.replace(destination(session.user));
  })
  .catch(() => {});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;

  const errors = [];
  if (!email) errors.push({ field: 'email', text: 'Enter your email address' });
  if (!password) errors.push({ field: 'password', text: 'Enter your password' });
  if (errors.length) {
    showErrors(form, summaryHost, errors);
    return;
  }

  clearErrors(form, summaryHost);
  busy = true;
  try {
    await getSession(); // sets the cairn_csrf cookie and gives the token
    const answer = await apiFetch('/api/login', { method: 'POST', json: { email, password }, on401: 'throw' });
    rememberSession(answer);
    location.assign(destination(answer.user));
  } catch (error) {
    busy = false;
    let text = error.message;
    if (error.status === 401) {
      text = 'The email address or password is not right. Check them and try again';
    } else if (error.status === 429 && !error.body) {
      text = 'You have tried to sign in too many times. Wait 15 minutes, then try again';
    }
    const field = error.status === 401 || error.status === 429 ? 'email' : null;
    showErrors(form, summaryHost, [{ field, text }]);
    form.elements.password.value = '';
  }
});
