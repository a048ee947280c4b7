// One merchant: its profile, stores, terminals, codes and fee plan (below its application, its
// documents' hashes and its review history, in console.js), and freeze / unfreeze with a reason
// for the roles that may.
import { api, el, session, may, grid, tr, infoCard, money, when, reasonForm, pager } from './console.js';

const ppm = (n) => (n === undefined || n === null ? '—' : `${(Number(n) / 10000).toFixed(2)}%`);

export async function merchantDetail(id, refresh) {
  const box = el('section', { id: 'merchant-detail' });
  const enc = encodeURIComponent(id);
  const m = await api('GET', `/v1/staff/merchants/${enc}`);
  box.append(el('h2', { text: `Merchant ${m.merchant_id}` }), infoCard('merchant-card', [
    ['Status', el('strong', { id: 'merchant-status', text: m.status })],
    ['Name', `${m.display_name} (${m.legal_name})`], ['Kind', m.kind],
    ['Currency / zone / region', `${m.home_currency} / ${m.time_zone} / ${m.region}`],
    ['Phone', m.contact_phone], ['Created', when(m.created_at)],
  ]));
  if (may('freezeMerchant', session.role) && (m.status === 'ACTIVE' || m.status === 'FROZEN')) {
    box.append(freezeForm(m, refresh));
  }
  const sections = [];
  sections.push((async () => {
    const s = await api('GET', `/v1/staff/merchants/${enc}/stores`);
    const t = grid('store-table', ['Store', 'Name', 'Address', 'Created']);
    for (const st of s.stores || []) t.tBodies[0].append(tr(st.store_id, st.name, st.address, when(st.created_at)));
    return [el('h3', { text: 'Stores' }), t];
  })());
  // Terminals and codes, 20 at a time (keyset pages, as the APIs are).
  const paged = (title, id, path, key, headers, toRow) => sections.push((async () => {
    const t = grid(id, headers);
    const p = pager(t, `${id}-more`, async (token) => {
      const q = new URLSearchParams({ merchant_id: m.merchant_id, page_size: '20' });
      if (token) q.set('page_token', token);
      const data = await api('GET', `${path}?${q}`);
      return { items: data[key], next: data.next_page_token };
    }, toRow);
    await p.load();
    return [el('h3', { text: title }), t, p.more];
  })());
  if (may('readTerminals', session.role)) {
    paged('Terminals', 'merchant-terminals', '/v1/staff/terminals', 'terminals',
      ['Terminal', 'Store', 'Type', 'Version', 'Status', 'Last check-in'],
      (x) => tr(x.terminal_sn, x.store_id, x.type, x.client_version, x.status, when(x.last_check_in_at)));
  }
  if (may('readCodes', session.role)) {
    paged('Codes', 'merchant-codes', '/v1/staff/codes', 'codes', ['Code', 'Kind', 'Status', 'Store', 'Terminal', 'Issued'],
      (c) => tr(el('span', { class: 'mono', text: c.code_id }), c.kind, c.status, c.store_id, c.terminal_sn,
        when(c.created_at)));
  }
  sections.push((async () => {
    const a = await api('GET', `/v1/staff/merchants/${enc}/fee-plan`);
    const p = a.plan || {};
    return [el('h3', { text: 'Fee plan' }), infoCard('fee-plan', [
      ['Plan', `${a.plan_id} v${p.version || ''}`], ['Since', when(a.effective_from)],
      ['Settlement', p.settlement], ['WeChat / Alipay / UnionPay',
        `${ppm(p.wechat_rate_ppm)} / ${ppm(p.alipay_rate_ppm)} / ${ppm(p.unionpay_rate_ppm)}`],
      ['Cap / minimum', `${money(p.cap)} / ${money(p.min)}`],
    ])];
  })());
  for (const r of await Promise.allSettled(sections)) {
    if (r.status === 'fulfilled') box.append(...r.value);
    // A merchant not yet approved has no plan: said, not thrown.
    else box.append(el('p', { class: 'error', text: r.reason.message }));
  }
  return box;
}

function freezeForm(m, refresh) {
  const freeze = m.status !== 'FROZEN';
  const verb = freeze ? 'freeze' : 'unfreeze';
  return reasonForm({ id: 'freeze-form', title: freeze ? 'Freeze this merchant' : 'Unfreeze this merchant',
    note: freeze ? 'Its codes stop collecting at once; settlement holds its lines.' : 'Its codes collect again.',
    button: freeze ? 'Freeze' : 'Unfreeze', buttonId: `${verb}-button`, messageId: 'freeze-message', maxlength: '500',
    send: async (reason) => {
      const r = await api('POST', `/v1/staff/merchants/${encodeURIComponent(m.merchant_id)}:${verb}`, { reason });
      await refresh();
      document.querySelector('#merchant-detail')?.prepend(el('p', { class: 'ok', id: 'freeze-done', text: `Now ${r.status}.` }));
    } });
}
