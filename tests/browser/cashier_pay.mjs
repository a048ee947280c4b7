// Cashier: scan -> amount on the keypad -> pay in the sandbox -> success.
// In: AGGPAY_GATEWAY_URL, AGGPAY_CODE_ID, AGGPAY_MERCHANT_NAME. Out: PAYMENT_ID, FIRST_PAGE_BYTES.
import {scenario, assert, env, result, text, clickAndWait} from './lib/harness.mjs';
import {cashierUrl, typeOnKeypad} from './lib/cashier.mjs';

await scenario('scan, amount, pay in the sandbox, success', async ({newPage, shot}) => {
  const page = await newPage();
  const res = await page.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'networkidle0'});
  assert.equal(res.status(), 200);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  // The first page is small: HTML, style and script as transferred.
  result('FIRST_PAGE_BYTES', page.transferred);
  assert.ok(page.transferred > 0 && page.transferred <= 50 * 1024,
    `first page transferred ${page.transferred} bytes`);
  // Nothing from another origin.
  const origins = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => new URL(e.name).origin));
  for (const o of origins) assert.equal(o, new URL(page.url()).origin);

  assert.equal(await page.$eval('html', (e) => e.lang), 'zh-CN');
  assert.equal(await text(page, 'h1.merchant'), env('AGGPAY_MERCHANT_NAME'));
  assert.equal(await text(page, '#pay-button'), '付款');
  // A browser that is neither WeChat nor Alipay: the payer chooses.
  assert.equal((await page.$$('input[name=wallet][type=radio]')).length, 3);

  // The page refuses a bad amount before asking anyone.
  await page.click('#pay-button');
  assert.match(await text(page, '#error'), /金额无效/);
  assert.match(page.url(), /\/c\/[^/]+$/);

  await typeOnKeypad(page, '12.345'); // the keypad takes no third decimal
  assert.equal(await page.$eval('#amount', (e) => e.value), '12.34');
  await page.click('input[name=wallet][value=alipay]');
  await shot(page, 'cashier-keypad.png');

  await clickAndWait(page, '#pay-button');
  assert.match(page.url(), /\/confirm\?p=/);
  assert.equal(await text(page, 'h1'), '沙箱钱包');
  assert.equal(await text(page, '#confirm-amount'), '¥12.34');
  const paymentId = new URL(page.url()).searchParams.get('p');
  result('PAYMENT_ID', paymentId);
  await shot(page, 'cashier-confirm.png');

  await clickAndWait(page, '#confirm-button');
  assert.match(page.url(), /\/result\?p=/);
  // The result page polls until the sandbox's callback has made the payment a success.
  await page.waitForSelector('main[data-status=SUCCESS]', {timeout: 15000});
  assert.equal(await text(page, '#status-text'), '付款成功');
  assert.equal(await text(page, '.result .fixed'), '¥12.34');
  await shot(page, 'cashier-success.png');
});
