// The staff console: one page, routed on the client, calling /console/api/session and the staff
// REST routes under /v1/staff/. The server decides what each role may do; the menu only hides
// what the role would be refused anyway.

import { apiClient, el } from './pagekit.js';
import { renderPayments, paymentsCard } from './payments.js';
import { merchantDetail } from './merchant.js';
import { renderTerminals } from './terminals.js';
import { codeTools, resetQueue, replacedScans } from './codes.js';
import { settlementLines, reconciliations } from './settlement.js';
import { renderRisk } from './risk.js';

const $ = (sel) => document.querySelector(sel);
export let session = null; // {username, staff_id, role, csrf_token}

// Which roles each page is for ("admin" may use every page). Mirrors the (access) options of the
// RPCs each page calls.
const pages = {
  dashboard: { title: 'Dashboard', roles: ['operator', 'reviewer', 'finance', 'auditor'], render: renderDashboard },
  merchants: { title: 'Merchants', roles: ['operator', 'reviewer', 'finance', 'auditor'], render: renderMerchants },
  payments: { title: 'Payments', roles: ['operator', 'reviewer', 'finance', 'auditor'], render: renderPayments },
  terminals: { title: 'Terminals', roles: ['operator', 'reviewer', 'auditor'], render: renderTerminals },
  settlement: { title: 'Settlement', roles: ['finance', 'auditor'], render: renderSettlement },
  codes: { title: 'Codes', roles: ['operator', 'reviewer', 'auditor'], render: renderCodes },
  risk: { title: 'Risk', roles: ['reviewer', 'auditor'], render: renderRisk },
  audit: { title: 'Audit log', roles: ['auditor'], render: renderAudit },
};

// Actions within pages, by role (the RPC's (access) roles).
const actions = {
  resetCode: ['operator'],
  review: ['reviewer'],
  refund: ['operator', 'finance'],
  resendNotification: ['operator'],
  readNotifications: ['operator', 'finance', 'auditor'],
  freezeMerchant: ['reviewer'],
  readTerminals: ['operator', 'reviewer', 'auditor'],
  readCodes: ['operator', 'reviewer', 'auditor'],
  forceOffline: ['operator', 'reviewer'],
  freezeTerminal: ['operator', 'reviewer'],
  clearTerminal: ['operator'],
  unbindCode: ['operator'],
  printCode: ['operator'],
  reviewReset: ['reviewer'],
  releaseHeld: ['finance'],
  readSettlement: ['finance', 'auditor'],
  reviewAppeal: ['reviewer'],
  updateRule: ['reviewer'],
};

export function may(action, role) {
  return role === 'admin' || actions[action].includes(role);
}

// A pasted scan is the code's URL, <public_base_url>/c/<code_id>; a bare id is taken as is.
export function codeIdFrom(pasted) {
  const s = pasted.trim();
  try {
    const u = new URL(s);
    const m = /\/c\/([A-Za-z0-9_-]+)\/?$/.exec(u.pathname);
    return m ? m[1] : '';
  } catch {
    return /^[A-Za-z0-9_-]+$/.test(s) ? s : '';
  }
}

export function allowed(page, role) {
  return role === 'admin' || pages[page].roles.includes(role);
}

export const api = apiClient({
  csrf: () => session?.csrf_token,
  expired: () => { if (session) showSignIn('Your session has ended. Sign in again.'); },
  networkMessage: 'Network error; try again.',
});

// Times in the viewer's zone, with UTC on hover.
export function timeElement(iso) {
  const t = document.createElement('time');
  const d = new Date(iso);
  t.dateTime = d.toISOString();
  t.textContent = d.toLocaleString();
  t.title = d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return t;
}

export { el };

function showSignIn(message = '') {
  session = null;
  $('#page').hidden = true;
  $('#nav').hidden = true;
  $('#sign-out').hidden = true;
  $('#who').textContent = '';
  $('#sign-in').hidden = false;
  $('#sign-in-error').textContent = message;
  if (!location.pathname.endsWith('/console/')) history.replaceState(null, '', '/console/');
}

