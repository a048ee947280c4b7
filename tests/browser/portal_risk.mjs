// Merchant portal: an owner sets an alert threshold (a malformed amount is refused naming the
// field), a payer's payment crosses it, and the alert shows on the risk page and on Today; then
// Today and the Codes page in Chinese, the default language.
// In: AGGPAY_GATEWAY_URL, AGGPAY_OWNER_SESSION, AGGPAY_CODE_ID (a code of the merchant's).
import {scenario, assert, env, text} from './lib/harness.mjs';
import {portalUrl} from './lib/portal.mjs';

await scenario('a threshold crossed raises an alert', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
  await page.setCookie({name: '__Host-aggpay_portal', value: env('AGGPAY_OWNER_SESSION'),
    url: env('AGGPAY_GATEWAY_URL'), httpOnly: true, secure: true, sameSite: 'Strict'});
  await page.goto(portalUrl('risk'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#threshold-form');
  const field = '#threshold-form [name=single_payment_over]';
  await page.$eval(field, (i) => { i.value = ''; });
  await page.type(field, '50.555');
  await page.click('#threshold-form button[type=submit]');
  await page.waitForSelector(`${field}[aria-invalid=true]`);
  assert.equal(await text(page, '#threshold-error'),
    'single_payment_over: an amount with at most 2 decimals');
  await page.$eval(field, (i) => { i.value = ''; });
  await page.type(field, '50.00');
  await page.click('#threshold-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#threshold-error').className === 'ok');

  // A payer scans the code and pays 60.00 (the public route the cashier page uses).
  const paid = await fetch(`${env('AGGPAY_GATEWAY_URL')}/v1/public/payments`, {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({code: env('AGGPAY_CODE_ID'), wallet: 'alipay',
      amount: {currency: 'CNY', amount_minor: '6000'}, client_request_id: 'portal-risk-1'})});
  assert.equal(paid.status, 200, await paid.text());

  await page.goto(portalUrl('risk'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#risk-alerts li[data-kind=SINGLE_PAYMENT]');
  assert.equal(await text(page, '#risk-alerts li[data-kind=SINGLE_PAYMENT] .amount'), 'CNY 60.00');
  assert.equal(await page.$eval(field, (i) => i.value), '50.00');
  await shot(page, 'portal-risk.png');
  await page.click('#nav a[data-page=today]');
  await page.waitForSelector('#alerts li');
  assert.ok((await text(page, '#alerts')).includes('A payment over your threshold'));

  // Chinese, the default (the browser's Accept-Language is zh-CN): Today and the Codes page.
  const zh = await newPage();
  await zh.setCookie({name: '__Host-aggpay_portal', value: env('AGGPAY_OWNER_SESSION'),
    url: env('AGGPAY_GATEWAY_URL'), httpOnly: true, secure: true, sameSite: 'Strict'});
  await zh.goto(portalUrl('today'), {waitUntil: 'networkidle0'});
  await zh.waitForSelector('#alerts li');
  assert.equal(await zh.$eval('html', (h) => h.lang), 'zh-CN');
  assert.ok((await text(zh, '#alerts')).includes('单笔金额超过阈值'));
  assert.equal(await text(zh, '#next-plan'), 'T+1（下一个工作日到账）');
  await zh.click('#nav a[data-page=codes]');
  await zh.waitForSelector(`li[data-code="${env('AGGPAY_CODE_ID')}"] [data-action=reset]`);
  assert.equal(await text(zh, '#page h1'), '收款码');
  assert.equal(await text(zh, '#nav a[data-page=terminals]'), '终端');
  assert.equal(await text(zh, `li[data-code="${env('AGGPAY_CODE_ID')}"] [data-action=reset]`), '重置收款码');
});
