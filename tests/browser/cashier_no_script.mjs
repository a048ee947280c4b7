// Cashier: every step works before (and without) the script: a plain form post for the amount,
// the sandbox wallet's form, and a result page that refreshes itself until the payment is final.
// In: AGGPAY_GATEWAY_URL, AGGPAY_CODE_ID. Out: PAYMENT_ID.
import {scenario, assert, env, result, text, clickAndWait} from './lib/harness.mjs';
import {cashierUrl} from './lib/cashier.mjs';

await scenario('the cashier works without its script', async ({newPage}) => {
  const page = await newPage({lang: 'en-GB,en;q=0.9'});
  await page.setJavaScriptEnabled(false);
  await page.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'load'});
  assert.equal(await page.$eval('html', (e) => e.lang), 'en');
  // No script: no keypad, the amount is typed into the field.
  assert.equal(await page.$eval('.keypad', (e) => getComputedStyle(e).display), 'none');
  // A bad amount comes back from the server with its error and the field named.
  await page.type('#amount', '3.999');
  await clickAndWait(page, '#pay-button');
  assert.match(await text(page, '#error'), /^Invalid amount/);
  assert.equal(await page.$eval('#error', (e) => e.dataset.field), 'amount');
  await page.$eval('#amount', (e) => { e.value = ''; });
  await page.type('#amount', '3.99');
  await clickAndWait(page, '#pay-button');
  assert.match(page.url(), /\/confirm\?p=/);
  result('PAYMENT_ID', new URL(page.url()).searchParams.get('p'));
  assert.equal(await text(page, '#confirm-amount'), '¥3.99');
  await clickAndWait(page, '#confirm-button');
  assert.match(page.url(), /\/result\?p=/);
  // The sandbox calls back within moments; the page refreshes itself every 3 s until then.
  for (let i = 0; i < 10; i++) {
    if ((await text(page, '#status-text')) === 'Payment successful') break;
    await page.waitForNavigation({waitUntil: 'load', timeout: 5000});
  }
  assert.equal(await text(page, '#status-text'), 'Payment successful');
});
