// Merchant portal: the settlement of a business day, its HELD line with why, and the statement
// downloaded as a CSV file.
// In: AGGPAY_GATEWAY_URL, AGGPAY_SMS_LOG, AGGPAY_OWNER_MOBILE, AGGPAY_DATE, AGGPAY_DOWNLOAD_DIR.
// Out: STATEMENT (the downloaded file's path).
import {readdir} from 'node:fs/promises';
import {join} from 'node:path';
import {scenario, assert, env, text, result} from './lib/harness.mjs';
import {portalUrl, signIn} from './lib/portal.mjs';

await scenario('a held settlement line says why, and the statement downloads', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
  const dir = env('AGGPAY_DOWNLOAD_DIR');
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', {behavior: 'allow', downloadPath: dir});
  await page.goto(portalUrl(), {waitUntil: 'networkidle0'});
  await signIn(page, env('AGGPAY_OWNER_MOBILE'));
  await page.goto(portalUrl(`settlement?date=${env('AGGPAY_DATE')}`), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#line-list li[data-status=HELD]');
  assert.match(await text(page, '#line-list li[data-status=HELD] .why'), /^Held: while your merchant is frozen/);
  await shot(page, 'portal-settlement.png');
  await page.click('#statement-download');
  let file = '';
  for (let i = 0; i < 80 && !file; ++i) {
    const name = (await readdir(dir)).find((n) => n.startsWith('statement-') && n.endsWith(`-${env('AGGPAY_DATE')}.csv`));
    if (name) file = join(dir, name); else await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(file, 'the statement was not downloaded');
  result('STATEMENT', file);
});
