// The merchant portal: one page, routed on the client, calling /m/api/ (sign-in by SMS code)
// and the merchant REST routes with the session cookie. The gateway's role table decides what a
// role may call (docs/portal.md); this page only leaves out what the role would be refused.

import { apiClient, el } from './pagekit.js';

const $ = (sel) => document.querySelector(sel);
const lang = document.documentElement.lang === 'en' ? 'en' : 'zh';
let session = null; // {user_id, merchant_id, merchant_name, mobile, role, csrf_token}
let merchant = null; // GET /v1/merchant

const T = {
  zh: {
    sign_in_title: '商户登录', mobile: '手机号', send_code: '获取验证码', sms_code: '短信验证码',
    sign_in: '登录', sign_out: '退出', code_sent: '验证码已发送至 {0}，5 分钟内有效。',
    resend_in: '{0} 秒后可重新获取', session_ended: '登录已过期，请重新登录。',
    today: '今日', codes: '收款码', terminals: '终端', profile: '资料', users: '成员',
    payments_today: '今日收款', refunds_today: '今日退款', count_n: '{0} 笔', refund_n: '{0} 笔',
    next_settlement: '下次结算', plan_t1: 'T+1（下一个工作日到账）', plan_d0: 'D0（当日到账）',
    expected_net: '预计净额', calendar_note: '到账日按结算工作日历计算（节假日顺延，调休日照常）。',
    cashier_today_only: '收银员只能查看和退款今天的收款。',
    open_alerts: '待处理提醒', no_alerts: '暂无提醒', frozen_notice: '商户已被冻结：{0}。请提交申诉并附上交易凭证。',
    alert_replaced_scans: '已更换的收款码被扫码 {0} 次（可能被冒用）',
    alert_kind_SINGLE_PAYMENT: '单笔金额超过阈值', alert_kind_HOURLY_VOLUME: '每小时交易额超过阈值',
    alert_kind_NEW_REGION: '出现新地区的付款',
    code: '收款码', terminal: '终端', store: '门店', status: '状态', kind: '类型',
    card_png: '下载台卡 PNG', card_svg: '下载台卡 SVG', reset: '重置收款码',
    reset_title: '重置收款码 {0}', reason: '原因', mode: '生效方式',
    reason_DEVICE_LOST: '设备丢失', reason_ACCOUNT_BANNED: '账号被封', reason_UNUSUAL_LOGIN: '异地登录',
    reason_DAMAGED: '台卡损坏', reason_CHANNEL_CHANGE: '更换渠道',
    mode_IMMEDIATE: '立即（旧码立刻失效）', mode_GRACEFUL: '平滑（旧码在新码首次收款后失效）',
    send_otp: '发送验证码到注册手机', otp: '短信验证码', confirm_reset: '确认重置',
    otp_sent_to: '验证码已发送到注册手机，5 分钟内有效。', new_code_ready: '新收款码已生效：{0}。请打印新台卡，旧台卡作废。',
    reset_refused: '无法重置：{0}', hint_frozen: '商户被冻结时不能自助重置：请提交申诉（附交易凭证），或联系服务商人工审核。',
    hint_limit: '今日重置次数已达上限：请明天再试，或联系服务商人工重置。', cancel: '取消',
    wechat_pay: '微信支付', alipay: '支付宝', unionpay: '云闪付', scan_to_pay: '扫码付款',
    sn: '序列号', last_check_in: '最近签到', version: '客户端版本', skins: '皮肤', dynamic: '动态码',
    yes: '支持', no: '不支持', never: '从未',
    application: '入网申请', reviews: '审核记录', settlement_account: '结算账户',
    account_kind: '账户类型', kind_CORPORATE: '对公账户', kind_PERSONAL: '个人账户', bank_name: '开户银行',
    account_name: '户名', account_number: '账号', change_account: '确认修改',
    account_changed: '结算账户已修改，商户已重新进入审核（状态：{0}）。审核通过前暂停结算。',
    account_review_note: '修改结算账户需要短信验证，修改后商户将重新审核。',
    webhook: '通知地址与签名密钥', notify_url: '通知地址 (https://)', save_webhook: '保存并生成新密钥',
    secret_once: '签名密钥（只显示这一次，请立即保存）：', api_keys: 'API 密钥（供开发者使用）',
    create_key: '创建 API 密钥', revoke: '吊销', key_secret_once: '密钥 {0} 的 secret（只显示这一次，请立即保存）：',
    mobile_masked: '手机号', role: '角色', role_owner: '店主', role_cashier: '收银员', role_viewer: '查看者',
    invite: '邀请', remove: '移除', invited_by: '邀请人', users_title: '成员与角色',
    payment: '付款', payment_not_found: '未找到该笔付款。请检查链接是否属于本商户。', amount: '金额', fee: '手续费',
    net: '净额', refunded: '已退款', wallet: '付款方式', paid_at: '付款时间',
    risk: '风控', thresholds: '异常提醒阈值', single_over: '单笔金额超过', hourly_over: '每小时交易额超过',
    new_region_alert: '出现新地区的付款时提醒', save: '保存', saved: '已保存。', zero_none: '填 0 表示不提醒。',
    alerts: '提醒', freezes: '冻结', appeals: '申诉', statement: '申诉说明', evidence: '交易凭证（文件只在本机计算指纹，不上传）',
    submit_appeal: '提交申诉', appeal_submitted: '申诉已提交，等待审核。', no_freeze: '没有冻结。',
    payments: '收款', date: '日期', all_statuses: '全部状态', min_amount: '最低金额', max_amount: '最高金额',
    search: '查询', no_payments: '没有符合条件的付款。', refund: '退款', refund_amount: '退款金额', refund_reason: '退款原因',
    preview_refund: '计算退还手续费', confirm_refund: '确认退款',
    refund_preview: '退款 {0}，退还手续费 {1}，本笔净额减少 {2}。确认后无法撤销。', refund_done: '退款已受理：{0}，退还手续费 {1}（状态：{2}）。',
    settlement: '结算', show: '查看', no_lines: '该日没有结算。', download_statement: '下载对账单 CSV',
    gross: '收款', fees: '手续费', fee_returns: '退还手续费', payout_date: '到账日',
    held_why: '暂缓结算：商户被冻结或结算账户在审核中时，结算暂缓，解除后在下一批次支付。',
    carried_why: '净额为负，结转到下次结算扣除。',
    loading: '加载中…', error_network: '网络异常，请重试。', fix_field: '请修改“{0}”：{1}',
  },
  en: {
    sign_in_title: 'Merchant sign-in', mobile: 'Mobile number', send_code: 'Send code', sms_code: 'SMS code',
    sign_in: 'Sign in', sign_out: 'Sign out', code_sent: 'A code was sent to {0}; it is valid for 5 minutes.',
    resend_in: 'Send again in {0} s', session_ended: 'Your session has ended. Sign in again.',
    today: 'Today', codes: 'Codes', terminals: 'Terminals', profile: 'Profile', users: 'Users',
    payments_today: 'Collected today', refunds_today: 'Refunded today', count_n: '{0} payments', refund_n: '{0} refund(s)',
    next_settlement: 'Next settlement', plan_t1: 'T+1 (next business day)', plan_d0: 'D0 (same day)',
    expected_net: 'Expected net', calendar_note: 'The date follows the business calendar: holidays move it later, make-up working days count.',
    cashier_today_only: 'A cashier sees and refunds today\'s payments only.',
    open_alerts: 'Open alerts', no_alerts: 'No alerts', frozen_notice: 'Your merchant is frozen: {0}. Submit an appeal with evidence of your sales.',
    alert_replaced_scans: 'Replaced codes were scanned {0} times (possible misuse)',
    alert_kind_SINGLE_PAYMENT: 'A payment over your threshold', alert_kind_HOURLY_VOLUME: 'Hourly volume over your threshold',
    alert_kind_NEW_REGION: 'A payment from a new region',
    code: 'Code', terminal: 'Terminal', store: 'Store', status: 'Status', kind: 'Kind',
    card_png: 'Stand card PNG', card_svg: 'Stand card SVG', reset: 'Reset code',
    reset_title: 'Reset code {0}', reason: 'Reason', mode: 'Takes effect',
    reason_DEVICE_LOST: 'Device lost', reason_ACCOUNT_BANNED: 'Account banned', reason_UNUSUAL_LOGIN: 'Unusual login',
    reason_DAMAGED: 'Sticker damaged', reason_CHANNEL_CHANGE: 'Channel change',
    mode_IMMEDIATE: 'Immediately (the old code stops at once)', mode_GRACEFUL: 'Gracefully (the old code stops after the new one is first paid)',
    send_otp: 'Send a one-time password to the registered phone', otp: 'One-time password', confirm_reset: 'Confirm reset',
    otp_sent_to: 'A one-time password was sent to the registered phone; it is valid for 5 minutes.', new_code_ready: 'The new code {0} is live. Print its stand card; the old one no longer works.',
    reset_refused: 'The reset was refused: {0}', hint_frozen: 'A frozen merchant cannot reset codes itself: submit an appeal with evidence, or ask the service provider for a staff review.',
    hint_limit: 'The daily limit of resets is reached: try again tomorrow, or ask the service provider for a staff reset.', cancel: 'Cancel',
    wechat_pay: 'WeChat Pay', alipay: 'Alipay', unionpay: 'UnionPay', scan_to_pay: 'Scan to pay',
    sn: 'Serial', last_check_in: 'Last check-in', version: 'Client version', skins: 'Skins', dynamic: 'Dynamic codes',
    yes: 'yes', no: 'no', never: 'never',
    application: 'Application', reviews: 'Review history', settlement_account: 'Settlement account',
    account_kind: 'Account kind', kind_CORPORATE: 'Corporate', kind_PERSONAL: 'Personal', bank_name: 'Bank',
    account_name: 'Account name', account_number: 'Account number', change_account: 'Change account',
    account_changed: 'The settlement account was changed and your merchant is back in review (status: {0}). Payouts wait until it is approved.',
    account_review_note: 'A change needs a one-time password by SMS, and sends your merchant back to review.',
    webhook: 'Notification URL and signing secret', notify_url: 'Notification URL (https://)', save_webhook: 'Save and make a new secret',
    secret_once: 'Signing secret (shown only this once; store it now):', api_keys: 'API keys (for your developer)',
    create_key: 'Create an API key', revoke: 'Revoke', key_secret_once: 'Secret of key {0} (shown only this once; store it now):',
    mobile_masked: 'Mobile', role: 'Role', role_owner: 'owner', role_cashier: 'cashier', role_viewer: 'viewer',
    invite: 'Invite', remove: 'Remove', invited_by: 'Invited by', users_title: 'Users and roles',
    payment: 'Payment', payment_not_found: 'Payment not found. Check that the link belongs to this merchant.', amount: 'Amount', fee: 'Fee',
    net: 'Net', refunded: 'Refunded', wallet: 'Wallet', paid_at: 'Paid at',
    risk: 'Risk', thresholds: 'Alert thresholds', single_over: 'A single payment over', hourly_over: 'Hourly volume over',
    new_region_alert: 'Alert on a payment from a new region', save: 'Save', saved: 'Saved.', zero_none: '0 means no alert.',
    alerts: 'Alerts', freezes: 'Freezes', appeals: 'Appeals', statement: 'What happened', evidence: 'Evidence (only fingerprints leave this phone)',
    submit_appeal: 'Submit the appeal', appeal_submitted: 'Appeal submitted; it waits for review.', no_freeze: 'No freeze.',
    payments: 'Payments', date: 'Date', all_statuses: 'Any status', min_amount: 'Amount from', max_amount: 'Amount to',
    search: 'Search', no_payments: 'No payment matches.', refund: 'Refund', refund_amount: 'Refund amount', refund_reason: 'Reason',
    preview_refund: 'Show the fee that comes back', confirm_refund: 'Confirm the refund',
    refund_preview: 'Refund {0}; fee returned {1}; this payment’s net goes down by {2}. A refund cannot be undone.', refund_done: 'Refund accepted: {0}, fee returned {1} (status: {2}).',
    settlement: 'Settlement', show: 'Show', no_lines: 'Nothing settled for this day.', download_statement: 'Download the statement (CSV)',
    gross: 'Collected', fees: 'Fees', fee_returns: 'Fees returned', payout_date: 'Payout date',
    held_why: 'Held: while your merchant is frozen or its settlement account is in review, settlement waits; it is paid in the batch after the hold is lifted.',
    carried_why: 'The net was negative: it is carried forward and taken from the next settlement.',
    loading: 'Loading…', error_network: 'Network error; try again.', fix_field: 'Fix “{0}”: {1}',
  },
};

