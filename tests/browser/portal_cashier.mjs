// Merchant portal, a cashier: signs in by SMS code; the page offers no profile (no settlement
// account form), and the server refuses the settlement-account calls from that session all the
// same; signing out ends the session on the server.
// A refund over the cashier's limit is refused naming the amount; one within it is made.
// A cashier works on today's payments only: the server refuses yesterday's list, an older
// payment's detail and its refund (403 saying what a cashier may do), and the page says so.
// In: AGGPAY_GATEWAY_URL, AGGPAY_SMS_LOG, AGGPAY_CASHIER_MOBILE, AGGPAY_OWN_PAYMENT,
// AGGPAY_OLD_PAYMENT (created yesterday), AGGPAY_TODAY and AGGPAY_YESTERDAY (the merchant's days).
import {scenario, assert, env, text} from './lib/harness.mjs';
import {portalUrl, signIn, portalFetch} from './lib/portal.mjs';

await scenario('a cashier cannot change the settlement account', async ({newPage}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
  await page.goto(portalUrl(), {waitUntil: 'networkidle0'});
  await signIn(page, env('AGGPAY_CASHIER_MOBILE'));
  assert.match(await text(page, '#shop'), / · cashier$/);
  assert.equal(await page.$('#nav a[data-page=profile]'), null, 'a cashier is shown the profile');
  await page.goto(portalUrl('profile'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#today-count');
  assert.equal(await page.$('#account-form'), null);

  for (const [method, path, body] of [
    ['POST', '/v1/merchant/settlement-account/otp', {}],
    ['PUT', '/v1/merchant/settlement-account?otp=123456', {kind: 'CORPORATE',
      bank_name: 'Industrial Bank', account_name: 'Tea House', account_number: '117010100100123456'}],
  ]) {
    const r = await portalFetch(page, method, path, body);
    assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
    assert.match(JSON.parse(r.body).error.message, /^role cashier may not do this/);
  }
  // What a cashier may do, it may: today's payments, and refunds up to the cashier's limit.
  const today = env('AGGPAY_TODAY');
  const list = await portalFetch(page, 'GET', `/v1/merchant/payments?business_date=${today}`);
  assert.equal(list.status, 200, list.body);
  assert.ok(JSON.parse(list.body).payments.some((p) => p.payment_id === env('AGGPAY_OWN_PAYMENT')));
  const own = await portalFetch(page, 'GET', `/v1/merchant/payments/${env('AGGPAY_OWN_PAYMENT')}`);
  assert.equal(own.status, 200, own.body);
  // Not today's: refused by the server, whatever the page shows.
  const old = env('AGGPAY_OLD_PAYMENT');
  for (const [method, path, body, field] of [
    ['GET', `/v1/merchant/payments?business_date=${env('AGGPAY_YESTERDAY')}`, undefined, 'business_date'],
    ['GET', '/v1/merchant/payments', undefined, 'business_date'],
    ['GET', `/v1/merchant/payments/${old}`, undefined, 'payment_id'],
    ['POST', `/v1/merchant/payments/${old}/refunds`,
      {amount: {currency: 'CNY', amount_minor: '10'}, out_refund_no: 'PORTAL-CASHIER-OLD'}, 'payment_id'],
  ]) {
    const r = await portalFetch(page, method, path, body);
    assert.equal(r.status, 403, `${method} ${path}: ${r.body}`);
    const e = JSON.parse(r.body).error;
    assert.equal(e.field, field);
    assert.match(e.message, new RegExp(`a cashier works on today's payments only \\(${today}`));
  }
  // The page: no date to pick, and an older payment's detail says what a cashier may do.
  await page.goto(portalUrl('payments'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#cashier-today');
  assert.equal(await page.$eval('#payment-search [name=date]', (i) => i.readOnly && i.value), today);
  await page.goto(portalUrl(`payments/${old}`), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#payment-error');
  assert.match(await text(page, '#payment-error'), /today's payments only/);
  const refunds = `/v1/merchant/payments/${env('AGGPAY_OWN_PAYMENT')}/refunds`;
  const over = await portalFetch(page, 'POST', refunds,
    {amount: {currency: 'CNY', amount_minor: '60000'}, out_refund_no: 'PORTAL-CASHIER-1'});
  assert.equal(over.status, 403, over.body);
  assert.equal(JSON.parse(over.body).error.field, 'amount');
  const within = await portalFetch(page, 'POST', refunds,
    {amount: {currency: 'CNY', amount_minor: '50'}, out_refund_no: 'PORTAL-CASHIER-2'});
  assert.equal(within.status, 200, within.body);

  const cookie = (await page.cookies()).find((c) => c.name === '__Host-aggpay_portal');
  await page.click('#sign-out');
  await page.waitForSelector('#sign-in-form', {visible: true});
  const after = await fetch(`${env('AGGPAY_GATEWAY_URL')}/v1/merchant`,
    {headers: {Cookie: `__Host-aggpay_portal=${cookie.value}`}});
  assert.equal(after.status, 401);
});