function showApp() {
  $('#sign-in').hidden = true;
  $('#who').textContent = `${session.username} (${session.role})`;
  $('#sign-out').hidden = false;
  const nav = $('#nav');
  nav.replaceChildren();
  for (const [name, p] of Object.entries(pages)) {
    if (!allowed(name, session.role)) continue;
    const a = el('a', { href: `/console/${name}`, 'data-page': name, text: p.title });
    a.addEventListener('click', (ev) => { ev.preventDefault(); go(name); });
    nav.append(a);
  }
  nav.hidden = false;
  const current = location.pathname.replace(/^\/console\/?/, '') || 'dashboard';
  go(pages[current] ? current : 'dashboard', true);
}

function go(name, replace = false) {
  if (!allowed(name, session.role)) name = 'dashboard';
  const url = `/console/${name}`;
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const page = $('#page');
  page.replaceChildren(el('h1', { text: pages[name].title }));
  page.hidden = false;
  page.dataset.page = name;
  pages[name].render(page).catch((e) => page.append(el('p', { class: 'error', role: 'alert', text: e.message })));
}

// What is waiting, for the roles that may see it. Counts stop at one page (100): "100+".
async function renderDashboard(page) {
  const cards = el('div', { class: 'cards', id: 'dashboard' });
  page.append(cards);
  const card = (id, title, value, note) => cards.append(el('div', { class: 'card', id },
    el('h2', { text: title }), el('p', { class: 'figure', text: value }), el('p', { text: note })));
  const role = session.role;
  const tasks = [];
  const count = (n, more) => `${n}${more ? '+' : ''}`;
  tasks.push((async () => {
    let n = 0;
    let more = false;
    for (const st of ['SUBMITTED', 'IN_REVIEW']) {
      const r = await api('GET', `/v1/staff/merchants?status=${st}&page_size=100`);
      n += (r.merchants || []).length;
      more = more || Boolean(r.next_page_token);
    }
    card('dash-applications', 'Applications waiting', count(n, more), 'submitted or in review');
  })());
  if (['admin', 'operator', 'reviewer', 'auditor'].includes(role)) {
    tasks.push((async () => {
      const r = await api('GET', '/v1/staff/code-reset-requests?status=PENDING_REVIEW&page_size=100');
      const n = (r.requests || []).length;
      card('dash-resets', 'Code reset requests waiting', count(n, n >= 100), 'pending staff review');
    })());
  }
  if (['admin', 'reviewer', 'auditor'].includes(role)) {
    tasks.push((async () => {
      const midnight = new Date();
      midnight.setHours(0, 0, 0, 0);
      const q = new URLSearchParams({ since: midnight.toISOString(), 'page.page_size': '100' });
      const r = await api('GET', `/v1/staff/risk/events?${q}`);
      const n = (r.events || []).length;
      card('dash-risk', 'Risk events today', count(n, Boolean(r.next_page_token)), 'since midnight, your time');
    })());
  }
  tasks.push(paymentsCard(card));
  const results = await Promise.allSettled(tasks);
  for (const r of results) {
    if (r.status === 'rejected') cards.append(el('p', { class: 'error', text: r.reason.message }));
  }
}

const resetReasons = ['DEVICE_LOST', 'ACCOUNT_BANNED', 'UNUSUAL_LOGIN', 'DAMAGED', 'CHANNEL_CHANGE',
  'RISK_CONTROL'];

function codeCard(code) {
  const dl = el('dl', { class: 'card', id: 'code-card' });
  const row = (k, v) => dl.append(el('dt', { text: k }), el('dd', {}, v));
  row('Code', code.code_id);
  row('Status', el('strong', { id: 'code-status', text: code.status }));
  row('Kind', code.kind);
  row('Merchant', code.merchant_id);
  row('Store', code.store_id || '—');
  row('Terminal', code.terminal_sn || '—');
  if (code.replaced_by) row('Replaced by', code.replaced_by);
  if (code.created_at) row('Issued', timeElement(code.created_at));
  return dl;
}