export function t(key, ...args) {
  let s = T[lang][key] ?? key;
  args.forEach((v, i) => { s = s.replace(`{${i}}`, v); });
  return s;
}

// Pages and the roles they are for; the gateway refuses the rest regardless.
const pages = {
  today: { roles: ['owner', 'cashier', 'viewer'], render: renderToday },
  payments: { roles: ['owner', 'cashier', 'viewer'], render: renderPayments },
  settlement: { roles: ['owner', 'cashier', 'viewer'], render: renderSettlement },
  codes: { roles: ['owner', 'cashier', 'viewer'], render: renderCodes },
  terminals: { roles: ['owner', 'cashier', 'viewer'], render: renderTerminals },
  risk: { roles: ['owner', 'cashier', 'viewer'], render: renderRisk },
  profile: { roles: ['owner', 'viewer'], render: renderProfile },
  users: { roles: ['owner'], render: renderUsers },
};

const api = apiClient({
  csrf: () => session?.csrf_token,
  expired: (path) => { if (session && !path.startsWith('/m/api/')) showSignIn(t('session_ended')); },
  networkMessage: T[lang].error_network,
});

// Shows an error in `out` and marks the input it names in `form`: the message says which
// field, the service's words say what to do.
function clearMarks(form) {
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

function showError(out, err, form) {
  if (form) clearMarks(form);
  out.textContent = err.message;
  out.className = 'error';
  if (!form || !err.field) return;
  const name = err.field.split('.').pop();
  const input = form.querySelector(`[name="${name}"]`);
  if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
}

// Money from minor units (a string, as the API sends int64), never through a float.
const exponents = { CNY: 2, HKD: 2, USD: 2, EUR: 2, JPY: 0 };
export function formatMoney(currency, minor) {
  const exp = exponents[currency] ?? 2;
  let v = BigInt(minor || 0);
  const neg = v < 0n;
  if (neg) v = -v;
  const s = v.toString().padStart(exp + 1, '0');
  const whole = s.slice(0, s.length - exp).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = exp ? `.${s.slice(s.length - exp)}` : '';
  return `${neg ? '-' : ''}${currency} ${whole}${frac}`;
}

function timeText(iso) {
  if (!iso) return t('never');
  const d = new Date(iso);
  return d.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: merchant?.time_zone || undefined });
}

