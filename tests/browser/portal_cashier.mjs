// Merchant portal, a cashier: signs in by SMS code; the page offers no profile (no settlement
// account form), and the server refuses the settlement-account calls from that session all the
// same; signing out ends the session on the server.
// In: AGGPAY_GATEWAY_URL, AGGPAY_SMS_LOG, AGGPAY_CASHIER_MOBILE.
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
  // What a cashier may do, it may: today's payments.
  const list = await page.evaluate(async () => (await fetch('/v1/merchant/payments')).status);
  assert.equal(list, 200);

  const cookie = (await page.cookies()).find((c) => c.name === '__Host-aggpay_portal');
  await page.click('#sign-out');
  await page.waitForSelector('#sign-in-form', {visible: true});
  const after = await fetch(`${env('AGGPAY_GATEWAY_URL')}/v1/merchant`,
    {headers: {Cookie: `__Host-aggpay_portal=${cookie.value}`}});
  assert.equal(after.status, 401);
});
