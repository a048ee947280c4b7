// Merchant portal, a cashier: signs in by SMS code; the page offers no profile (no settlement
// account form), and the server refuses the settlement-account calls from that session all the
// same; signing out ends the session on the server.
// A refund over the cashier's limit is refused naming the amount; one within it is made.
// In: AGGPAY_GATEWAY_URL, AGGPAY_SMS_LOG, AGGPAY_CASHIER_MOBILE, AGGPAY_OWN_PAYMENT.
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
  const list = await page.evaluate(async () => (await fetch('/v1/merchant/payments')).status);
  assert.equal(list, 200);
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