async function renderCodes(page) {
  const form = el('form', { class: 'filters', id: 'code-lookup' },
    el('label', {}, 'Scanned URL or code id', el('input', { name: 'code', size: '60', required: '' })),
    el('button', { type: 'submit', text: 'Look up' }));
  const message = el('p', { id: 'code-message', role: 'alert' });
  const detail = el('div', { id: 'code-detail' });
  page.append(form, message, detail);
  const input = form.querySelector('input');

  const show = async (id) => {
    detail.replaceChildren();
    const code = await api('GET', `/v1/staff/codes/${encodeURIComponent(id)}`);
    detail.append(codeCard(code));
    if (may('resetCode', session.role) && (code.status === 'ACTIVE' || code.status === 'GRACE')) {
      detail.append(resetForm(code));
    }
    const hist = await api('GET', `/v1/staff/codes/${encodeURIComponent(id)}/history`);
    const table = el('table', { id: 'code-history' }, el('thead', {}, el('tr', {},
      ...['At', 'Code', 'Event', 'Reason', 'Actor'].map((h) => el('th', { text: h })))), el('tbody'));
    for (const e of hist.entries || []) {
      table.tBodies[0].append(el('tr', {}, el('td', {}, e.at ? timeElement(e.at) : ''),
        el('td', { class: 'mono', text: e.code_id }), el('td', { text: e.event }),
        el('td', { text: e.reason || '' }), el('td', { text: e.actor || '' })));
    }
    detail.append(el('h2', { text: 'History' }), table);
    detail.append(codeTools(code, () => show(code.code_id)));
  };

  const resetForm = (code) => {
    const f = el('form', { id: 'reset-form', class: 'card' },
      el('h2', { text: 'Reset this code' }),
      el('label', {}, 'Reason', el('select', { name: 'reason' },
        ...resetReasons.map((r) => el('option', { value: r, text: r })))),
      el('label', {}, 'Mode', el('select', { name: 'mode' },
        el('option', { value: 'IMMEDIATE', text: 'IMMEDIATE: the old code stops now' }),
        el('option', { value: 'GRACEFUL', text: 'GRACEFUL: the old code works 24 h more' }))),
      el('button', { type: 'submit', id: 'reset-button', text: 'Reset' }));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      try {
        const r = await api('POST', '/v1/staff/codes:reset',
          { code: code.code_id, reason: d.get('reason'), mode: d.get('mode') });
        message.className = 'ok';
        message.textContent = `Replaced. New code ${r.new_code.code_id}: ${r.new_code.url}`;
        message.dataset.newCode = r.new_code.code_id;
        await show(code.code_id);
      } catch (e) { showError(message)(e); }
    });
    return f;
  };

  page.append(await resetQueue(), replacedScans());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    input.removeAttribute('aria-invalid');
    message.textContent = '';
    const id = codeIdFrom(input.value);
    if (!id) {
      input.setAttribute('aria-invalid', 'true');
      showError(message)(new Error('code: paste the scanned URL (…/c/<code id>) or a code id'));
      return;
    }
    try { await show(id); } catch (e) { showError(message)(e); }
  });
}