// --- Sign-in ---

function showSignIn(message = '') {
  session = null;
  $('#page').hidden = true;
  $('#nav').hidden = true;
  $('#sign-out').hidden = true;
  $('#shop').textContent = 'aggpay';
  $('#sign-in').hidden = false;
  $('#sign-in-error').textContent = message;
  if (location.pathname !== '/m/') history.replaceState(null, '', '/m/');
}

function wireSignIn() {
  const form = $('#sign-in-form');
  const out = $('#sign-in-error');
  const sent = $('#code-sent');
  const button = $('#send-code');
  button.addEventListener('click', async () => {
    out.textContent = '';
    const mobile = form.mobile.value.trim();
    try {
      const r = await api('POST', '/m/api/sign-in-code', { mobile });
      sent.textContent = t('code_sent', mobile.replace(/^(\d{3})\d{4}(\d{4})$/, '$1****$2'));
      let left = Number(r.resend_after_seconds) || 60;
      button.disabled = true;
      const tick = () => {
        if (left <= 0) { button.disabled = false; button.textContent = t('send_code'); return; }
        button.textContent = t('resend_in', left--);
        setTimeout(tick, 1000);
      };
      tick();
      form.code.focus();
    } catch (e) {
      showError(out, e, form);
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.textContent = '';
    clearMarks(form);
    try {
      session = await api('POST', '/m/api/session',
        { mobile: form.mobile.value.trim(), code: form.code.value.trim() });
      form.reset();
      sent.textContent = '';
      await showApp();
    } catch (e) {
      session = null;
      showError(out, e, form);
    }
  });
  $('#sign-out').addEventListener('click', async () => {
    try { await api('DELETE', '/m/api/session'); } finally { showSignIn(); }
  });
}

async function showApp() {
  $('#sign-in').hidden = true;
  $('#sign-out').hidden = false;
  merchant = await api('GET', '/v1/merchant');
  $('#shop').textContent = `${merchant.display_name} · ${t(`role_${session.role}`)}`;
  const nav = $('#nav');
  nav.replaceChildren();
  for (const [name, p] of Object.entries(pages)) {
    if (!p.roles.includes(session.role)) continue;
    const a = el('a', { href: `/m/${name}`, 'data-page': name, text: t(name) });
    a.addEventListener('click', (ev) => { ev.preventDefault(); go(`/m/${name}`); });
    nav.append(a);
  }
  nav.hidden = false;
  go(location.pathname + location.search, true);
}

function go(path, replace = false) {
  const query = path.includes('?') ? path.slice(path.indexOf('?')) : '';
  path = path.split('?')[0];
  let [, name, arg] = /^\/m\/([a-z]*)\/?([A-Za-z0-9_-]*)$/.exec(path) || [];
  let render;
  if (name === 'payments' && arg) {
    render = (pg) => renderPayment(pg, arg);
  } else {
    if (!pages[name] || !pages[name].roles.includes(session.role)) name = 'today';
    path = `/m/${name}${name === 'payments' || name === 'settlement' ? query : ''}`;
    render = pages[name].render;
  }
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const page = $('#page');
  page.hidden = false;
  page.replaceChildren(el('p', { class: 'hint', text: t('loading') }));
  render(page).catch((e) => {
    page.replaceChildren(el('p', { class: 'error', id: 'page-error', text: e.message }));
  });
}

// --- Today ---

// The merchant's business date: today in its zone.
function businessDate(zone, at = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone || 'Asia/Shanghai' }).format(at);
}

