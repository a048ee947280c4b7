// Risk: events with the evidence of each rule hit (keyset-paged), merchants' appeals against a
// freeze (approve or reject with a note, for reviewers), and the rules' settings (see all; a
// reviewer changes one, with a reason: a new version, audited).
import { api, el, session, may, showError, markField, grid, tr, when, money } from './console.js';

const evidence = (hits) => el('div', {}, ...(hits || []).map((h) => el('div', {},
  el('strong', { text: `${h.rule_id} → ${h.action}` }), ' ',
  el('span', { class: 'mono', text: Object.entries(h.evidence || {}).map(([k, v]) => `${k}=${v}`).join(' ') }))));

export async function renderRisk(page) {
  page.append(events(), await appeals(), await rules());
}

function events() {
  const form = el('form', { class: 'filters', id: 'risk-filters' },
    el('label', {}, 'Merchant', el('input', { name: 'merchant_id' })),
    el('label', {}, 'Rule', el('input', { name: 'rule_id' })),
    el('label', {}, 'Since', el('input', { name: 'since', type: 'date' })),
    el('button', { type: 'submit', text: 'Show events' }));
  const message = el('p', { id: 'risk-message', role: 'alert' });
  const t = grid('risk-table', ['#', 'At', 'Merchant', 'Decision', 'Amount', 'Payer IP', 'Device', 'Terminal', 'Evidence']);
  const more = el('button', { type: 'button', id: 'risk-more', text: 'More…', hidden: '' });
  const box = el('section', { id: 'risk-events' }, el('h2', { text: 'Events' }), form, message, t, more);
  let token = '';
  const load = async (reset) => {
    if (reset) { token = ''; t.tBodies[0].replaceChildren(); }
    const f = new FormData(form);
    const q = new URLSearchParams({ 'page.page_size': '50' });
    for (const k of ['merchant_id', 'rule_id']) if (f.get(k)?.trim()) q.set(k, f.get(k).trim());
    // The date is the viewer's midnight.
    if (f.get('since')) q.set('since', new Date(`${f.get('since')}T00:00:00`).toISOString());
    if (token) q.set('page.page_token', token);
    const data = await api('GET', `/v1/staff/risk/events?${q}`);
    for (const e of data.events || []) {
      t.tBodies[0].append(tr(e.event_id, when(e.created_at), e.merchant_id, el('strong', { text: e.decision }),
        money(e.amount), e.payer_ip, e.device_id, e.terminal_sn, evidence(e.hits)));
    }
    token = data.next_page_token || '';
    more.hidden = !token;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(true).catch((e) => { showError(message)(e); markField(form, e); });
  });
  more.addEventListener('click', () => load(false).catch(showError(message)));
  load(true).catch(showError(message));
  return box;
}

async function appeals() {
  const form = el('form', { class: 'filters', id: 'appeal-filters' },
    el('label', {}, 'Status', el('select', { name: 'status' },
      ...['PENDING', 'ALL', 'APPROVED', 'REJECTED'].map((v) => el('option', { value: v, text: v })))),
    el('button', { type: 'submit', text: 'Show appeals' }));
  const message = el('p', { id: 'appeal-message', role: 'alert' });
  const t = grid('appeal-table', ['#', 'Submitted', 'Merchant', 'Freeze', 'Status', 'Statement', 'Documents (SHA-256)', 'Review', '']);
  const box = el('section', { id: 'risk-appeals' }, el('h2', { text: 'Appeals' }), form, message, t);
  const decide = (a) => {
    const cell = el('span');
    if (!may('reviewAppeal', session.role) || a.status !== 'PENDING') return cell;
    const note = el('input', { name: 'note', placeholder: 'what the review found', size: '20', maxlength: '500' });
    for (const verdict of ['APPROVE', 'REJECT']) {
      const b = el('button', { type: 'button', class: 'small', 'data-verdict': verdict, text: verdict === 'APPROVE' ? 'Approve' : 'Reject' });
      b.addEventListener('click', async () => {
        note.removeAttribute('aria-invalid');
        try {
          if (!note.value.trim()) throw Object.assign(new Error('note: say what the review found'), { field: 'note' });
          const r = await api('POST', `/v1/staff/risk/appeals/${a.appeal_id}:review`, { verdict, note: note.value.trim() });
          message.className = 'ok';
          message.textContent = `Appeal ${a.appeal_id}: ${r.status}.`;
          await load();
        } catch (e) {
          if (e.field === 'note') note.setAttribute('aria-invalid', 'true');
          showError(message)(e);
        }
      });
      cell.append(' ', b);
    }
    cell.prepend(note);
    return cell;
  };
  const load = async () => {
    t.tBodies[0].replaceChildren();
    const data = await api('GET', `/v1/staff/risk/appeals?status=${encodeURIComponent(new FormData(form).get('status'))}`);
    for (const a of data.appeals || []) {
      const docs = el('div', { class: 'mono' }, ...(a.documents || []).map((d) => el('div', { text: `${d.name}: ${d.sha256}` })));
      t.tBodies[0].append(tr(a.appeal_id, when(a.submitted_at), a.merchant_id, a.freeze_id, a.status, a.statement, docs,
        a.review_note ? `${a.review_note} (${a.reviewed_by})` : '', decide(a)));
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load().catch(showError(message)); });
  await load().catch(showError(message));
  return box;
}