// The review queue: SUBMITTED and IN_REVIEW applications, keyset-paged like the API.
async function renderMerchants(page) {
  const form = el('form', { class: 'filters', id: 'merchant-filters' },
    el('label', {}, 'Status', el('select', { name: 'status' },
      ...['SUBMITTED', 'IN_REVIEW', 'REJECTED', 'ACTIVE', 'FROZEN', 'CLOSED', 'DRAFT']
        .map((v) => el('option', { value: v, text: v })))),
    el('button', { type: 'submit', text: 'Show' }));
  const open = el('form', { class: 'filters', id: 'merchant-open' },
    el('label', {}, 'Merchant id', el('input', { name: 'merchant_id', required: '' })),
    el('button', { type: 'submit', text: 'Open' }));
  open.addEventListener('submit', (ev) => {
    ev.preventDefault();
    showApplication(new FormData(open).get('merchant_id').trim()).catch(showError(message));
  });
  const message = el('p', { id: 'merchant-message', role: 'alert' });
  const table = el('table', { id: 'merchant-table' }, el('thead', {}, el('tr', {},
    ...['Merchant', 'Name', 'Kind', 'Status', 'Created'].map((h) => el('th', { text: h })))), el('tbody'));
  const more = el('button', { type: 'button', id: 'merchant-more', text: 'More…', hidden: '' });
  const detail = el('div', { id: 'application' });
  page.append(form, open, message, table, more, detail);
  let token = '';
  const load = async (reset) => {
    if (reset) { token = ''; table.tBodies[0].replaceChildren(); }
    const q = new URLSearchParams({ status: new FormData(form).get('status'), page_size: '20' });
    if (token) q.set('page_token', token);
    const data = await api('GET', `/v1/staff/merchants?${q}`);
    for (const m of data.merchants || []) {
      const link = el('a', { href: '#', 'data-merchant': m.merchant_id, text: m.merchant_id });
      link.addEventListener('click', (ev) => { ev.preventDefault(); showApplication(m.merchant_id).catch(showError(message)); });
      table.tBodies[0].append(el('tr', {}, el('td', {}, link), el('td', { text: m.display_name }),
        el('td', { text: m.kind }), el('td', { text: m.status }),
        el('td', {}, m.created_at ? timeElement(m.created_at) : '')));
    }
    token = data.next_page_token || '';
    more.hidden = !token;
  };
  const showApplication = async (id) => {
    const a = await api('GET', `/v1/staff/merchants/${encodeURIComponent(id)}/application`);
    const spec = a.spec || {};
    const dl = el('dl', { class: 'card' });
    const row = (k, v) => dl.append(el('dt', { text: k }), el('dd', {}, v));
    row('Merchant', a.merchant_id);
    row('Status', el('strong', { id: 'application-status', text: a.status }));
    row('Name', `${spec.display_name || ''} (${spec.legal_name || ''})`);
    row('Kind / plan', `${spec.kind || ''} / ${spec.plan_kind || ''}`);
    row('Licence', spec.business_licence_number || '—');
    row('Region / zone', `${spec.region || ''} / ${spec.time_zone || ''}`);
    const docs = el('table', { id: 'documents' }, el('thead', {}, el('tr', {},
      ...['Document', 'SHA-256', 'Bytes'].map((h) => el('th', { text: h })))), el('tbody'));
    for (const d of spec.documents || []) {
      docs.tBodies[0].append(el('tr', {}, el('td', { text: d.kind }),
        el('td', { class: 'mono', text: d.sha256 }), el('td', { text: d.size_bytes })));
    }
    detail.replaceChildren(el('h2', { text: 'Application' }), dl, el('h3', { text: 'Documents' }), docs);
    if (may('review', session.role) && (a.status === 'SUBMITTED' || a.status === 'IN_REVIEW')) {
      detail.append(reviewForm(a));
    }
    if (a.reviews?.length) {
      const h = grid('review-history', ['At', 'Action', 'From', 'To', 'Actor', 'Reason']);
      for (const r of a.reviews) h.tBodies[0].append(tr(when(r.at), r.action, r.from_status, r.to_status, r.actor, r.reason));
      detail.append(el('h3', { text: 'Application history' }), h);
    }
    detail.append(await merchantDetail(a.merchant_id, () => showApplication(a.merchant_id)));
  };
  const reviewForm = (a) => {
    const f = el('form', { id: 'review-form', class: 'card' },
      el('label', {}, 'Reason', el('input', { name: 'reason', maxlength: '500' })),
      el('button', { type: 'submit', value: 'approve', id: 'approve-button', text: 'Approve' }), ' ',
      el('button', { type: 'submit', value: 'reject', id: 'reject-button', text: 'Reject' }));
    const out = el('p', { id: 'review-message', role: 'alert' });
    f.append(out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const verb = ev.submitter?.value || 'approve';
      const reason = new FormData(f).get('reason').trim();
      const input = f.querySelector('[name=reason]');
      input.removeAttribute('aria-invalid');
      if (verb === 'reject' && !reason) {
        // Checked here and again by the merchant service.
        input.setAttribute('aria-invalid', 'true');
        showError(out)(new Error('reason: a rejection needs a reason the merchant can act on'));
        return;
      }
      const id = encodeURIComponent(a.merchant_id);
      try {
        if (a.status === 'SUBMITTED') {
          a.status = (await api('POST', `/v1/staff/merchants/${id}:start-review`, {})).status;
        }
        const r = await api('POST', `/v1/staff/merchants/${id}:${verb}`, { reason });
        out.className = 'ok';
        out.textContent = `${verb === 'approve' ? 'Approved' : 'Rejected'}: now ${r.status}.`;
        await showApplication(a.merchant_id);
        detail.append(el('p', { class: 'ok', id: 'review-done', text: `Now ${r.status}.` }));
      } catch (e) {
        showError(out)(e);
        const input = e.field === 'reason' && f.querySelector('[name=reason]');
        if (input) input.setAttribute('aria-invalid', 'true');
      }
    });
    return f;
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(true).catch(showError(message)); });
  more.addEventListener('click', () => load(false).catch(showError(message)));
  await load(true);
}