async function allPayments(query) {
  const out = [];
  let token = '';
  for (let i = 0; i < 20; ++i) {
    const r = await api('GET', `/v1/merchant/payments?${query}&page_size=500${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
    out.push(...r.payments);
    token = r.next_page_token;
    if (!token) break;
  }
  return out;
}

async function renderToday(page) {
  const date = businessDate(merchant.time_zone);
  const [payments, plan, riskAlerts, codeAlerts, freezes] = await Promise.all([
    allPayments(`business_date=${date}&status=SUCCESS`),
    api('GET', '/v1/merchant/fee-plan').catch(() => null),
    api('GET', '/v1/merchant/risk/alerts').catch(() => ({ alerts: [] })),
    api('GET', '/v1/merchant/code-alerts').catch(() => ({ alerts: [], total_scans_of_replaced_codes: '0' })),
    api('GET', '/v1/merchant/risk/freezes').catch(() => ({ freezes: [] })),
  ]);
  const currency = merchant.home_currency || 'CNY';
  let gross = 0n, refunded = 0n, fees = 0n, returned = 0n, refunds = 0;
  for (const p of payments) {
    if (p.amount.currency !== currency) continue;
    gross += BigInt(p.amount.amount_minor);
    refunded += BigInt(p.refunded?.amount_minor || 0);
    fees += BigInt(p.fee?.amount_minor || 0);
    returned += BigInt(p.fee_returned?.amount_minor || 0);
    refunds += Number(p.refund_count || 0);
  }
  const cycle = plan?.plan?.settlement || 'T1';
  // The payout date is the settlement service's, by its business calendar (holidays and make-up
  // working days); when it cannot say (a year not imported), the page shows why.
  let next = '—', nextWhy = null;
  try {
    next = (await api('GET', `/v1/merchant/next-payout?cycle=${encodeURIComponent(cycle)}`)).payout_date;
  } catch (e) {
    nextWhy = el('p', { class: 'sub error', id: 'next-date-error', text: e.message });
  }
  const alerts = el('ul', { class: 'list', id: 'alerts' });
  const frozen = (freezes.freezes || []).filter((f) => f.status === 'ACTIVE');
  for (const f of frozen) alerts.append(el('li', { class: 'notice', text: t('frozen_notice', f.reason || f.rule || '') }));
  if (Number(codeAlerts.total_scans_of_replaced_codes) > 0) {
    alerts.append(el('li', { text: t('alert_replaced_scans', codeAlerts.total_scans_of_replaced_codes) }));
  }
  for (const a of riskAlerts.alerts || []) {
    alerts.append(el('li', {}, el('div', { text: t(`alert_kind_${a.kind}`) }),
      el('div', { class: 'sub', text: timeText(a.created_at) })));
  }
  if (!alerts.children.length) alerts.append(el('li', { class: 'sub', text: t('no_alerts') }));
  page.replaceChildren(
    el('h1', { text: `${t('today')} · ${date}` }),
    el('div', { class: 'cards' },
      el('div', { class: 'card' }, el('h2', { text: t('payments_today') }),
        el('p', { class: 'figure', id: 'today-amount', text: formatMoney(currency, gross) }),
        el('p', { class: 'sub', id: 'today-count', text: t('count_n', payments.length) })),
      el('div', { class: 'card' }, el('h2', { text: t('refunds_today') }),
        el('p', { class: 'figure', id: 'today-refund-amount', text: formatMoney(currency, refunded) }),
        el('p', { class: 'sub', id: 'today-refund-count', text: t('refund_n', refunds) })),
      el('div', { class: 'card wide' }, el('h2', { text: t('next_settlement') }),
        el('p', { class: 'figure', id: 'next-date', text: next }),
        el('p', { id: 'next-net', text: `${t('expected_net')} ${formatMoney(currency, gross - refunded - fees + returned)}` }),
        el('p', { class: 'sub', id: 'next-plan', text: cycle === 'D0' ? t('plan_d0') : t('plan_t1') }),
        nextWhy ?? el('p', { class: 'sub', text: t('calendar_note') }))),
    el('h2', { text: t('open_alerts') }), alerts);
}

// --- Codes ---

async function renderCodes(page) {
  const r = await api('GET', '/v1/merchant/codes?page_size=200');
  const list = el('ul', { class: 'list', id: 'code-list' });
  for (const c of r.codes) {
    const item = el('li', { 'data-code': c.code_id },
      el('div', { class: 'top' }, el('span', { class: 'mono', text: c.code_id }),
        el('span', { class: `badge ${c.status}`, text: c.status })),
      el('div', { class: 'sub', text: `${t('terminal')}: ${c.terminal_sn || '—'} · ${t('store')}: ${c.store_id || '—'} · ${c.kind}` }));
    if (c.status === 'ACTIVE' || c.status === 'GRACE') {
      const actions = el('div', { class: 'row' });
      actions.append(cardButton(c, 'png'), cardButton(c, 'svg'));
      if (session.role === 'owner' && c.kind === 'STATIC') {
        const b = el('button', { type: 'button', class: 'danger', 'data-action': 'reset', text: t('reset') });
        b.addEventListener('click', () => openReset(item, c));
        actions.append(b);
      }
      item.append(actions);
    }
    list.append(item);
  }
  page.replaceChildren(el('h1', { text: t('codes') }), list);
}

function cardButton(code, format) {
  const b = el('button', { type: 'button', class: 'secondary', 'data-card': format,
    text: t(format === 'png' ? 'card_png' : 'card_svg') });
  b.addEventListener('click', () => downloadCard(code, format).catch((e) => alert(e.message)));
  return b;
}

function bytesFromBase64(b64) {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function escapeXml(s) {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]));
}

// The stand card as SVG: the shop's name, the code's QR (the binding service's own SVG, placed
// as it is) and the three wallets' marks. PDF-ready: vector throughout, A6 proportions.
export async function standCardSvg(code) {
  const img = await api('GET', `/v1/merchant/codes/${encodeURIComponent(code.code_id)}/image?format=svg&size_px=600`);
  const qr = new DOMParser().parseFromString(new TextDecoder().decode(bytesFromBase64(img.data)), 'image/svg+xml').documentElement;
  qr.setAttribute('x', '100');
  qr.setAttribute('y', '230');
  qr.setAttribute('width', '600');
  qr.setAttribute('height', '600');
  const name = escapeXml(merchant.display_name);
  const mark = (x, fill, label) => `<rect x="${x}" y="880" width="200" height="64" rx="14" fill="${fill}"/>` +
    `<text x="${x + 100}" y="921" font-size="22" fill="#fff" text-anchor="middle" font-weight="700">${escapeXml(label)}</text>`;
  return '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="1130" viewBox="0 0 800 1130">' +
    '<rect width="800" height="1130" fill="#ffffff"/><rect width="800" height="190" fill="#1d2330"/>' +
    `<text x="400" y="95" font-size="52" fill="#fff" text-anchor="middle" font-weight="700" font-family="sans-serif">${name}</text>` +
    `<text x="400" y="155" font-size="30" fill="#cfd6e4" text-anchor="middle" font-family="sans-serif">${T.zh.scan_to_pay} · Scan to pay</text>` +
    new XMLSerializer().serializeToString(qr) +
    '<g font-family="sans-serif">' + mark(60, '#07C160', `${T.zh.wechat_pay} WeChat`) + mark(300, '#1677FF', `${T.zh.alipay} Alipay`) +
    mark(540, '#E60012', `${T.zh.unionpay} UnionPay`) + '</g>' +
    '<text x="400" y="1010" font-size="24" fill="#5b6476" text-anchor="middle" font-family="sans-serif">WeChat / Alipay / UnionPay</text>' +
    `<text x="400" y="1075" font-size="18" fill="#8a93a6" text-anchor="middle" font-family="monospace">${escapeXml(code.code_id)}</text>` +
    '</svg>';
}

// The PNG is the same card drawn by the browser (its fonts render the shop's name), at 2x.
async function standCardPng(svg) {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = 1600;
    canvas.height = 2260;
    canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function downloadCard(code, format) {
  const svg = await standCardSvg(code);
  const blob = format === 'png' ? await standCardPng(svg) : new Blob([svg], { type: 'image/svg+xml' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `stand-card-${code.code_id}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function openReset(item, code) {
  for (const f of document.querySelectorAll('.reset-panel')) f.remove();
  const reasons = ['DEVICE_LOST', 'ACCOUNT_BANNED', 'UNUSUAL_LOGIN', 'DAMAGED', 'CHANNEL_CHANGE'];
  const form = el('form', { class: 'panel reset-panel', id: 'reset-form', novalidate: '' },
    el('h2', { text: t('reset_title', code.code_id) }),
    el('label', {}, t('reason'), el('select', { name: 'reason' },
      ...reasons.map((r) => el('option', { value: r, text: t(`reason_${r}`) })))),
    el('fieldset', { id: 'reset-mode' }, el('legend', { text: t('mode') }),
      ...['IMMEDIATE', 'GRACEFUL'].map((m, i) => el('label', {},
        el('input', Object.assign({ type: 'radio', name: 'mode', value: m }, i === 0 ? { checked: '' } : {})),
        t(`mode_${m}`)))),
    el('div', { class: 'row' },
      el('button', { type: 'button', id: 'reset-send', text: t('send_otp') }),
      el('button', { type: 'button', class: 'secondary', id: 'reset-cancel', text: t('cancel') })),
    el('div', { id: 'reset-otp', hidden: '' },
      el('p', { class: 'hint', text: t('otp_sent_to') }),
      el('label', {}, t('otp'), el('input', { name: 'otp', inputmode: 'numeric', maxlength: '6', autocomplete: 'one-time-code' })),
      el('button', { type: 'submit', text: t('confirm_reset') })),
    el('p', { class: 'error', id: 'reset-error', role: 'alert' }),
    el('p', { class: 'hint', id: 'reset-hint' }),
    el('div', { id: 'reset-result' }));
  item.append(form);
  let request = null;
  const out = form.querySelector('#reset-error');
  const hint = form.querySelector('#reset-hint');
  const refused = (e) => {
    showError(out, e, form);
    out.textContent = t('reset_refused', e.message);
    hint.textContent = /FROZEN|not ACTIVE/.test(e.message) ? t('hint_frozen')
      : e.code === 'RESOURCE_EXHAUSTED' ? t('hint_limit') : '';
  };
  form.querySelector('#reset-cancel').addEventListener('click', () => form.remove());
  form.querySelector('#reset-send').addEventListener('click', async () => {
    out.textContent = ''; hint.textContent = '';
    try {
      request = await api('POST', `/v1/merchant/codes/${encodeURIComponent(code.code_id)}/reset-requests`,
        { reason: form.reason.value, mode: form.querySelector('[name=mode]:checked').value });
      form.querySelector('#reset-otp').hidden = false;
      form.otp.focus();
    } catch (e) { refused(e); }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.textContent = ''; hint.textContent = '';
    clearMarks(form);
    try {
      const r = await api('POST', `/v1/merchant/code-reset-requests/${encodeURIComponent(request.request_id)}/verify`,
        { otp: form.otp.value.trim() });
      const fresh = r.new_code;
      const svg = await standCardSvg(fresh);
      const preview = el('img', { class: 'card-preview', id: 'new-card', alt: fresh.code_id,
        src: URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })) });
      form.querySelector('#reset-otp').hidden = true;
      form.querySelector('#reset-send').disabled = true;
      form.querySelector('#reset-result').replaceChildren(
        el('p', { class: 'ok', id: 'new-code', 'data-code': fresh.code_id, 'data-url': fresh.url, text: t('new_code_ready', fresh.code_id) }),
        preview, el('div', { class: 'row' }, cardButton(fresh, 'png'), cardButton(fresh, 'svg')));
    } catch (e) { refused(e); }
  });
}

