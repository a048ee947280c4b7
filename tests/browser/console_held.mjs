// Console: finance lists the HELD settlement lines (of every date), finds the merchant's, and
// releases it; the line is then PAID by a RELEASE batch. Then the day's reconciliation and its
// rows.
// In: AGGPAY_GATEWAY_URL, AGGPAY_MERCHANT_ID, AGGPAY_FINANCE / _PASSWORD / _TOTP_URI.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {DESKTOP, signedIn, go} from './lib/console_pages.mjs';

await scenario('finance releases a held line', async ({newPage, shot}) => {
  const merchant = env('AGGPAY_MERCHANT_ID');
  const page = await newPage({lang: 'en-US,en;q=0.9', viewport: DESKTOP, apiErrorsExpected: true});
  await signedIn(page, 'AGGPAY_FINANCE');
  await go(page, 'settlement', '#line-filters');
  await page.select('#line-filters [name=status]', 'HELD');
  await page.click('#line-filters button[type=submit]');
  await page.waitForSelector(`#line-table [data-release="${merchant}"]`);
  await shot(page, 'console-settlement-lines.png');
  await page.click(`#line-table [data-release="${merchant}"]`);
  await page.waitForFunction(() => document.querySelector('#line-message').textContent.startsWith('Released'));
  assert.match(await text(page, '#line-message'), new RegExp(`Released 1 line\\(s\\) of ${merchant}`));
  assert.equal(await page.$(`#line-table [data-release="${merchant}"]`), null, 'still held');
  // The day's lines: the released one is PAID now.
  await page.select('#line-filters [name=status]', '');
  await page.type('#line-filters [name=merchant_id]', merchant);
  await page.$eval('#line-filters [name=date]', (e) => { e.value = '2026-11-26'; });
  await page.click('#line-filters button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#line-table tbody tr'));
  const rows = await page.$$eval('#line-table tbody tr', (trs) => trs.map((tr) => tr.children[10].textContent));
  assert.deepEqual(rows, ['PAID']);

  // The day's reconciliation against the sandbox's bill, and its rows.
  await page.$eval('#recon-filters [name=date]', (e) => { e.value = '2026-11-26'; });
  await page.click('#recon-filters button[type=submit]');
  await page.waitForSelector('#recon-table [data-recon]');
  const recon = await page.$$eval('#recon-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(recon.length, 1, JSON.stringify(recon));
  assert.equal(recon[0][3], 'DIFFERENCES');
  await page.click('#recon-table [data-recon]');
  await page.waitForSelector('#recon-items tbody tr');
  const items = await page.$$eval('#recon-items tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent));
  assert.equal(items.length, Number(recon[0][7]), JSON.stringify(items));
  assert.ok(items.every((k) => k === 'MISSING_CHANNEL'), JSON.stringify(items));
});
