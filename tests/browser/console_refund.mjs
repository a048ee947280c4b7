// Console: an operator finds a merchant's payment, opens it (ledger postings, notifications),
// refunds part of it with a reason after a confirm step (an amount that is not one is refused
// naming the field), re-sends its notification, and freezes a terminal, forces it offline and
// clears it from the terminals page.
// An auditor opens the same payment and merchant: no refund, re-send or freeze buttons, and the
// server refuses the refund and the freeze from the auditor's session.
// In: AGGPAY_GATEWAY_URL, AGGPAY_MERCHANT_ID, AGGPAY_PAYMENT_ID, AGGPAY_TERMINAL_SN,
// AGGPAY_OPERATOR / _PASSWORD / _TOTP_URI, AGGPAY_AUDITOR / _PASSWORD / _TOTP_URI.
import {scenario, assert, env, text, result} from './lib/harness.mjs';
import {DESKTOP, signedIn, go, callFromPage} from './lib/console_pages.mjs';

await scenario('an operator refunds a payment; an auditor may not', async ({browser, newPage, shot}) => {
  const merchant = env('AGGPAY_MERCHANT_ID');
  const payment = env('AGGPAY_PAYMENT_ID');
  const opts = {lang: 'en-US,en;q=0.9', viewport: DESKTOP, apiErrorsExpected: true};

  const op = await newPage(opts);
  await signedIn(op, 'AGGPAY_OPERATOR');
  await op.waitForSelector('#dash-payments');
  assert.match(await text(op, '#dash-payments'), /CNY 25\.00/, 'today\'s payments on the dashboard');
  await go(op, 'payments', '#payment-filters');
  await op.type('#payment-filters [name=merchant_id]', merchant);
  await op.click('#payment-filters button[type=submit]');
  await op.waitForSelector(`a[data-payment="${payment}"]`);
  await op.click(`a[data-payment="${payment}"]`);
  await op.waitForSelector('#refund-form');
  assert.equal(await text(op, '#payment-status'), 'SUCCESS');
  assert.equal(await text(op, '#payment-amount'), 'CNY 25.00');
  // The capture and the fee: four entries.
  assert.equal((await op.$$('#posting-table tbody tr')).length, 4);
  // Not an amount: refused in the page, naming the field.
  await op.type('#refund-form [name=amount]', '5.001');
  await op.type('#refund-form [name=reason]', 'the tea was cold');
  await op.click('#refund-button');
  assert.match(await text(op, '#refund-message'), /^amount: /);
  assert.equal(await op.$eval('#refund-form [name=amount]', (e) => e.getAttribute('aria-invalid')), 'true');
  await op.$eval('#refund-form [name=amount]', (e) => { e.value = ''; });
  await op.type('#refund-form [name=amount]', '5.00');
  await op.click('#refund-button');
  await op.waitForSelector('#refund-confirm-button', {visible: true});
  assert.match(await text(op, '#refund-confirm'), /Refund CNY 5\.00 of CNY 25\.00/);
  await op.click('#refund-confirm-button');
  await op.waitForSelector('#refund-done');
  const rows = await op.$$eval('#refund-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(rows[0][3], 'CNY 5.00');
  assert.match(await text(op, '#payment-refunded'), /^CNY 5\.00 in 1 refund/);
  result('REFUND_ID', rows[0][0]);
  // Re-send the payment's notification (the receiver refuses, so it is there to re-send).
  await op.waitForSelector('#notification-table [data-resend]');
  await op.click('#notification-table [data-resend]');
  await op.waitForFunction(() => document.querySelector('#notification-table')?.textContent.includes('queued'));
  await shot(op, 'console-payment.png');

  // The terminals page: freeze one, with a reason.
  await go(op, 'terminals', '#terminal-filters');
  await op.type('#terminal-filters [name=merchant_id]', merchant);
  await op.click('#terminal-filters button[type=submit]');
  const sn = env('AGGPAY_TERMINAL_SN');
  await op.waitForSelector(`[data-terminal="${sn}"]`);
  await op.click('#terminal-table [data-action=freeze]');
  assert.match(await text(op, '#terminal-message'), /^reason: /, 'an action without a reason');
  await op.type('#terminal-reason input', 'reported stolen');
  await op.click('#terminal-table [data-action=freeze]');
  await op.waitForFunction(() => document.querySelector('#terminal-message').textContent.includes('now FROZEN'));
  await op.waitForSelector('#terminal-table [data-action=unfreeze]');
  await shot(op, 'console-terminals.png');
  // Then offline, then cleared for a new activation: the buttons follow the terminal's state.
  await op.click('#terminal-table [data-action=force-offline]');
  await op.waitForSelector('#terminal-table [data-action=clear]');
  assert.match(await text(op, '#terminal-message'), /forced offline/);
  assert.equal(await op.$('#terminal-table [data-action=freeze]'), null, 'an offline terminal offers freeze');
  await op.click('#terminal-table [data-action=clear]');
  await op.waitForFunction(() => document.querySelector('#terminal-message').textContent.includes('now REGISTERED'));

  // The auditor, in a browser of their own.
  const ctx = await browser.createBrowserContext();
  const aud = await ctx.newPage();
  await aud.setViewport(DESKTOP);
  await signedIn(aud, 'AGGPAY_AUDITOR');
  await go(aud, 'payments', '#payment-open');
  await aud.type('#payment-open [name=payment_id]', payment);
  await aud.click('#payment-open button[type=submit]');
  await aud.waitForSelector('#notification-table');
  assert.equal(await aud.$('#refund-form'), null, 'an auditor is shown the refund form');
  assert.equal(await aud.$('#notification-table [data-resend]'), null, 'an auditor is shown re-send');
  const refused = await callFromPage(aud, 'POST', `/v1/staff/payments/${payment}/refunds`,
    {amount: {currency: 'CNY', amount_minor: '100'}, out_refund_no: 'AUDITOR-1', reason: 'no'});
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'PERMISSION_DENIED');
  await go(aud, 'merchants', '#merchant-open');
  await aud.type('#merchant-open [name=merchant_id]', merchant);
  await aud.click('#merchant-open button[type=submit]');
  await aud.waitForSelector('#merchant-status');
  assert.equal(await aud.$('#freeze-form'), null, 'an auditor is shown the freeze form');
  const freeze = await callFromPage(aud, 'POST', `/v1/staff/merchants/${merchant}:freeze`, {reason: 'no'});
  assert.equal(freeze.status, 403, JSON.stringify(freeze.body));
  assert.equal(await text(aud, '#merchant-status'), 'ACTIVE');
});