// --- Terminals ---

async function renderTerminals(page) {
  const r = await api('GET', '/v1/merchant/terminals?page_size=200');
  const list = el('ul', { class: 'list', id: 'terminal-list' });
  for (const term of r.terminals || []) {
    const caps = term.capabilities || [];
    list.append(el('li', { 'data-terminal': term.terminal_sn },
      el('div', { class: 'top' }, el('span', { class: 'mono', text: term.terminal_sn }),
        el('span', { class: `badge ${term.status}`, text: term.status })),
      el('dl', { class: 'kv' },
        el('dt', { text: t('kind') }), el('dd', { text: `${term.type} · ${term.vendor || ''}` }),
        el('dt', { text: t('version') }), el('dd', { class: 'version', text: term.client_version || '—' }),
        el('dt', { text: t('last_check_in') }), el('dd', { class: 'check-in', text: timeText(term.last_check_in_at) }),
        el('dt', { text: t('skins') }), el('dd', { class: 'skins', text: t(caps.includes('CODE_SKINS') ? 'yes' : 'no') }),
        el('dt', { text: t('dynamic') }), el('dd', { class: 'dynamic', text: t(caps.includes('DYNAMIC_CODE') ? 'yes' : 'no') }))));
  }
  page.replaceChildren(el('h1', { text: t('terminals') }), list);
}

// --- Profile ---

async function renderProfile(page) {
  const app = await api('GET', '/v1/merchant/application');
  const reviews = el('table', { id: 'review-table' }, el('tbody', {},
    ...(app.reviews || []).map((rv) => el('tr', {}, el('td', { text: timeText(rv.at) }),
      el('td', { text: `${rv.action}: ${rv.from_status} → ${rv.to_status}` }),
      el('td', { text: rv.reason || '' })))));
  const acct = app.spec?.settlement_account || {};
  const children = [
    el('h1', { text: t('profile') }),
    el('div', { class: 'panel' }, el('h2', { text: t('application') }),
      el('dl', { class: 'kv' },
        el('dt', { text: t('status') }), el('dd', {}, el('span', { class: `badge ${app.status}`, id: 'merchant-status', text: app.status })),
        el('dt', { text: t('settlement_account') }), el('dd', { id: 'account-now', text: `${acct.bank_name || ''} ${acct.account_number || ''}` })),
      el('h2', { text: t('reviews') }), reviews),
  ];
  if (session.role === 'owner') children.push(accountForm(), webhookForm(), await apiKeys());
  page.replaceChildren(...children);
}

function accountForm() {
  const form = el('form', { class: 'panel', id: 'account-form', novalidate: '' },
    el('h2', { text: t('settlement_account') }),
    el('p', { class: 'notice', text: t('account_review_note') }),
    el('label', {}, t('account_kind'), el('select', { name: 'kind' },
      ...['CORPORATE', 'PERSONAL'].map((k) => el('option', { value: k, text: t(`kind_${k}`) })))),
    el('label', {}, t('bank_name'), el('input', { name: 'bank_name', maxlength: '128' })),
    el('label', {}, t('account_name'), el('input', { name: 'account_name', maxlength: '128' })),
    el('label', {}, t('account_number'), el('input', { name: 'account_number', inputmode: 'numeric', maxlength: '32' })),
    el('button', { type: 'button', class: 'secondary', id: 'account-send', text: t('send_otp') }),
    el('label', {}, t('otp'), el('input', { name: 'otp', inputmode: 'numeric', maxlength: '6', autocomplete: 'one-time-code' })),
    el('p', { class: 'error', id: 'account-error', role: 'alert' }),
    el('button', { type: 'submit', text: t('change_account') }));
  const out = form.querySelector('#account-error');
  form.querySelector('#account-send').addEventListener('click', async () => {
    try {
      const r = await api('POST', '/v1/merchant/settlement-account/otp', {});
      out.className = 'hint';
      out.textContent = `${t('otp_sent_to')} (${r.phone_hint})`;
    } catch (e) { showError(out, e, form); }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMarks(form);
    try {
      const r = await api('PUT', `/v1/merchant/settlement-account?otp=${encodeURIComponent(form.otp.value.trim())}`, {
        kind: form.kind.value, bank_name: form.bank_name.value.trim(),
        account_name: form.account_name.value.trim(), account_number: form.account_number.value.trim() });
      out.className = 'ok';
      out.textContent = t('account_changed', r.status);
      document.querySelector('#merchant-status').textContent = r.status;
    } catch (e) { showError(out, e, form); }
  });
  return form;
}

function webhookForm() {
  const form = el('form', { class: 'panel', id: 'webhook-form', novalidate: '' },
    el('h2', { text: t('webhook') }),
    el('label', {}, t('notify_url'), el('input', { name: 'notify_url', type: 'url', maxlength: '512' })),
    el('p', { class: 'error', id: 'webhook-error', role: 'alert' }),
    el('div', { id: 'webhook-secret' }),
    el('button', { type: 'submit', text: t('save_webhook') }));
  const out = form.querySelector('#webhook-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.textContent = '';
    clearMarks(form);
    try {
      const r = await api('PUT', '/v1/merchant/webhook', { notify_url: form.notify_url.value.trim() });
      form.querySelector('#webhook-secret').replaceChildren(el('p', { text: t('secret_once') }),
        el('p', { class: 'mono secret', text: r.secret }));
    } catch (e) { showError(out, e, form); }
  });
  return form;
}

