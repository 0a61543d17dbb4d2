// My record: the learner's own record (record-view.js draws it).
import { apiFetch, initComponents, renderHeader, requireUser, showProblem } from './common.js';
import { renderRecord } from './record-view.js';

initComponents();

const loading = document.getElementById('loading');
const host = document.getElementById('record');
const summaryHost = document.querySelector('[data-error-summary]');

async function main() {
  const user = await requireUser(['learner', 'officer', 'admin']);
  renderHeader(user);
  const who = document.getElementById('who');
  const where = [user.organisation && user.organisation.name, user.borough && user.borough.name].filter(Boolean);
  who.textContent = where.join(', ');
  who.hidden = where.length === 0;
  try {
    const record = await apiFetch('/api/me/record');
    renderRecord(host, record, { own: true });
    host.hidden = false;
    loading.textContent = 'Your record has loaded.';
    loading.classList.add('govuk-visually-hidden');
  } catch (error) {
    loading.hidden = true;
    showProblem(summaryHost, `Your record could not be loaded. ${error.message}`, {
      link: { href: location.pathname, text: 'Try again' },
    });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
