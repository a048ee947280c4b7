// Cashier: a code replaced by a reset shows the replaced page, in Chinese and in English, with
// nothing about the merchant. In: AGGPAY_GATEWAY_URL, AGGPAY_CODE_ID (the old code),
// AGGPAY_MERCHANT_NAME.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {cashierUrl} from './lib/cashier.mjs';

await scenario('a replaced code shows the replaced page', async ({newPage, shot}) => {
  const page = await newPage();
  const res = await page.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'networkidle0'});
  assert.equal(res.status(), 410);
  assert.equal(await text(page, 'h1'), '收款码已更换');
  assert.equal(await text(page, '.outcome .text'), '此收款码已更换，请向商家索取新的收款码。');
  const body = await page.content();
  assert.ok(!body.includes(env('AGGPAY_MERCHANT_NAME')), 'the replaced page names the merchant');
  assert.equal(await page.$('form'), null);
  await shot(page, 'cashier-replaced.png');

  const en = await newPage({lang: 'en-US,en;q=0.9'});
  await en.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'networkidle0'});
  assert.equal(await en.$eval('html', (e) => e.lang), 'en');
  assert.equal(await text(en, '.outcome .text'),
    'This code has been replaced; ask the merchant for the new one.');
});