async function apiKeys() {
  const panel = el('div', { class: 'panel', id: 'api-keys' }, el('h2', { text: t('api_keys') }));
  const list = el('ul', { class: 'list', id: 'key-list' });
  const out = el('p', { class: 'error', id: 'key-error', role: 'alert' });
  const shown = el('div', { id: 'key-secret' });
  const load = async () => {
    const r = await api('GET', '/v1/merchant/api-keys');
    list.replaceChildren(...r.keys.map((k) => {
      const li = el('li', { 'data-key': k.key_id }, el('div', { class: 'top' },
        el('span', { class: 'mono', text: k.key_id }), el('span', { class: `badge ${k.status}`, text: k.status })),
        el('div', { class: 'sub', text: timeText(k.created_at) }));
      if (k.status === 'ACTIVE') {
        const b = el('button', { type: 'button', class: 'secondary', 'data-action': 'revoke', text: t('revoke') });
        b.addEventListener('click', async () => {
          try { await api('DELETE', `/v1/merchant/api-keys/${encodeURIComponent(k.key_id)}`); await load(); }
          catch (e) { showError(out, e); }
        });
        li.append(b);
      }
      return li;
    }));
  };
  const create = el('button', { type: 'button', id: 'create-key', text: t('create_key') });
  create.addEventListener('click', async () => {
    out.textContent = '';
    try {
      const r = await api('POST', '/v1/merchant/api-keys', {});
      await load();
      shown.replaceChildren(el('p', { text: t('key_secret_once', r.key.key_id) }),
        el('p', { class: 'mono secret', id: 'key-secret-value', text: r.secret }));
    } catch (e) { showError(out, e); }
  });
  await load();
  panel.append(list, create, out, shown);
  return panel;
}

// --- Risk ---

// A decimal in major units ("50", "50.5", "50.50") as minor units, never through a float; a
// third decimal or anything else is an error naming `field`.
export function parseMajor(value, currency, field) {
  const exp = exponents[currency] ?? 2;
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(value.trim() || '0');
  if (!m || (m[2] || '').length > exp) {
    const err = new Error(`${field}: ${lang === 'en' ? `an amount with at most ${exp} decimals` : `金额最多 ${exp} 位小数`}`);
    err.field = field;
    throw err;
  }
  return (BigInt(m[1]) * 10n ** BigInt(exp) + BigInt((m[2] || '').padEnd(exp, '0') || 0)).toString();
}

function majorText(money) {
  return money ? formatMoney(money.currency, money.amount_minor).split(' ')[1].replace(/,/g, '') : '0';
}

async function renderRisk(page) {
  const owner = session.role === 'owner';
  const [th, alerts, freezes, appeals] = await Promise.all([
    api('GET', '/v1/merchant/risk/thresholds'),
    api('GET', '/v1/merchant/risk/alerts'),
    api('GET', '/v1/merchant/risk/freezes'),
    session.role === 'cashier' ? Promise.resolve({ appeals: [] }) : api('GET', '/v1/merchant/risk/appeals?status=ALL'),
  ]);
  const currency = merchant.home_currency || 'CNY';
  const form = el('form', { class: 'panel', id: 'threshold-form', novalidate: '' },
    el('h2', { text: t('thresholds') }),
    el('label', {}, `${t('single_over')} (${currency})`, el('input', { name: 'single_payment_over', inputmode: 'decimal', value: majorText(th.single_payment_over) })),
    el('label', {}, `${t('hourly_over')} (${currency})`, el('input', { name: 'hourly_volume_over', inputmode: 'decimal', value: majorText(th.hourly_volume_over) })),
    el('fieldset', {}, el('label', {}, el('input', Object.assign({ type: 'checkbox', name: 'new_region' }, th.new_region ? { checked: '' } : {})), t('new_region_alert'))),
    el('p', { class: 'hint', text: t('zero_none') }),
    el('p', { class: 'error', id: 'threshold-error', role: 'alert' }),
    owner ? el('button', { type: 'submit', text: t('save') }) : null);
  if (!owner) for (const i of form.querySelectorAll('input')) i.disabled = true;
  const out = form.querySelector('#threshold-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMarks(form);
    try {
      const money = (name) => ({ currency, amount_minor: parseMajor(form[name].value, currency, name) });
      await api('PUT', '/v1/merchant/risk/thresholds', { single_payment_over: money('single_payment_over'),
        hourly_volume_over: money('hourly_volume_over'), new_region: form.new_region.checked });
      out.className = 'ok';
      out.textContent = t('saved');
    } catch (e) { showError(out, e, form); }
  });
  const alertList = el('ul', { class: 'list', id: 'risk-alerts' });
  for (const a of alerts.alerts || []) {
    const d = a.detail || {};
    const amount = d.amount_minor ? formatMoney(d.currency, d.amount_minor)
      : d.hour_total_minor ? formatMoney(d.currency, d.hour_total_minor) : (d.region || '');
    alertList.append(el('li', { 'data-alert': a.alert_id, 'data-kind': a.kind },
      el('div', { class: 'top' }, el('span', { text: t(`alert_kind_${a.kind}`) }), el('span', { class: 'amount', text: amount })),
      el('div', { class: 'sub', text: timeText(a.created_at) })));
  }
  if (!alertList.children.length) alertList.append(el('li', { class: 'sub', text: t('no_alerts') }));
  const active = (freezes.freezes || []).filter((f) => f.status === 'ACTIVE');
  const freezeList = el('ul', { class: 'list', id: 'risk-freezes' },
    ...(active.length ? active.map((f) => el('li', { class: 'notice', text: `${f.kind}: ${f.reason}` }))
      : [el('li', { class: 'sub', text: t('no_freeze') })]));
  const appealList = el('ul', { class: 'list', id: 'risk-appeals' },
    ...(appeals.appeals || []).map((a) => el('li', {}, el('div', { class: 'top' },
      el('span', { text: a.statement }), el('span', { class: `badge ${a.status}`, text: a.status })),
    el('div', { class: 'sub', text: `${timeText(a.submitted_at)}${a.review_note ? ` · ${a.review_note}` : ''}` }))));
  const children = [el('h1', { text: t('risk') }), form, el('h2', { text: t('alerts') }), alertList,
    el('h2', { text: t('freezes') }), freezeList];
  if (session.role !== 'cashier') children.push(el('h2', { text: t('appeals') }), appealList);
  if (owner) children.push(appealForm());
  page.replaceChildren(...children);
}

