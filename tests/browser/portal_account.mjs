// Merchant portal: an owner follows its appeal (approved) and changes the settlement account with a one-time password by SMS; a
// wrong password is refused naming the field; the change sends the merchant back to review and
// the page says so.
// In: AGGPAY_GATEWAY_URL, AGGPAY_SMS_LOG, AGGPAY_OWNER_SESSION.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {portalUrl, lastSms} from './lib/portal.mjs';

await scenario('an owner changes the settlement account', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
  await page.setCookie({name: '__Host-aggpay_portal', value: env('AGGPAY_OWNER_SESSION'),
    url: env('AGGPAY_GATEWAY_URL'), httpOnly: true, secure: true, sameSite: 'Strict'});
  // The appeal made before, followed: approved, with the reviewer's note.
  await page.goto(portalUrl('risk'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#risk-appeals li');
  assert.match(await text(page, '#risk-appeals li'), /APPROVED.*banquet invoices seen/s);
  await page.goto(portalUrl('profile'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#account-form');
  await page.select('#account-form [name=kind]', 'CORPORATE');
  await page.type('#account-form [name=bank_name]', 'Industrial Bank');
  await page.type('#account-form [name=account_name]', 'Tea House');
  await page.type('#account-form [name=account_number]', '117010100100987654');
  await page.click('#account-send');
  await page.waitForFunction(() => document.querySelector('#account-error').textContent !== '');
  const otp = await lastSms(/aggpay: (\d{6}) confirms the change of your settlement account/);
  await page.type('#account-form [name=otp]', otp === '000000' ? '111111' : '000000');
  await page.click('#account-form button[type=submit]');
  await page.waitForSelector('#account-form [name=otp][aria-invalid=true]');
  assert.match(await text(page, '#account-error'), /^otp: wrong; 4 attempts left/);
  await page.$eval('#account-form [name=otp]', (i) => { i.value = ''; });
  await page.type('#account-form [name=otp]', otp);
  await page.click('#account-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#account-error').className === 'ok');
  assert.equal(await text(page, '#account-error'), 'The settlement account was changed and your ' +
    'merchant is back in review (status: IN_REVIEW). Payouts wait until it is approved.');
  assert.equal(await text(page, '#merchant-status'), 'IN_REVIEW');
  await shot(page, 'portal-account-changed.png');
});
