// A printable certificate (certificate.html?code=CODE) for its owner, their
// borough's officers and admins. Print styles (A4 landscape, no header or
// navigation) are in cairn.scss under .cairn-certificate-page.
import { apiFetch, el, formatDate, initComponents, renderHeader, requireUser, showProblem } from './common.js';
import { hoursText } from './record-view.js';

initComponents();
document.body.classList.add('cairn-certificate-page');

const loading = document.getElementById('loading');
const summaryHost = document.querySelector('[data-error-summary]');
const code = new URLSearchParams(location.search).get('code') || '';

function fact(key, value) {
  return [el('dt', {}, key), el('dd', {}, value)];
}

function show(c, user) {
  const rec = c.record || {};
  document.title = `Certificate: ${c.title} – Cairn`;
  document.getElementById('issuer').textContent = c.borough ? c.borough.name : 'Cairn';
  document.getElementById('learner').textContent = c.learner.name;
  document.getElementById('verb').textContent = rec.kind === 'course' ? 'attended the course' : 'completed the module';
  document.getElementById('title').textContent = c.title;
  const facts = [];
  const gl = [rec.group && `Group ${rec.group}`, rec.level && `Level ${rec.level}`].filter(Boolean).join(', ');
  if (gl) facts.push(...fact('Group and level', gl));
  if (rec.hours) facts.push(...fact('Hours', hoursText(rec.hours)));
  if (rec.completed_at) facts.push(...fact('Completed on', formatDate(rec.completed_at)));
  facts.push(...fact('Valid until', c.expires ? formatDate(c.expires) : 'No expiry date'));
  document.getElementById('facts').replaceChildren(...facts);
  const wording = document.getElementById('wording');
  wording.textContent = c.certificate_wording || '';
  wording.hidden = !c.certificate_wording;
  document.getElementById('verify-url').textContent = location.origin + c.verify_path;
  document.getElementById('code').textContent = c.code;

  const state = document.getElementById('state');
  if (c.state !== 'valid') {
    const text = c.state === 'revoked'
      ? `This certificate was withdrawn on ${formatDate(c.revoked_at)}: the attendance it stood for was changed.`
      : `This training expired on ${formatDate(c.expires)}. Book a refresher to stay up to date.`;
    state.replaceChildren(el('div', { class: 'govuk-warning-text' },
      el('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
      el('strong', { class: 'govuk-warning-text__text' },
        el('span', { class: 'govuk-visually-hidden' }, 'Warning'), text)));
    state.hidden = false;
  }
  const back = document.getElementById('back');
  if (user.id !== c.learner.id) {
    back.href = `/learner.html?id=${encodeURIComponent(c.learner.id)}`;
    back.textContent = `Back to ${c.learner.name}’s record`;
  }
  document.getElementById('certificate').hidden = false;
  document.getElementById('actions').hidden = false;
}

document.getElementById('print').addEventListener('click', () => window.print());

async function main() {
  const user = await requireUser();
  renderHeader(user);
  if (!code) {
    loading.hidden = true;
    showProblem(summaryHost, 'No certificate was chosen.', { link: { href: '/record.html', text: 'Go to your record' } });
    return;
  }
  try {
    const answer = await apiFetch(`/api/certificates/${encodeURIComponent(code)}`);
    loading.hidden = true;
    show(answer.certificate, user);
  } catch (error) {
    loading.hidden = true;
    const text = error.status === 404 ? 'There is no certificate with this code that you can see.'
      : `The certificate could not be loaded. ${error.message}`;
    showProblem(summaryHost, text, { link: { href: '/record.html', text: 'Go to your record' } });
  }
}

main().catch((error) => {
  loading.hidden = true;
  showProblem(summaryHost, error.message, { link: { href: location.pathname + location.search, text: 'Try again' } });
});