async function sha256Hex(file) {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function appealForm() {
  const form = el('form', { class: 'panel', id: 'appeal-form', novalidate: '' },
    el('h2', { text: t('submit_appeal') }),
    el('label', {}, t('statement'), el('input', { name: 'statement', maxlength: '500' })),
    el('label', {}, t('evidence'), el('input', { name: 'documents', type: 'file', multiple: '' })),
    el('p', { class: 'error', id: 'appeal-error', role: 'alert' }),
    el('button', { type: 'submit', text: t('submit_appeal') }));
  const out = form.querySelector('#appeal-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMarks(form);
    try {
      const documents = [];
      for (const f of form.documents.files) documents.push({ name: f.name, sha256: await sha256Hex(f) });
      await api('POST', '/v1/merchant/risk/appeals', { statement: form.statement.value.trim(), documents });
      out.className = 'ok';
      out.textContent = t('appeal_submitted');
    } catch (e) { showError(out, e, form); }
  });
  return form;
}

// --- Users ---

async function renderUsers(page) {
  const r = await api('GET', '/v1/merchant/users');
  const list = el('ul', { class: 'list', id: 'user-list' });
  for (const u of r.users) {
    const item = el('li', { 'data-user': u.user_id },
      el('div', { class: 'top' }, el('span', { text: u.mobile }), el('span', { class: 'badge', text: t(`role_${u.role}`) })),
      el('div', { class: 'sub', text: `${t('invited_by')}: ${u.invited_by}` }));
    if (u.user_id !== session.user_id && u.invited_by !== 'registered') {
      const b = el('button', { type: 'button', class: 'secondary', text: t('remove') });
      b.addEventListener('click', async () => {
        try { await api('DELETE', `/v1/merchant/users/${encodeURIComponent(u.user_id)}`); go('/m/users', true); }
        catch (e) { alert(e.message); }
      });
      item.append(b);
    }
    list.append(item);
  }
  const form = el('form', { class: 'panel', id: 'invite-form', novalidate: '' },
    el('label', {}, t('mobile'), el('input', { name: 'mobile', type: 'tel', inputmode: 'numeric', maxlength: '11' })),
    el('label', {}, t('role'), el('select', { name: 'role' },
      ...['cashier', 'viewer', 'owner'].map((k) => el('option', { value: k, text: t(`role_${k}`) })))),
    el('p', { class: 'error', id: 'invite-error', role: 'alert' }),
    el('button', { type: 'submit', text: t('invite') }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/v1/merchant/users', { mobile: form.mobile.value.trim(), role: form.role.value });
      go('/m/users', true);
    } catch (e) { showError(form.querySelector('#invite-error'), e, form); }
  });
  page.replaceChildren(el('h1', { text: t('users_title') }), list, form);
}

// --- A payment ---

async function renderPayment(page, id = '') {
  const paymentId = id || location.pathname.split('/').pop();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === 'payments') a.setAttribute('aria-current', 'page');
  }
  let p;
  try {
    p = await api('GET', `/v1/merchant/payments/${encodeURIComponent(paymentId)}`);
  } catch (e) {
    if (e.status === 404) {
      page.replaceChildren(el('h1', { text: t('payment') }),
        el('p', { class: 'error', id: 'payment-error', text: t('payment_not_found') }));
      return;
    }
    if (e.status === 403 && session.role === 'cashier') {
      page.replaceChildren(el('h1', { text: t('payment') }),
        el('p', { class: 'error', id: 'payment-error', text: t('cashier_today_only') }));
      return;
    }
    throw e;
  }
  const c = p.amount.currency;
  const net = BigInt(p.amount.amount_minor) - BigInt(p.fee?.amount_minor || 0) -
    BigInt(p.refunded?.amount_minor || 0) + BigInt(p.fee_returned?.amount_minor || 0);
  page.replaceChildren(el('h1', { text: t('payment') }),
    el('div', { class: 'panel', id: 'payment' }, el('dl', { class: 'kv' },
      el('dt', { text: t('status') }), el('dd', {}, el('span', { class: `badge ${p.status}`, text: p.status })),
      el('dt', { text: t('amount') }), el('dd', { id: 'payment-amount', text: formatMoney(c, p.amount.amount_minor) }),
      el('dt', { text: t('fee') }), el('dd', { text: formatMoney(c, p.fee?.amount_minor) }),
      el('dt', { text: t('refunded') }), el('dd', { text: formatMoney(c, p.refunded?.amount_minor) }),
      el('dt', { text: t('net') }), el('dd', { id: 'payment-net', text: formatMoney(c, net) }),
      el('dt', { text: t('wallet') }), el('dd', { text: p.wallet }),
      el('dt', { text: t('paid_at') }), el('dd', { text: timeText(p.paid_at) }),
      el('dt', { text: 'ID' }), el('dd', { class: 'mono', text: p.payment_id }))));
  const left = BigInt(p.amount.amount_minor) - BigInt(p.refunded?.amount_minor || 0);
  if (p.status === 'SUCCESS' && left > 0n && ['owner', 'cashier'].includes(session.role)) {
    page.append(refundForm(p));
  }
}

