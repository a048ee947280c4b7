// Payments: a merchant's payments (keyset-paged, by status and business date), one payment with
// its refunds, ledger postings and notifications; refunds (with a reason and a confirm step)
// and re-sent notifications for the roles that may. And the dashboard's "today".
import {
  api, el, session, may, showError, markField, grid, tr, infoCard, money, when, formatMinor, exponents,
} from './console.js';

// "12.34" in CNY -> "1234" (minor units, as a string: never through a float). Errors name the
// field, as the services' do.
export function parseMajor(currency, text, field = 'amount') {
  const exp = exponents[currency] ?? 2;
  const s = String(text).trim().replace(/,/g, '');
  const m = exp ? /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(s) : /^(\d{1,14})$/.exec(s);
  if (!m || (exp && m[2] && m[2].length > exp)) {
    throw Object.assign(new Error(`${field}: a positive amount in ${currency}, at most ${exp} decimals`), { field });
  }
  const minor = BigInt(m[1]) * 10n ** BigInt(exp) + BigInt((m[2] || '').padEnd(exp, '0') || '0');
  if (minor <= 0n) throw Object.assign(new Error(`${field}: must be more than zero`), { field });
  return minor.toString();
}

// Today in the viewer's zone: the dashboard card (count and amount per currency).
export async function paymentsCard(card) {
  if (!['admin', 'operator', 'reviewer', 'finance', 'auditor'].includes(session.role)) return;
  const from = new Date();
  from.setHours(0, 0, 0, 0);
  const to = new Date(from);
  to.setDate(to.getDate() + 1);
  const q = new URLSearchParams({ created_from: from.toISOString(), created_to: to.toISOString() });
  const s = await api('GET', `/v1/staff/payment-summary?${q}`);
  const paid = (s.succeeded || []).map((t) => `${t.payments} paid, ${formatMinor(t.currency, t.amount_minor)}`);
  card('dash-payments', 'Payments today', String(s.created || 0),
    paid.length ? paid.join('; ') : 'none paid yet (since midnight, your time)');
}

