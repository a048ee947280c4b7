// Console: a reviewer opens a merchant by its id (profile, stores, terminals, codes in keyset
// pages of 20, fee plan, the application's documents and history) and freezes it with a reason (none is refused,
// naming the field); then looks at the risk page (the rules, with their change buttons).
// In: AGGPAY_GATEWAY_URL, AGGPAY_MERCHANT_ID, AGGPAY_REVIEWER / _PASSWORD / _TOTP_URI.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {DESKTOP, signedIn, go} from './lib/console_pages.mjs';

await scenario('a reviewer freezes a merchant from its detail page', async ({newPage, shot}) => {
  const merchant = env('AGGPAY_MERCHANT_ID');
  const page = await newPage({lang: 'en-US,en;q=0.9', viewport: DESKTOP, apiErrorsExpected: true});
  await signedIn(page, 'AGGPAY_REVIEWER');
  await go(page, 'merchants', '#merchant-open');
  await page.type('#merchant-open [name=merchant_id]', merchant);
  await page.click('#merchant-open button[type=submit]');
  await page.waitForSelector('#freeze-form');
  assert.equal(await text(page, '#merchant-status'), 'ACTIVE');
  await page.waitForSelector('#store-table tbody tr');
  await page.waitForSelector('#fee-plan');
  assert.match(await text(page, '#fee-plan'), /bank-standard/);
  assert.ok((await page.$$('#review-history tbody tr')).length >= 2, 'the application history');
  // The merchant's 21 codes: a page of 20, then the next.
  await page.waitForSelector('#merchant-codes-more', {visible: true});
  assert.equal((await page.$$('#merchant-codes tbody tr')).length, 20);
  await page.click('#merchant-codes-more');
  await page.waitForFunction(() => document.querySelectorAll('#merchant-codes tbody tr').length === 21);
  assert.equal(await page.$eval('#merchant-codes-more', (b) => b.hidden), true, 'a third page');
  await shot(page, 'console-merchant.png');
  await page.click('#freeze-button');
  assert.match(await text(page, '#freeze-message'), /^reason: /);
  await page.type('#freeze-form [name=reason]', 'chargebacks under investigation');
  await page.click('#freeze-button');
  await page.waitForFunction(() => document.querySelector('#merchant-status')?.textContent === 'FROZEN');
  await page.waitForSelector('#unfreeze-button');

  await go(page, 'risk', '#rule-table tbody tr');
  assert.ok((await page.$$('#rule-table [data-rule]')).length > 0, 'a reviewer may change rules');
  await page.waitForSelector('#appeal-table');
});
