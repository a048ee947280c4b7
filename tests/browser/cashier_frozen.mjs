// Cashier: a frozen merchant's code shows its page: the merchant's name and that it cannot
// collect, no pay form. In: AGGPAY_GATEWAY_URL, AGGPAY_CODE_ID, AGGPAY_MERCHANT_NAME.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {cashierUrl} from './lib/cashier.mjs';

await scenario("a frozen merchant's code shows its page", async ({newPage, shot}) => {
  const page = await newPage();
  const res = await page.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'networkidle0'});
  assert.equal(res.status(), 200);
  assert.equal(await text(page, 'h1'), '商家暂停收款');
  assert.equal(await text(page, '.outcome .merchant'), env('AGGPAY_MERCHANT_NAME'));
  assert.equal(await text(page, '.outcome .text'), '该商家暂时无法收款。');
  assert.equal(await page.$('form'), null);
  await shot(page, 'cashier-frozen.png');

  const en = await newPage({lang: 'en'});
  await en.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'networkidle0'});
  assert.equal(await text(en, '.outcome .text'), 'This merchant cannot collect right now.');
});