export async function renderPayments(page) {
  const form = el('form', { class: 'filters', id: 'payment-filters' },
    el('label', {}, 'Merchant', el('input', { name: 'merchant_id', required: '' })),
    el('label', {}, 'Status', el('select', { name: 'status' }, el('option', { value: '', text: 'any' }),
      ...['SUCCESS', 'CREATED', 'PAYING', 'FAILED', 'CLOSED', 'UNKNOWN'].map((v) => el('option', { value: v, text: v })))),
    el('label', {}, 'Business date', el('input', { name: 'business_date', type: 'date' })),
    el('button', { type: 'submit', text: 'Search' }));
  const open = el('form', { class: 'filters', id: 'payment-open' },
    el('label', {}, 'Payment id', el('input', { name: 'payment_id', required: '', size: '30' })),
    el('button', { type: 'submit', text: 'Open' }));
  const message = el('p', { id: 'payment-message', role: 'alert' });
  const list = grid('payment-table', ['Payment', 'Created', 'Status', 'Amount', 'Refunded', 'Wallet', 'Store', 'Order no']);
  const more = el('button', { type: 'button', id: 'payment-more', text: 'More…', hidden: '' });
  const detail = el('div', { id: 'payment-detail' });
  page.append(form, open, message, list, more, detail);
  let token = '';
  const load = async (reset) => {
    if (reset) { token = ''; list.tBodies[0].replaceChildren(); }
    const f = new FormData(form);
    const q = new URLSearchParams({ merchant_id: f.get('merchant_id').trim(), page_size: '20' });
    if (f.get('status')) q.set('status', f.get('status'));
    if (f.get('business_date')) q.set('business_date', f.get('business_date'));
    if (token) q.set('page_token', token);
    const data = await api('GET', `/v1/staff/payments?${q}`);
    for (const p of data.payments || []) {
      const link = el('a', { href: '#', 'data-payment': p.payment_id, text: p.payment_id });
      link.addEventListener('click', (ev) => { ev.preventDefault(); show(p.payment_id).catch(showError(message)); });
      list.tBodies[0].append(tr(link, when(p.created_at), p.status, money(p.amount), money(p.refunded),
        p.wallet, p.store_id, p.out_trade_no));
    }
    token = data.next_page_token || '';
    more.hidden = !token;
  };
  const show = async (id) => {
    message.textContent = '';
    const p = await api('GET', `/v1/staff/payments/${encodeURIComponent(id)}`);
    const ledger = await api('GET', `/v1/staff/payments/${encodeURIComponent(id)}/ledger`);
    detail.replaceChildren(el('h2', { text: `Payment ${p.payment_id}` }), infoCard('payment-card', [
      ['Status', el('strong', { id: 'payment-status', text: p.status })],
      ['Merchant', p.merchant_id], ['Store / terminal', `${p.store_id || '—'} / ${p.terminal_sn || '—'}`],
      ['Flow / wallet', `${p.flow} / ${p.wallet}`], ['Order no', p.out_trade_no],
      ['Amount', el('span', { id: 'payment-amount', text: money(p.amount) })], ['Fee', money(p.fee)],
      ['Refunded', el('span', { id: 'payment-refunded', text: `${money(p.refunded)} in ${p.refund_count || 0} refund(s)` })],
      ['Business date', p.business_date], ['Created', when(p.created_at)], ['Paid', when(p.paid_at)],
      ['Channel txn', p.channel_txn_id], ['Risk', `${p.risk_decision || ''}${p.risk_event_id && p.risk_event_id !== '0' ? ` (event ${p.risk_event_id})` : ''}`],
    ]));
    const refunds = grid('refund-table', ['Refund', 'Created', 'Status', 'Amount', 'Fee returned', 'Refund no', 'Succeeded']);
    for (const r of ledger.refunds || []) {
      refunds.tBodies[0].append(tr(r.refund_id, when(r.created_at), r.status, money(r.amount),
        money(r.fee_returned), r.out_refund_no, when(r.succeeded_at)));
    }
    detail.append(el('h3', { text: 'Refunds' }), refunds);
    if (may('refund', session.role) && p.status === 'SUCCESS') detail.append(refundForm(p));
    const postings = grid('posting-table', ['Txn', 'At', 'Kind', 'Ref', 'Posting', 'Account', 'Debit', 'Credit']);
    for (const t of ledger.transactions || []) {
      for (const e of t.entries || []) {
        const n = BigInt(e.amount_minor);
        postings.tBodies[0].append(tr(t.txn_id, when(t.created_at), t.kind, t.ref_id, e.posting_kind,
          el('span', { class: 'mono', text: e.account }),
          n > 0n ? formatMinor(e.currency, n) : '', n < 0n ? formatMinor(e.currency, -n) : ''));
      }
    }
    detail.append(el('h3', { text: 'Ledger postings' }), postings);
    if (may('readNotifications', session.role)) {
      detail.append(el('h3', { text: 'Notifications' }),
        await notifications(p.merchant_id, [p.payment_id, ...(ledger.refunds || []).map((r) => r.refund_id)]));
    }
  };
  const refundForm = (p) => {
    // One refund number per form: the same confirm sent twice is one refund.
    const refundNo = `cs${crypto.getRandomValues(new Uint32Array(3)).join('').slice(0, 24)}`;
    const f = el('form', { id: 'refund-form', class: 'card', novalidate: '' },
      el('h3', { text: 'Refund' }),
      el('label', {}, `Amount (${p.amount.currency})`, el('input', { name: 'amount', inputmode: 'decimal', required: '' })),
      el('label', {}, 'Reason', el('input', { name: 'reason', maxlength: '200', required: '' })),
      el('button', { type: 'submit', id: 'refund-button', text: 'Refund…' }));
    const confirm = el('div', { id: 'refund-confirm', hidden: '' });
    const out = el('p', { id: 'refund-message', role: 'alert' });
    f.append(confirm, out);
    let pending = null;
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      out.textContent = '';
      const d = new FormData(f);
      try {
        const reason = d.get('reason').trim();
        const amount = parseMajor(p.amount.currency, d.get('amount'));
        if (!reason) throw Object.assign(new Error('reason: say why the payer is refunded'), { field: 'reason' });
        markField(f, {});
        pending = { amount: { currency: p.amount.currency, amount_minor: amount }, reason, out_refund_no: refundNo };
        const yes = el('button', { type: 'button', id: 'refund-confirm-button', text: 'Confirm refund' });
        const no = el('button', { type: 'button', class: 'secondary', text: 'Cancel' });
        confirm.replaceChildren(el('p', { text: `Refund ${formatMinor(p.amount.currency, amount)} of ${money(p.amount)} to the payer of ${p.payment_id}?` }), yes, ' ', no);
        confirm.hidden = false;
        no.addEventListener('click', () => { confirm.hidden = true; pending = null; });
        yes.addEventListener('click', async () => {
          if (!pending) return;
          yes.disabled = true;
          try {
            const r = await api('POST', `/v1/staff/payments/${encodeURIComponent(p.payment_id)}/refunds`, pending);
            pending = null;
            await show(p.payment_id);
            detail.querySelector('#refund-table').insertAdjacentElement('beforebegin',
              el('p', { class: 'ok', id: 'refund-done', text: `Refund ${r.refund_id}: ${r.status}, ${money(r.amount)}.` }));
          } catch (e) {
            yes.disabled = false;
            showError(out)(e);
            markField(f, e);
          }
        });
      } catch (e) {
        showError(out)(e);
        markField(f, e);
      }
    });
    return f;
  };
  const notifications = async (merchant, refs) => {
    const t = grid('notification-table', ['#', 'Event', 'Ref', 'Status', 'Attempts', 'Last HTTP', 'Last error', 'Next attempt', 'Delivered', '']);
    for (const ref of refs) {
      const q = new URLSearchParams({ merchant_id: merchant, ref_id: ref, page_size: '20' });
      const data = await api('GET', `/v1/staff/notifications?${q}`);
      for (const n of data.notifications || []) {
        const cell = el('span');
        if (may('resendNotification', session.role)) {
          const b = el('button', { type: 'button', class: 'small', 'data-resend': n.notification_id, text: 'Re-send' });
          b.addEventListener('click', async () => {
            try {
              const r = await api('POST', `/v1/staff/notifications/${n.notification_id}:resend`, {});
              cell.replaceChildren(el('span', { class: 'ok', text: `queued (${r.status})` }));
            } catch (e) { showError(cell)(e); }
          });
          cell.append(b);
        }
        t.tBodies[0].append(tr(n.notification_id, n.event, n.ref_id, n.status, n.attempts || 0,
          n.last_http_status || '', n.last_error, when(n.next_attempt_at), when(n.delivered_at), cell));
      }
    }
    return t;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(true).catch((e) => { showError(message)(e); markField(form, e); });
  });
  open.addEventListener('submit', (ev) => {
    ev.preventDefault();
    show(new FormData(open).get('payment_id').trim()).catch((e) => { showError(message)(e); markField(open, e); });
  });
  more.addEventListener('click', () => load(false).catch(showError(message)));
}
