// Merchant portal, an owner: the sign-in page in Chinese; sign in by SMS code (a wrong code is
// refused and names the field); the session cookie's flags; Today's numbers; a code reset with a
// fresh one-time password, the new code shown at once and its stand card downloaded as PNG and
// SVG; the old code's cashier page says replaced; terminals, the profile, and another merchant's
// payment id shows "not found"; a cashier invited.
// In: AGGPAY_GATEWAY_URL, AGGPAY_SMS_LOG, AGGPAY_OWNER_MOBILE, AGGPAY_CODE_ID, AGGPAY_TODAY_AMOUNT,
// AGGPAY_TODAY_COUNT, AGGPAY_TODAY_REFUNDS, AGGPAY_NEXT_PAYOUT, AGGPAY_OWN_PAYMENT, AGGPAY_OTHER_PAYMENT,
// AGGPAY_CASHIER_MOBILE, AGGPAY_DOWNLOAD_DIR.
// Out: OWNER_SESSION, NEW_CODE_ID, NEW_CODE_URL, CARD_PNG, CARD_SVG, API_KEY_ID.
import {readdir} from 'node:fs/promises';
import {join} from 'node:path';
import {scenario, assert, env, text, result} from './lib/harness.mjs';
import {portalUrl, signIn, lastSms} from './lib/portal.mjs';