// "CNY:12345" (minor units) -> "CNY 123.45": amounts in major units with their currency.
export const exponents = { JPY: 0, KRW: 0 };
export function formatMinor(currency, minor) {
  const exp = exponents[currency] ?? 2;
  const n = BigInt(minor);
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp).replace(/\B(?=(\d{3})+$)/g, ',');
  const frac = exp ? `.${digits.slice(-exp)}` : '';
  return `${currency} ${neg ? '-' : ''}${whole}${frac}`;
}

async function renderSettlement(page) {
  const form = el('form', { class: 'filters', id: 'batch-filters' },
    el('label', {}, 'Business date', el('input', { name: 'date', type: 'date' })),
    el('button', { type: 'submit', text: 'Show batches' }));
  const message = el('p', { id: 'settlement-message', role: 'alert' });
  const table = el('table', { id: 'batch-table' }, el('thead', {}, el('tr', {},
    ...['Batch', 'Cycle', 'Date', 'Shard', 'Status', 'Lines', 'Payouts', 'Total', 'Finished']
      .map((h) => el('th', { text: h })))), el('tbody'));
  const st = el('form', { class: 'filters', id: 'statement-form' },
    el('label', {}, 'Merchant', el('input', { name: 'merchant_id', required: '' })),
    el('label', {}, 'Business date', el('input', { name: 'date', type: 'date', required: '' })),
    el('button', { type: 'submit', text: 'Download statement' }));
  const stMessage = el('p', { id: 'statement-message', role: 'alert' });
  page.append(form, message, table, el('h2', { text: 'Statements' }), st, stMessage,
    settlementLines(), reconciliations());
  const load = async () => {
    table.tBodies[0].replaceChildren();
    const q = new URLSearchParams({ page_size: '50' });
    const date = new FormData(form).get('date');
    if (date) q.set('date', date);
    const data = await api('GET', `/v1/staff/settlement/batches?${q}`);
    for (const b of data.batches || []) {
      const totals = (b.payout_totals || []).map((t) => {
        const [cur, minor] = t.split(':');
        return formatMinor(cur, minor);
      }).join(', ');
      table.tBodies[0].append(el('tr', {}, el('td', { text: b.batch_id }), el('td', { text: b.cycle }),
        el('td', { text: b.business_date }), el('td', { text: b.shard }), el('td', { text: b.status }),
        el('td', { text: b.lines }), el('td', { text: b.payouts }), el('td', { class: 'amount', text: totals }),
        el('td', {}, b.finished_at ? timeElement(b.finished_at) : '')));
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load().catch(showError(message)); });
  st.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = new FormData(st);
    for (const i of st.querySelectorAll('input')) i.removeAttribute('aria-invalid');
    try {
      const s = await api('GET', `/v1/staff/merchants/${encodeURIComponent(d.get('merchant_id'))}` +
        `/settlements/${encodeURIComponent(d.get('date'))}/statement`);
      // A download made in the page: the CSV never leaves the signed-in session's responses.
      const url = URL.createObjectURL(new Blob([s.csv], { type: 'text/csv' }));
      const a = el('a', { href: url, download: `statement-${s.merchant_id}-${s.date}.csv`, id: 'statement-link',
        text: `statement-${s.merchant_id}-${s.date}.csv` });
      stMessage.className = 'ok';
      stMessage.replaceChildren('Statement ready: ', a);
      a.click();
    } catch (e) {
      showError(stMessage)(e);
      const input = e.field && st.querySelector(`[name="${e.field}"]`);
      if (input) input.setAttribute('aria-invalid', 'true');
    }
  });
  await load();
}

