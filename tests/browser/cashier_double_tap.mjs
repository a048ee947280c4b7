// Cashier: a double-tapped pay button, the same form sent twice more, and the back button after
// paying make one payment. The C++ test counts the payments of the code.
// In: AGGPAY_GATEWAY_URL, AGGPAY_CODE_ID. Out: PAYMENT_ID.
import {scenario, assert, env, result} from './lib/harness.mjs';
import {cashierUrl, typeOnKeypad} from './lib/cashier.mjs';

await scenario('a double-tapped pay button makes one payment', async ({newPage}) => {
  // Inside WeChat: the wallet is known, no choice is shown.
  const page = await newPage({userAgent: 'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 ' +
    '(KHTML, like Gecko) Mobile Safari/537.36 MicroMessenger/8.0.42.2460(0x28002A58) WeChat/arm64'});
  await page.goto('about:blank');
  await page.goto(cashierUrl(env('AGGPAY_CODE_ID')), {waitUntil: 'networkidle0'});
  assert.equal(await page.$$eval('input[name=wallet]', (l) => l.map((e) => e.value).join()),
    'wechat');
  await typeOnKeypad(page, '8.8');

  // The same page view's form sent twice at once, as a page without its script would on a
  // double tap: the server answers both with one payment.
  const nexts = await page.evaluate(async () => {
    const form = document.getElementById('pay');
    const send = () => fetch(form.action, {method: 'POST', headers: {Accept: 'application/json'},
      body: new URLSearchParams(new FormData(form))}).then((r) => r.json());
    return Promise.all([send(), send()]);
  });
  assert.ok(nexts[0].next, JSON.stringify(nexts));
  assert.equal(nexts[0].next, nexts[1].next);

  // Two taps in a row on the button: the second finds it disabled.
  const nav = page.waitForNavigation({waitUntil: 'load'});
  const disabledAfterFirst = await page.evaluate(() => {
    const b = document.getElementById('pay-button');
    b.click();
    const d = b.disabled;
    b.click();
    return d;
  });
  assert.equal(disabledAfterFirst, true);
  await nav;
  assert.equal(new URL(page.url(), 'http://x').pathname + new URL(page.url()).search,
    nexts[0].next);
  result('PAYMENT_ID', new URL(page.url()).searchParams.get('p'));

  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click('#confirm-button')]);
  await page.waitForSelector('main[data-status=SUCCESS]', {timeout: 15000});
  // Back: the cashier form was replaced in history, so the payer lands where they came from.
  await page.goBack();
  assert.equal(page.url(), 'about:blank');
});
