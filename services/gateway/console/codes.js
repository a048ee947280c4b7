// Codes, beyond look-up and reset (console.js): the printable image (PNG or SVG at a print
// size), unbinding with a reason, the merchants' reset requests waiting for staff review
// (approve or reject), and scans of replaced codes.
import { api, el, session, may, showError, markField, grid, tr, when, reasonForm } from './console.js';

// Below a looked-up code: its image and the unbind form, for the roles that may.
export function codeTools(code, refresh) {
  const box = el('div', { id: 'code-tools' });
  const live = code.status === 'ACTIVE' || code.status === 'GRACE';
  if (may('printCode', session.role) && live) box.append(printable(code));
  if (may('unbindCode', session.role) && live) box.append(unbindForm(code, refresh));
  return box;
}

function printable(code) {
  const f = el('form', { id: 'print-form', class: 'card' }, el('h3', { text: 'Printable code' }));
  f.append(el('div', { class: 'filters' },
    el('label', {}, 'Format', el('select', { name: 'format' }, el('option', { value: 'svg', text: 'SVG' }),
      el('option', { value: 'png', text: 'PNG' }))),
    el('label', {}, 'Size', el('select', { name: 'size_px' },
      ...['600', '1200', '2400', '300'].map((v) => el('option', { value: v, text: `${v} px` })))),
    el('label', {}, 'Caption', el('input', { name: 'caption', maxlength: '40' })),
    el('button', { type: 'submit', text: 'Render' })));
  const out = el('div', { id: 'code-image' });
  const message = el('p', { role: 'alert' });
  f.append(message, out);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    const q = new URLSearchParams({ format: d.get('format'), size_px: d.get('size_px') });
    if (d.get('caption').trim()) q.set('caption', d.get('caption').trim());
    try {
      const img = await api('GET', `/v1/staff/codes/${encodeURIComponent(code.code_id)}/image?${q}`);
      // bytes arrive base64 (proto JSON): a data: URL, which the console's policy allows for images.
      const url = `data:${img.mime_type};base64,${img.data}`;
      const file = `code-${img.code_id}.${d.get('format')}`;
      out.replaceChildren(el('img', { src: url, alt: `code ${img.code_id}`, width: '240', id: 'code-image-preview' }),
        el('p', {}, el('a', { href: url, download: file, id: 'code-image-link', text: `Download ${file}` })));
      message.textContent = '';
    } catch (e) { showError(message)(e); markField(f, e); }
  });
  return f;
}

function unbindForm(code, refresh) {
  return reasonForm({ id: 'unbind-form', title: 'Unbind this code', button: 'Unbind', buttonId: 'unbind-button',
    note: 'The code stops paying for good; the terminal or store gets no replacement.', messageId: 'unbind-message',
    send: async (reason) => {
      await api('POST', `/v1/staff/codes/${encodeURIComponent(code.code_id)}:unbind`, { reason });
      await refresh();
    } });
}

// Merchants' reset requests that wait for staff (strong verification was impossible).
export async function resetQueue() {
  const box = el('section', { id: 'reset-queue' }, el('h2', { text: 'Reset requests waiting for review' }));
  const message = el('p', { id: 'reset-queue-message', role: 'alert' });
  const t = grid('reset-request-table', ['Request', 'Merchant', 'Code', 'Reason', 'Mode', 'Asked', '']);
  box.append(message, t);
  const load = async () => {
    t.tBodies[0].replaceChildren();
    const data = await api('GET', '/v1/staff/code-reset-requests?status=PENDING_REVIEW&page_size=100');
    for (const r of data.requests || []) t.tBodies[0].append(tr(r.request_id, r.merchant_id,
      el('span', { class: 'mono', text: r.code_id }), r.reason, r.mode, when(r.created_at), decide(r)));
    if (!(data.requests || []).length) t.tBodies[0].append(tr('none waiting'));
  };
  const decide = (r) => {
    const cell = el('span');
    if (!may('reviewReset', session.role)) return cell;
    const note = el('input', { name: 'reason', placeholder: 'reason', size: '18', maxlength: '200' });
    const button = (approve) => {
      const b = el('button', { type: 'button', class: 'small', 'data-review': approve ? 'approve' : 'reject',
        text: approve ? 'Approve' : 'Reject' });
      b.addEventListener('click', async () => {
        note.removeAttribute('aria-invalid');
        try {
          if (!approve && !note.value.trim()) {
            note.setAttribute('aria-invalid', 'true');
            throw new Error('reason: a rejection needs a reason');
          }
          const v = await api('POST', `/v1/staff/code-reset-requests/${encodeURIComponent(r.request_id)}:review`,
            { approve, reason: note.value.trim() });
          message.className = 'ok';
          message.textContent = `${r.request_id}: ${v.status}${v.new_code_id ? `, new code ${v.new_code_id}` : ''}.`;
          await load();
        } catch (e) { showError(message)(e); }
      });
      return b;
    };
    cell.append(note, ' ', button(true), ' ', button(false));
    return cell;
  };
  await load().catch(showError(message));
  return box;
}

// Payers who scanned a code after it was replaced: a merchant's, newest first.
export function replacedScans() {
  const form = el('form', { class: 'filters', id: 'scan-filters' },
    el('label', {}, 'Merchant', el('input', { name: 'merchant_id', required: '' })),
    el('button', { type: 'submit', text: 'Show scans' }));
  const message = el('p', { id: 'scan-message', role: 'status' });
  const t = grid('scan-table', ['At', 'Code', 'Terminal', 'Client']);
  const box = el('section', { id: 'replaced-scans' }, el('h2', { text: 'Scans of replaced codes' }), form, message, t);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    t.tBodies[0].replaceChildren();
    try {
      const q = new URLSearchParams({ merchant_id: new FormData(form).get('merchant_id').trim(), page_size: '100' });
      const data = await api('GET', `/v1/staff/code-alerts?${q}`);
      for (const a of data.alerts || []) {
        t.tBodies[0].append(tr(when(a.at), el('span', { class: 'mono', text: a.code_id }), a.terminal_sn, a.client));
      }
      message.className = '';
      message.textContent = `${data.total_scans_of_replaced_codes || 0} scans of replaced codes in all.`;
    } catch (e) { showError(message)(e); markField(form, e); }
  });
  return box;
}