async function renderAudit(page) {
  const form = el('form', { class: 'filters', id: 'audit-filters' },
    el('label', {}, 'Actor', el('input', { name: 'actor', placeholder: 'staff:alice' })),
    el('label', {}, 'Action', el('input', { name: 'action', placeholder: '/aggpay.v1.BindingService/ResetCode' })),
    el('button', { type: 'submit', text: 'Filter' }),
    el('button', { type: 'button', id: 'verify-chain', text: 'Verify chain' }));
  const result = el('p', { id: 'verify-result', role: 'status' });
  const table = el('table', { id: 'audit-table' },
    el('thead', {}, el('tr', {}, ...['#', 'At', 'Actor', 'Role', 'Action', 'Target', 'Outcome', 'Details']
      .map((h) => el('th', { text: h })))), el('tbody'));
  const more = el('button', { type: 'button', id: 'audit-more', text: 'Older entries…' });
  page.append(form, result, table, more);
  let after = 0;
  const load = async (reset) => {
    if (reset) { after = 0; table.tBodies[0].replaceChildren(); }
    const q = new URLSearchParams({ after_seq: String(after), page_size: '50' });
    const f = new FormData(form);
    if (f.get('actor')) q.set('actor', f.get('actor'));
    if (f.get('action')) q.set('action', f.get('action'));
    const data = await api('GET', `/v1/staff/audit?${q}`);
    for (const e of data.entries || []) {
      table.tBodies[0].append(el('tr', {},
        el('td', { text: e.seq }), el('td', {}, timeElement(e.at)), el('td', { text: e.actor }),
        el('td', { text: e.role }), el('td', { class: 'mono', text: e.action }),
        el('td', { text: e.target }), el('td', { text: e.outcome }), el('td', { text: e.details })));
    }
    // Keyset paging: the next page starts after the last entry seen.
    after = Number(data.next_after_seq || after);
    more.hidden = (data.entries || []).length < 50;
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(true).catch(showError(result)); });
  more.addEventListener('click', () => load(false).catch(showError(result)));
  form.querySelector('#verify-chain').addEventListener('click', async () => {
    try {
      const v = await api('POST', '/v1/staff/audit:verify', {});
      result.className = v.ok ? 'ok' : 'error';
      result.textContent = v.ok
        ? `Chain intact: ${v.entries_checked} entries checked.`
        : `Chain broken at entry ${v.first_broken_seq}: ${v.problem}`;
    } catch (e) { showError(result)(e); }
  });
  await load(true);
}