async function rules() {
  const message = el('p', { id: 'rule-message', role: 'alert' });
  const t = grid('rule-table', ['Rule', 'Enabled', 'Action', 'Fails', 'Parameters', 'Version', 'Changed', '']);
  const editor = el('div', { id: 'rule-editor' });
  const box = el('section', { id: 'risk-rules' }, el('h2', { text: 'Rules' }), message, t, editor);
  const load = async () => {
    t.tBodies[0].replaceChildren();
    const data = await api('GET', '/v1/staff/risk/rules');
    for (const r of data.rules || []) {
      const edit = el('span');
      if (may('updateRule', session.role)) {
        const b = el('button', { type: 'button', class: 'small', 'data-rule': r.rule_id, text: 'Change…' });
        b.addEventListener('click', () => editor.replaceChildren(form(r)));
        edit.append(b);
      }
      t.tBodies[0].append(tr(el('span', { title: r.description || '', text: r.rule_id }), r.enabled ? 'yes' : 'no',
        r.action, r.fail_mode, el('span', { class: 'mono', text: Object.entries(r.params || {}).map(([k, v]) => `${k}=${v}`).join(' ') }),
        r.version, r.updated_by ? el('span', {}, `${r.updated_by} `, when(r.updated_at)) : '', edit));
    }
  };
  const form = (r) => {
    const f = el('form', { class: 'card', id: 'rule-form', novalidate: '' }, el('h3', { text: `Change ${r.rule_id}` }),
      el('p', { text: r.description || '' }),
      el('label', {}, 'Enabled', el('select', { name: 'enabled' }, el('option', { value: 'true', text: 'yes' }),
        el('option', { value: 'false', text: 'no' }))),
      el('label', {}, 'Action', el('input', { name: 'action', value: r.action || '' })),
      el('label', {}, 'When counters cannot be read', el('select', { name: 'fail_mode' },
        el('option', { value: 'OPEN', text: 'OPEN (allow)' }), el('option', { value: 'CLOSED', text: 'CLOSED (refuse)' }))),
      ...Object.entries(r.params || {}).map(([k, v]) => el('label', {}, k, el('input', { name: `params.${k}`, value: v }))),
      el('label', {}, 'Reason', el('input', { name: 'reason', maxlength: '500', required: '' })),
      el('button', { type: 'submit', id: 'rule-save', text: 'Save as a new version' }));
    f.querySelector('[name=enabled]').value = r.enabled ? 'true' : 'false';
    f.querySelector('[name=fail_mode]').value = r.fail_mode || 'OPEN';
    const out = el('p', { role: 'alert' });
    f.append(out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const params = {};
      for (const [k, v] of d.entries()) if (k.startsWith('params.') && v !== r.params[k.slice(7)]) params[k.slice(7)] = v;
      try {
        if (!d.get('reason').trim()) throw Object.assign(new Error('reason: is required'), { field: 'reason' });
        const u = await api('POST', `/v1/staff/risk/rules/${encodeURIComponent(r.rule_id)}`, {
          params, action: d.get('action'), fail_mode: d.get('fail_mode'), enabled: d.get('enabled'), reason: d.get('reason').trim(),
        });
        editor.replaceChildren(el('p', { class: 'ok', id: 'rule-done', text: `${u.rule_id} is now version ${u.version}.` }));
        await load();
      } catch (e) {
        showError(out)(e);
        const input = e.field && f.querySelector(`[name="${e.field}"]`);
        if (input) input.setAttribute('aria-invalid', 'true');
      }
    });
    return f;
  };
  await load().catch(showError(message));
  return box;
}
