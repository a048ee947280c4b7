// Merchant portal: a frozen merchant's owner tries to reset a code; the page says why it was
// refused and what to do next (an appeal, or a staff review).
// In: AGGPAY_GATEWAY_URL, AGGPAY_OWNER_SESSION (the owner's session cookie), AGGPAY_CODE_ID.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {portalUrl} from './lib/portal.mjs';

await scenario('a refused reset says why and what to do', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
  await page.setCookie({name: '__Host-aggpay_portal', value: env('AGGPAY_OWNER_SESSION'),
    url: env('AGGPAY_GATEWAY_URL'), httpOnly: true, secure: true, sameSite: 'Strict'});
  await page.goto(portalUrl('codes'), {waitUntil: 'networkidle0'});
  const code = env('AGGPAY_CODE_ID');
  await page.waitForSelector(`li[data-code="${code}"] [data-action=reset]`);
  await page.click(`li[data-code="${code}"] [data-action=reset]`);
  await page.select('#reset-form [name=reason]', 'DAMAGED');
  await page.click('#reset-send');
  await page.waitForFunction(() => document.querySelector('#reset-error').textContent !== '');
  assert.equal(await text(page, '#reset-error'),
    'The reset was refused: code_id: the merchant is FROZEN, not ACTIVE');
  assert.equal(await text(page, '#reset-hint'), 'A frozen merchant cannot reset codes itself: ' +
    'submit an appeal with evidence, or ask the service provider for a staff review.');
  await shot(page, 'portal-reset-refused.png');
});
