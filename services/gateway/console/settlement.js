// Settlement, beyond batches and statements (console.js): the lines of a day or of a status
// (HELD lines of every day, with their release for finance), and reconciliation results.
import { api, el, session, may, showError, markField, grid, tr, when, formatMinor } from './console.js';

export function settlementLines() {
  const form = el('form', { class: 'filters', id: 'line-filters', novalidate: '' },
    el('label', {}, 'Business date', el('input', { name: 'date', type: 'date' })),
    el('label', {}, 'Merchant', el('input', { name: 'merchant_id' })),
    el('label', {}, 'Status', el('select', { name: 'status' }, el('option', { value: '', text: 'any' }),
      ...['HELD', 'PAID', 'CARRIED'].map((v) => el('option', { value: v, text: v })))),
    el('button', { type: 'submit', text: 'Show lines' }));
  const message = el('p', { id: 'line-message', role: 'alert' });
  const t = grid('line-table', ['Line', 'Batch', 'Cycle', 'Date', 'Merchant', 'Payments', 'Gross', 'Refunds', 'Fees',
    'Net', 'Status', 'Payout date', '']);
  const more = el('button', { type: 'button', id: 'line-more', text: 'More…', hidden: '' });
  const box = el('section', { id: 'settlement-lines' }, el('h2', { text: 'Lines' }), form, message, t, more);
  const pageSize = 100;
  let after = 0;
  const release = (l) => {
    const b = el('button', { type: 'button', class: 'small', 'data-release': l.merchant_id, text: 'Release held' });
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        const r = await api('POST', `/v1/staff/merchants/${encodeURIComponent(l.merchant_id)}/settlements:release-held`, {});
        await load(true);
        message.className = 'ok';
        message.textContent = r.batch_id && r.batch_id !== '0'
          ? `Released ${(r.released || []).length} line(s) of ${l.merchant_id} in batch ${r.batch_id}.`
          : `${l.merchant_id} had nothing held that may be released (still frozen?).`;
      } catch (e) { b.disabled = false; showError(message)(e); }
    });
    return b;
  };
  const load = async (reset) => {
    if (reset) { after = 0; t.tBodies[0].replaceChildren(); }
    const f = new FormData(form);
    const q = new URLSearchParams({ page_size: String(pageSize), after_line_id: String(after) });
    for (const k of ['date', 'merchant_id', 'status']) if (f.get(k)?.trim()) q.set(k, f.get(k).trim());
    const data = await api('GET', `/v1/staff/settlement/lines?${q}`);
    const lines = data.lines || [];
    for (const l of lines) {
      const m = (n) => formatMinor(l.currency, n || '0');
      t.tBodies[0].append(tr(l.line_id, l.batch_id, l.cycle, l.business_date, l.merchant_id, l.payments || 0,
        m(l.gross), m(l.refunds), m(l.fees), m(l.net), el('strong', { text: l.status }), l.payout_date,
        l.status === 'HELD' && may('releaseHeld', session.role) ? release(l) : ''));
    }
    // Keyset: the next page starts after the last line seen.
    if (lines.length) after = lines[lines.length - 1].line_id;
    more.hidden = lines.length < pageSize;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    message.textContent = '';
    load(true).catch((e) => { showError(message)(e); markField(form, e); });
  });
  more.addEventListener('click', () => load(false).catch(showError(message)));
  return box;
}

export function reconciliations() {
  const form = el('form', { class: 'filters', id: 'recon-filters', novalidate: '' },
    el('label', {}, 'Channel', el('input', { name: 'channel', value: 'sandbox' })),
    el('label', {}, 'Date', el('input', { name: 'date', type: 'date' })),
    el('button', { type: 'submit', text: 'Show reconciliations' }));
  const message = el('p', { id: 'recon-message', role: 'alert' });
  const t = grid('recon-table', ['#', 'Channel', 'Date', 'Result', 'Bill rows', 'Matched', 'Missing ours',
    'Missing channel', 'Differs', 'Fees agree', 'At']);
  const rows = el('div', { id: 'recon-rows' });
  const box = el('section', { id: 'reconciliations' }, el('h2', { text: 'Reconciliation' }), form, message, t, rows);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    t.tBodies[0].replaceChildren();
    rows.replaceChildren();
    const f = new FormData(form);
    const q = new URLSearchParams();
    for (const k of ['channel', 'date']) if (f.get(k)?.trim()) q.set(k, f.get(k).trim());
    try {
      const data = await api('GET', `/v1/staff/settlement/reconciliations?${q}`);
      for (const r of data.reconciliations || []) {
        const link = el('a', { href: '#', 'data-recon': r.reconciliation_id, text: r.reconciliation_id });
        link.addEventListener('click', (e) => { e.preventDefault(); showRows(r); });
        t.tBodies[0].append(tr(link, r.channel, r.date, el('strong', { text: r.result }), r.bill_rows || 0,
          r.matched || 0, r.missing_ours || 0, r.missing_channel || 0, r.differs || 0,
          r.fee_totals_agree ? 'yes' : 'no', when(r.created_at)));
      }
      if (!(data.reconciliations || []).length) message.textContent = 'No reconciliation matches.';
    } catch (e) { showError(message)(e); markField(form, e); }
  });
  const showRows = (r) => {
    const items = grid('recon-items', ['Kind', 'Type', 'Ours', 'Channel ref', 'Our amount (minor units)', 'Channel amount (minor units)',
      'Our status', 'Channel status', 'Detail']);
    for (const i of r.items || []) {
      items.tBodies[0].append(tr(i.kind, i.ref_type, i.ref_id, i.channel_ref, i.our_amount || 0,
        i.channel_amount || 0, i.our_status, i.channel_status, i.detail));
    }
    if (!(r.items || []).length) items.tBodies[0].append(tr('no differences'));
    rows.replaceChildren(el('h3', { text: `Rows of reconciliation ${r.reconciliation_id} (${r.bill_sha256 || ''})` }), items);
  };
  return box;
}