async function waitForFile(dir, name) {
  for (let i = 0; i < 80; ++i) {
    if ((await readdir(dir)).includes(name)) return join(dir, name);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was not downloaded`);
}

await scenario('an owner signs in, sees today, resets a code and prints its card',
  async ({newPage, shot}) => {
    // Chinese by default.
    const zh = await newPage();
    const res = await zh.goto(portalUrl(), {waitUntil: 'networkidle0'});
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'], /default-src 'none'; script-src 'self'/);
    assert.equal(await zh.$eval('html', (e) => e.lang), 'zh-CN');
    assert.equal(await text(zh, '#sign-in h1'), '商户登录');
    await shot(zh, 'portal-sign-in.png');
    await zh.close();

    const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
    const dir = env('AGGPAY_DOWNLOAD_DIR');
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', {behavior: 'allow', downloadPath: dir});
    await page.goto(portalUrl(), {waitUntil: 'networkidle0'});
    assert.equal(await text(page, '#sign-in h1'), 'Merchant sign-in');
    const mobile = env('AGGPAY_OWNER_MOBILE');

    // A malformed number names the field.
    await page.type('#sign-in-form [name=mobile]', '123');
    await page.click('#send-code');
    await page.waitForSelector('[name=mobile][aria-invalid=true]');
    assert.match(await text(page, '#sign-in-error'), /^mobile: /);

    // A wrong code is refused, like any other failure.
    await page.$eval('#sign-in-form', (f) => f.reset());
    await page.type('#sign-in-form [name=mobile]', mobile);
    await page.click('#send-code');
    await page.waitForFunction(() => document.querySelector('#code-sent').textContent !== '');
    const sent = await lastSms(new RegExp(`${mobile} aggpay: (\\d{6}) signs you in`));
    await page.type('#sign-in-form [name=code]', String((Number(sent) + 1) % 1000000).padStart(6, '0'));
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#sign-in-error').textContent !== '');
    assert.equal(await text(page, '#sign-in-error'), 'wrong mobile or code');
    await page.$eval('#sign-in-form [name=code]', (i) => { i.value = ''; });
    await page.type('#sign-in-form [name=code]', sent);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#nav a[data-page=today]', {visible: true});

    const cookie = (await page.cookies()).find((c) => c.name === '__Host-aggpay_portal');
    assert.ok(cookie, 'no session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(cookie.value.startsWith('agps_'));
    result('OWNER_SESSION', cookie.value);
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session is readable by script');
    // A change without the CSRF token is refused, cookie or not.
    const noCsrf = await page.evaluate(async () => (await fetch('/v1/merchant/users',
      {method: 'POST', body: '{"mobile":"13900000000","role":"viewer"}'})).status);
    assert.equal(noCsrf, 403);

    // Today: what the test collected.
    await page.waitForSelector('#today-count');
    assert.equal(await text(page, '#today-amount'), env('AGGPAY_TODAY_AMOUNT'));
    assert.equal(await text(page, '#today-count'), env('AGGPAY_TODAY_COUNT'));
    assert.equal(await text(page, '#today-refund-amount'), env('AGGPAY_TODAY_REFUNDS'));
    assert.equal(await text(page, '#next-plan'), 'T+1 (next business day)');
    // The settlement service's date, by its business calendar (the test made tomorrow a holiday).
    assert.equal(await text(page, '#next-date'), env('AGGPAY_NEXT_PAYOUT'));
    await shot(page, 'portal-today.png');

    // Codes: reset the lost one with a fresh one-time password.
    const old = env('AGGPAY_CODE_ID');
    await page.click('#nav a[data-page=codes]');
    await page.waitForSelector(`li[data-code="${old}"] [data-action=reset]`);
    await page.click(`li[data-code="${old}"] [data-action=reset]`);
    await page.select('#reset-form [name=reason]', 'DEVICE_LOST');
    // A security reason cannot be graceful: the page shows why.
    await page.click('#reset-form [name=mode][value=GRACEFUL]');
    await page.click('#reset-send');
    await page.waitForFunction(() => document.querySelector('#reset-error').textContent !== '');
    assert.match(await text(page, '#reset-error'), /^The reset was refused: mode: /);
    await page.click('#reset-form [name=mode][value=IMMEDIATE]');
    await page.click('#reset-send');
    await page.waitForSelector('#reset-otp', {visible: true});
    const otp = await lastSms(/code reset rr_\S+ one-time password (\d{6})/);
    await page.type('#reset-form [name=otp]', otp);
    await page.click('#reset-form button[type=submit]');
    await page.waitForSelector('#new-code');
    const fresh = await page.$eval('#new-code', (e) => ({id: e.dataset.code, url: e.dataset.url}));
    assert.notEqual(fresh.id, old);
    await page.waitForFunction(() => document.querySelector('#new-card').complete &&
      document.querySelector('#new-card').naturalWidth > 0);
    await shot(page, 'portal-code-reset.png');
    result('NEW_CODE_ID', fresh.id);
    result('NEW_CODE_URL', fresh.url);
    await page.click('#reset-result [data-card=png]');
    result('CARD_PNG', await waitForFile(dir, `stand-card-${fresh.id}.png`));
    await page.click('#reset-result [data-card=svg]');
    result('CARD_SVG', await waitForFile(dir, `stand-card-${fresh.id}.svg`));

    // The old code's cashier page.
    const cashier = await newPage({lang: 'en-US,en;q=0.9'});
    const replaced = await cashier.goto(`${env('AGGPAY_GATEWAY_URL')}/c/${old}`,
      {waitUntil: 'networkidle0'});
    assert.equal(replaced.status(), 410);
    assert.equal(await text(cashier, 'h1'), 'This code has been replaced');
    await cashier.close();

    // Terminals.
    await page.click('#nav a[data-page=terminals]');
    await page.waitForSelector('#terminal-list li');
    assert.equal(await text(page, '#terminal-list li .version'), '8.0.15');
    assert.match(await text(page, '#terminal-list li .dynamic'), /^(yes|no)$/);
    assert.notEqual(await text(page, '#terminal-list li .check-in'), '');
    await shot(page, 'portal-terminals.png');

    // Profile: the application and its reviews.
    await page.click('#nav a[data-page=profile]');
    await page.waitForSelector('#review-table tr');
    assert.equal(await text(page, '#merchant-status'), 'ACTIVE');
    // An API key for the developer: its secret shown once, then revoked.
    await page.click('#create-key');
    await page.waitForSelector('#key-secret-value');
    const keyId = await page.$eval('#key-list li', (li) => li.dataset.key);
    assert.ok((await text(page, '#key-secret-value')).length >= 32);
    await page.click(`li[data-key="${keyId}"] [data-action=revoke]`);
    await page.waitForFunction((id) => document.querySelector(`li[data-key="${id}"] .badge`)
      ?.textContent === 'REVOKED', {}, keyId);
    result('API_KEY_ID', keyId);
    // The webhook: a bad URL names the field; a good one shows its new secret once.
    await page.type('#webhook-form [name=notify_url]', 'ftp://shop.example/notify');
    await page.click('#webhook-form button[type=submit]');
    await page.waitForSelector('#webhook-form [name=notify_url][aria-invalid=true]');
    assert.match(await text(page, '#webhook-error'), /^notify_url: /);
    await page.$eval('#webhook-form [name=notify_url]', (i) => { i.value = ''; });
    await page.type('#webhook-form [name=notify_url]', 'https://shop.example/notify');
    await page.click('#webhook-form button[type=submit]');
    await page.waitForSelector('#webhook-secret .secret');
    await shot(page, 'portal-profile.png');

    // Payments: today's, searched by amount.
    await page.click('#nav a[data-page=payments]');
    await page.waitForSelector('#payment-list li');
    assert.equal((await page.$$('#payment-list [data-payment]')).length, 2);
    await page.type('#payment-search [name=min]', '50');
    await page.click('#payment-search button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#payment-list [data-payment]').length === 1);
    assert.equal(await text(page, '#payment-list .amount'), 'CNY 100.00');
    await shot(page, 'portal-payments.png');

    // A payment of this merchant, refunded in part: the fee that comes back is shown first.
    await page.goto(portalUrl(`payments/${env('AGGPAY_OWN_PAYMENT')}`), {waitUntil: 'networkidle0'});
    await page.waitForSelector('#payment-amount');
    await page.type('#refund-form [name=refund_amount]', '1.005');
    await page.click('#refund-preview');
    await page.waitForSelector('#refund-form [name=refund_amount][aria-invalid=true]');
    await page.$eval('#refund-form [name=refund_amount]', (i) => { i.value = ''; });
    await page.type('#refund-form [name=refund_amount]', '1.00');
    await page.click('#refund-preview');
    await page.waitForSelector('#refund-summary:not([hidden])');
    assert.match(await text(page, '#refund-summary'), /^Refund CNY 1\.00; fee returned CNY 0\.\d\d;/);
    await shot(page, 'portal-refund.png');
    await page.click('#refund-confirm');
    await page.waitForFunction(() => document.querySelector('#refund-error').className === 'ok');
    assert.match(await text(page, '#refund-error'), /^Refund accepted: CNY 1\.00, fee returned CNY 0\.\d\d/);
    // And one of another merchant by URL.
    await page.goto(portalUrl(`payments/${env('AGGPAY_OTHER_PAYMENT')}`), {waitUntil: 'networkidle0'});
    await page.waitForSelector('#payment-error');
    assert.equal(await text(page, '#payment-error'),
      'Payment not found. Check that the link belongs to this merchant.');

    // Users: invite a cashier.
    await page.goto(portalUrl('users'), {waitUntil: 'networkidle0'});
    await page.waitForSelector('#invite-form');
    await page.type('#invite-form [name=mobile]', env('AGGPAY_CASHIER_MOBILE'));
    await page.select('#invite-form [name=role]', 'cashier');
    await page.click('#invite-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#user-list li').length === 2);
    await shot(page, 'portal-users.png');
  });
