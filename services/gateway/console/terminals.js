// Terminals: search by merchant, store, status and client version (keyset-paged); force
// offline, freeze / unfreeze and clear, with a reason, for the roles that may.
import { api, el, session, may, showError, markField, grid, tr, when } from './console.js';

export async function renderTerminals(page) {
  const form = el('form', { class: 'filters', id: 'terminal-filters' },
    el('label', {}, 'Merchant', el('input', { name: 'merchant_id' })),
    el('label', {}, 'Store', el('input', { name: 'store_id' })),
    el('label', {}, 'Status', el('select', { name: 'status' }, el('option', { value: '', text: 'any' }),
      ...['ACTIVE', 'OFFLINE', 'FROZEN', 'REGISTERED', 'RETIRED'].map((v) => el('option', { value: v, text: v })))),
    el('label', {}, 'Version below', el('input', { name: 'version_below', placeholder: '2.4.0', size: '8' })),
    el('button', { type: 'submit', text: 'Search' }));
  const actions = ['forceOffline', 'freezeTerminal', 'clearTerminal'].some((a) => may(a, session.role));
  const reasonBox = el('label', { id: 'terminal-reason' }, 'Reason for an action',
    el('input', { name: 'reason', maxlength: '200', size: '40' }));
  reasonBox.hidden = !actions;
  const message = el('p', { id: 'terminal-message', role: 'alert' });
  const list = grid('terminal-table', ['Terminal', 'Merchant', 'Store', 'Type', 'Version', 'Status', 'Last check-in', '']);
  const more = el('button', { type: 'button', id: 'terminal-more', text: 'More…', hidden: '' });
  page.append(form, reasonBox, message, list, more);
  let token = '';
  const reason = () => reasonBox.querySelector('input').value.trim();
  const act = async (t, path, label) => {
    const input = reasonBox.querySelector('input');
    input.removeAttribute('aria-invalid');
    if (!reason()) {
      input.setAttribute('aria-invalid', 'true');
      throw new Error('reason: say why (it goes to the audit log)');
    }
    const r = await api('POST', `/v1/staff/terminals/${encodeURIComponent(t.terminal_sn)}:${path}`, { reason: reason() });
    message.className = 'ok';
    message.textContent = `${t.terminal_sn}: ${label}${r.status ? `, now ${r.status}` : ''}.`;
    await load(true);
  };
  const buttons = (t) => {
    const cell = el('span', { class: 'actions' });
    const add = (action, path, text, label) => {
      if (!may(action, session.role)) return;
      const b = el('button', { type: 'button', class: 'small', 'data-action': path, text });
      b.addEventListener('click', () => act(t, path, label).catch(showError(message)));
      cell.append(b, ' ');
    };
    // What the terminal's state machine allows (services/terminal/domain/terminal.cc).
    if (t.status === 'ACTIVE' || t.status === 'FROZEN') add('forceOffline', 'force-offline', 'Force offline', 'forced offline');
    if (t.status === 'ACTIVE') add('freezeTerminal', 'freeze', 'Freeze', 'frozen');
    if (t.status === 'FROZEN') add('freezeTerminal', 'unfreeze', 'Unfreeze', 'unfrozen');
    if (t.status === 'OFFLINE') add('clearTerminal', 'clear', 'Clear', 'cleared for a new activation');
    return cell;
  };
  const load = async (reset) => {
    if (reset) { token = ''; list.tBodies[0].replaceChildren(); }
    const f = new FormData(form);
    const q = new URLSearchParams({ page_size: '50' });
    for (const k of ['merchant_id', 'store_id', 'status', 'version_below']) if (f.get(k)?.trim()) q.set(k, f.get(k).trim());
    if (token) q.set('page_token', token);
    const data = await api('GET', `/v1/staff/terminals?${q}`);
    for (const t of data.terminals || []) {
      list.tBodies[0].append(tr(el('span', { class: 'mono', 'data-terminal': t.terminal_sn, text: t.terminal_sn }),
        t.merchant_id, t.store_id, t.type, t.client_version, t.status, when(t.last_check_in_at), buttons(t)));
    }
    token = data.next_page_token || '';
    more.hidden = !token;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    message.textContent = '';
    load(true).catch((e) => { showError(message)(e); markField(form, e); });
  });
  more.addEventListener('click', () => load(false).catch(showError(message)));
  await load(true);
}
