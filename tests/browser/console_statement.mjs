// Console: finance sees the settlement batches (totals in major units with their currency) and
// downloads a merchant's statement for a business date as a CSV file.
// In: AGGPAY_GATEWAY_URL, AGGPAY_MERCHANT_ID, AGGPAY_DATE, AGGPAY_DOWNLOAD_DIR,
// AGGPAY_FINANCE / _PASSWORD / _TOTP_URI.
import {readdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {scenario, assert, env, result} from './lib/harness.mjs';
import {consoleUrl, signIn, totp} from './lib/console.mjs';

await scenario('finance downloads a statement', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true,
    viewport: {width: 1280, height: 800, deviceScaleFactor: 1}});
  const dir = env('AGGPAY_DOWNLOAD_DIR');
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', {behavior: 'allow', downloadPath: dir});
  await page.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  await signIn(page, env('AGGPAY_FINANCE'), env('AGGPAY_FINANCE_PASSWORD'),
    totp(env('AGGPAY_FINANCE_TOTP_URI')));
  await page.waitForSelector('#nav a[data-page=settlement]', {visible: true});
  assert.equal(await page.$('#nav a[data-page=codes]'), null, 'finance is shown the codes page');
  await page.click('#nav a[data-page=settlement]');
  await page.waitForSelector('#batch-table tbody tr');
  const total = await page.$eval('#batch-table tbody tr td.amount', (td) => td.textContent);
  assert.match(total, /^CNY [\d,]+\.\d\d/);
  result('BATCH_TOTAL', total);

  await page.type('#statement-form [name=merchant_id]', env('AGGPAY_MERCHANT_ID'));
  // A date input takes the digits in the viewer's locale order: set its value directly.
  await page.$eval('#statement-form [name=date]', (i, d) => { i.value = d; }, env('AGGPAY_DATE'));
  await page.click('#statement-form button[type=submit]');
  await page.waitForSelector('#statement-link');
  await shot(page, 'console-settlement.png');
  const name = `statement-${env('AGGPAY_MERCHANT_ID')}-${env('AGGPAY_DATE')}.csv`;
  let csv = '';
  for (let i = 0; i < 50 && !csv; ++i) {
    if ((await readdir(dir)).includes(name)) csv = await readFile(join(dir, name), 'utf8');
    else await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(csv, `${name} was not downloaded`);
  assert.match(csv, /LINE,T1,CNY,/);
  result('STATEMENT_BYTES', csv.length);
});
