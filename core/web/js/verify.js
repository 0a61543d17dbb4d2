// Check a certificate (/verify/CODE, public): genuine or not, in date,
// expired or withdrawn, showing no more than the certificate itself does.
// The server answers 404 with verify-unknown.html for a code that is no
// certificate's; this script then only runs the "check another" form.
import { apiFetch, el, formatDate, initComponents, showErrors, showProblem, summaryRow } from './common.js';

initComponents();

const form = document.getElementById('verify-form');
const summaryHost = document.querySelector('[data-error-summary]');
const loading = document.getElementById('loading');
const result = document.getElementById('result');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const code = form.elements.code.value.trim().toUpperCase().replace(/[^0-9A-Z]/g, '');
  if (code.length !== 12) {
    showErrors(form, summaryHost, [{ field: 'verify-code', text: 'Enter the 12 letters and numbers of the code' }]);
    return;
  }
  location.assign(`/verify/${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`);
});

const STATES = {
  valid: ['Genuine and in date', 'govuk-tag--green'],
  expired: ['Genuine, but expired', 'govuk-tag--orange'],
  revoked: ['Withdrawn', 'govuk-tag--red'],
};

async function check() {
  const code = decodeURIComponent(location.pathname.split('/')[2] || '');
  try {
    const answer = await apiFetch(`/api/verify/${encodeURIComponent(code)}`, { on401: 'throw' });
    const c = answer.certificate;
    const [text, modifier] = STATES[answer.state] || [answer.state, 'govuk-tag--grey'];
    const explain = answer.state === 'valid'
      ? 'This certificate was issued by Cairn and the training is in date.'
      : answer.state === 'expired'
        ? `This certificate was issued by Cairn, but the training expired on ${formatDate(c.expires)}.`
        : `This certificate was issued by Cairn but withdrawn on ${formatDate(c.revoked_at)}. It no longer counts.`;
    result.replaceChildren(
      el('p', { class: 'govuk-body-l' }, el('strong', { class: `govuk-tag cairn-tag--wide ${modifier}` }, text)),
      el('p', { class: 'govuk-body' }, explain),
      el('dl', { class: 'govuk-summary-list' },
        summaryRow('Name', c.name),
        summaryRow('Training', c.title),
        summaryRow('Completed on', c.completed_at ? formatDate(c.completed_at) : 'Not known'),
        summaryRow('Valid until', c.expires ? formatDate(c.expires) : 'No expiry date'),
        summaryRow('Recognised by', c.borough || 'Cairn'),
        summaryRow('Code', c.code)),
    );
    loading.hidden = true;
    result.hidden = false;
  } catch (error) {
    loading.hidden = true;
    const text = error.status === 404 ? 'No certificate has this code. Check it against the certificate.'
      : `The certificate could not be checked. ${error.message}`;
    showProblem(summaryHost, text);
  }
}

if (loading) check();