// A refund: the amount, then the fee that comes back (the fee service's own arithmetic), then
// the confirmation. The out_refund_no is made once per form, so a repeated confirm is the same
// refund.
function refundForm(p) {
  const c = p.amount.currency;
  const outRefundNo = `PR${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const form = el('form', { class: 'panel', id: 'refund-form', novalidate: '' },
    el('h2', { text: t('refund') }),
    el('label', {}, `${t('refund_amount')} (${c})`, el('input', { name: 'refund_amount', inputmode: 'decimal' })),
    el('label', {}, t('refund_reason'), el('input', { name: 'reason', maxlength: '200' })),
    el('button', { type: 'button', class: 'secondary', id: 'refund-preview', text: t('preview_refund') }),
    el('p', { class: 'notice', id: 'refund-summary', hidden: '' }),
    el('p', { class: 'error', id: 'refund-error', role: 'alert' }),
    el('button', { type: 'submit', id: 'refund-confirm', disabled: '', text: t('confirm_refund') }));
  const out = form.querySelector('#refund-error');
  const summary = form.querySelector('#refund-summary');
  const confirm = form.querySelector('#refund-confirm');
  let amount = null;
  form.refund_amount.addEventListener('input', () => { confirm.disabled = true; summary.hidden = true; });
  form.querySelector('#refund-preview').addEventListener('click', async () => {
    clearMarks(form);
    out.textContent = '';
    try {
      amount = { currency: c, amount_minor: parseMajor(form.refund_amount.value, c, 'refund_amount') };
      const r = await api('POST', '/v1/fees/refund-fee', { payment_amount: p.amount, payment_fee: p.fee,
        refunded_before: p.refunded, fee_returned_before: p.fee_returned, refund_amount: amount });
      const down = BigInt(amount.amount_minor) - BigInt(r.fee_return.amount_minor);
      summary.textContent = t('refund_preview', formatMoney(c, amount.amount_minor),
        formatMoney(c, r.fee_return.amount_minor), formatMoney(c, down));
      summary.dataset.feeReturn = r.fee_return.amount_minor;
      summary.hidden = false;
      confirm.disabled = false;
    } catch (e) { showError(out, e, form); }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearMarks(form);
    try {
      const r = await api('POST', `/v1/merchant/payments/${encodeURIComponent(p.payment_id)}/refunds`,
        { amount, out_refund_no: outRefundNo, reason: form.reason.value.trim() });
      confirm.disabled = true;
      out.className = 'ok';
      out.id = 'refund-error';
      out.textContent = t('refund_done', formatMoney(c, r.amount.amount_minor),
        formatMoney(c, r.fee_returned.amount_minor), r.status);
      out.dataset.refund = r.refund_id;
    } catch (e) { showError(out, e, form); }
  });
  return form;
}

// --- Settlement ---

async function renderSettlement(page) {
  const q = new URLSearchParams(location.search);
  const date = q.get('date') || businessDate(merchant.time_zone);
  const form = el('form', { class: 'panel', id: 'settlement-form', novalidate: '' },
    el('label', {}, t('date'), el('input', { name: 'date', type: 'date', value: date })),
    el('button', { type: 'submit', text: t('show') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(`/m/settlement?${new URLSearchParams({ date: form.date.value })}`, true);
  });
  const r = await api('GET', `/v1/merchant/settlements?date=${encodeURIComponent(date)}`);
  const list = el('ul', { class: 'list', id: 'line-list' });
  for (const l of r.lines || []) {
    const m = (v) => formatMoney(l.currency, v);
    const item = el('li', { 'data-line': l.line_id, 'data-status': l.status },
      el('div', { class: 'top' }, el('span', { class: 'amount', text: `${t('net')} ${m(l.net)}` }),
        el('span', { class: `badge ${l.status}`, text: l.status })),
      el('dl', { class: 'kv' },
        el('dt', { text: t('gross') }), el('dd', { text: `${m(l.gross)} · ${t('count_n', l.payments)}` }),
        el('dt', { text: t('refunded') }), el('dd', { text: m(l.refunds) }),
        el('dt', { text: t('fees') }), el('dd', { text: m(l.fees) }),
        el('dt', { text: t('fee_returns') }), el('dd', { text: m(l.fee_returns) }),
        el('dt', { text: t('payout_date') }), el('dd', { text: `${l.payout_date || '—'} · ${l.cycle}` })));
    if (l.status === 'HELD') item.append(el('p', { class: 'notice why', text: t('held_why') }));
    if (l.status === 'CARRIED') item.append(el('p', { class: 'notice why', text: t('carried_why') }));
    list.append(item);
  }
  if (!list.children.length) list.append(el('li', { class: 'sub', text: t('no_lines') }));
  const children = [el('h1', { text: t('settlement') }), form, list];
  if (session.role !== 'cashier' && (r.lines || []).length) {
    const out = el('p', { class: 'error', id: 'statement-error', role: 'alert' });
    const b = el('button', { type: 'button', class: 'secondary', id: 'statement-download', text: t('download_statement') });
    b.addEventListener('click', async () => {
      try {
        const st = await api('GET', `/v1/merchant/settlements/${encodeURIComponent(date)}/statement`);
        const a = el('a', { href: URL.createObjectURL(new Blob([st.csv], { type: 'text/csv' })),
          download: `statement-${st.merchant_id}-${st.date}.csv` });
        document.body.append(a);
        a.click();
        a.remove();
      } catch (e) { showError(out, e); }
    });
    children.push(b, out);
  }
  page.replaceChildren(...children);
}

// --- Payments ---

async function renderPayments(page) {
  const q = new URLSearchParams(location.search);
  const currency = merchant.home_currency || 'CNY';
  // A cashier works on today's payments only (the gateway refuses other days): no date to pick.
  const cashier = session.role === 'cashier';
  const date = (!cashier && q.get('date')) || businessDate(merchant.time_zone);
  const status = q.get('status') ?? 'SUCCESS';
  const form = el('form', { class: 'panel', id: 'payment-search', novalidate: '' },
    el('label', {}, t('date'), el('input', { name: 'date', type: 'date', value: date, ...(cashier ? { readonly: '' } : {}) })),
    cashier ? el('p', { class: 'sub', id: 'cashier-today', text: t('cashier_today_only') }) : null,
    el('label', {}, t('status'), el('select', { name: 'status' },
      ...['', 'SUCCESS', 'PAYING', 'FAILED', 'CLOSED'].map((v) => {
        const o = el('option', { value: v, text: v || t('all_statuses') });
        if (v === status) o.selected = true;
        return o;
      }))),
    el('div', { class: 'row' },
      el('label', {}, `${t('min_amount')} (${currency})`, el('input', { name: 'min', inputmode: 'decimal', value: q.get('min') || '' })),
      el('label', {}, `${t('max_amount')} (${currency})`, el('input', { name: 'max', inputmode: 'decimal', value: q.get('max') || '' }))),
    el('p', { class: 'error', id: 'search-error', role: 'alert' }),
    el('button', { type: 'submit', text: t('search') }));
  const list = el('ul', { class: 'list', id: 'payment-list' });
  page.replaceChildren(el('h1', { text: t('payments') }), form, list);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = new URLSearchParams({ date: form.date.value, status: form.status.value });
    if (form.min.value.trim()) next.set('min', form.min.value.trim());
    if (form.max.value.trim()) next.set('max', form.max.value.trim());
    go(`/m/payments?${next}`, true);
  });
  let min = null, max = null;
  try {
    if (q.get('min')) min = BigInt(parseMajor(q.get('min'), currency, 'min'));
    if (q.get('max')) max = BigInt(parseMajor(q.get('max'), currency, 'max'));
  } catch (e) {
    showError(form.querySelector('#search-error'), e, form);
    return;
  }
  // The payment service filters by business date and status; the amount range is applied here.
  const payments = await allPayments(`business_date=${encodeURIComponent(date)}${status ? `&status=${status}` : ''}`);
  for (const p of payments) {
    const v = BigInt(p.amount.amount_minor);
    if ((min !== null && v < min) || (max !== null && v > max)) continue;
    const a = el('a', { href: `/m/payments/${p.payment_id}`, 'data-payment': p.payment_id },
      el('div', { class: 'top' }, el('span', { class: 'amount', text: formatMoney(p.amount.currency, p.amount.amount_minor) }),
        el('span', { class: `badge ${p.status}`, text: p.status })),
      el('div', { class: 'sub', text: `${p.wallet} · ${timeText(p.paid_at || p.created_at)}` }));
    a.addEventListener('click', (ev) => { ev.preventDefault(); go(`/m/payments/${p.payment_id}`); });
    list.append(el('li', {}, a));
  }
  if (!list.children.length) list.append(el('li', { class: 'sub', text: t('no_payments') }));
}

// --- Start ---

for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
$('#sign-out').textContent = t('sign_out');
document.title = lang === 'en' ? 'aggpay merchant portal' : 'aggpay 商户中心';
wireSignIn();
window.addEventListener('popstate', () => { if (session) go(location.pathname + location.search, true); });
api('GET', '/m/api/session').then(async (s) => {
  if (s.signed_in) { session = s; await showApp(); } else showSignIn();
}).catch(() => showSignIn(t('error_network')));