export const showError = (target) => (e) => { target.className = 'error'; target.textContent = e.message; };

// The input a service's error names ("reason: is required") is marked invalid.
export function markField(form, e) {
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  const input = e.field && form.querySelector(`[name="${e.field.split('.')[0]}"]`);
  if (input) input.setAttribute('aria-invalid', 'true');
}

// A table with a header row; rows are appended to its tBodies[0].
export function grid(id, headers) {
  return el('table', { id }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { text: h })))),
    el('tbody'));
}

export function tr(...cells) {
  return el('tr', {}, ...cells.map((c) => (c instanceof Node ? el('td', {}, c) : el('td', { text: c ?? '' }))));
}

// A definition list card: [[label, value], ...].
export function infoCard(id, pairs) {
  const dl = el('dl', { class: 'card', id });
  for (const [k, v] of pairs) dl.append(el('dt', { text: k }), el('dd', {}, v ?? '—'));
  return dl;
}

// Keyset pages into a table: `fetchPage(token)` answers {items, next}; "More…" asks for the next
// page while there is one. Returns the button (to place under the table) and the first load.
export function pager(table, id, fetchPage, toRow) {
  const button = el('button', { type: 'button', class: 'small', id, text: 'More…', hidden: '' });
  const message = el('span', { role: 'alert' });
  let token = '';
  const load = async () => {
    const { items, next } = await fetchPage(token);
    for (const x of items || []) table.tBodies[0].append(toRow(x));
    token = next || '';
    button.hidden = !token;
  };
  button.addEventListener('click', () => load().catch(showError(message)));
  return { more: el('div', {}, button, ' ', message), load };
}

// A card with one required reason and one button: `send(reason)` runs when the reason is there;
// the reason is checked here and again by the service, and an error names the field.
export function reasonForm({ id, title, note, button, buttonId, messageId, maxlength = '200', send }) {
  const f = el('form', { id, class: 'card', novalidate: '' }, el('h3', { text: title }), el('p', { text: note }),
    el('label', {}, 'Reason', el('input', { name: 'reason', maxlength, required: '' })),
    el('button', { type: 'submit', id: buttonId, text: button }));
  const out = el('p', { id: messageId, role: 'alert' });
  f.append(out);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = new FormData(f).get('reason').trim();
    try {
      if (!reason) throw Object.assign(new Error('reason: is required'), { field: 'reason' });
      await send(reason);
    } catch (e) { showError(out)(e); markField(f, e); }
  });
  return f;
}

export const money = (m) => (m && m.currency ? formatMinor(m.currency, m.amount_minor || '0') : '—');
export const when = (iso) => (iso ? timeElement(iso) : '—');

async function signIn(ev) {
  ev.preventDefault();
  const form = ev.target;
  for (const i of form.querySelectorAll('input')) i.removeAttribute('aria-invalid');
  const f = new FormData(form);
  try {
    session = await api('POST', '/console/api/session', {
      username: f.get('username'), password: f.get('password'), totp_code: f.get('totp_code'),
    });
    form.reset();
    showApp();
  } catch (e) {
    session = null;
    $('#sign-in-error').textContent = e.message;
    const input = e.field && form.querySelector(`[name="${e.field}"]`);
    if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
  }
}

async function signOut() {
  try { await api('DELETE', '/console/api/session'); } finally { showSignIn('Signed out.'); }
}

async function start() {
  $('#sign-in-form').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', signOut);
  window.addEventListener('popstate', () => {
    const name = location.pathname.replace(/^\/console\/?/, '') || 'dashboard';
    if (session && pages[name]) go(name, true);
  });
  try {
    const s = await api('GET', '/console/api/session');
    if (s.signed_in) { session = s; showApp(); } else showSignIn();
  } catch (e) {
    showSignIn(e.message);
  }
}

start();
