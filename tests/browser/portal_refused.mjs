// Merchant portal: a merchant frozen by risk control. Today says so; its owner tries to reset a
// code and the page says why it was refused and what to do next; the owner then submits an
// appeal with evidence (the file's fingerprint leaves the phone, not the file) and follows it.
// In: AGGPAY_GATEWAY_URL, AGGPAY_OWNER_SESSION (the owner's session cookie), AGGPAY_CODE_ID,
// AGGPAY_DOWNLOAD_DIR (where the evidence file is written).
// Out: EVIDENCE_SHA256.
import {createHash} from 'node:crypto';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {scenario, assert, env, text, result} from './lib/harness.mjs';
import {portalUrl} from './lib/portal.mjs';

await scenario('a refused reset says why and what to do; an appeal follows', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true});
  await page.setCookie({name: '__Host-aggpay_portal', value: env('AGGPAY_OWNER_SESSION'),
    url: env('AGGPAY_GATEWAY_URL'), httpOnly: true, secure: true, sameSite: 'Strict'});
  await page.goto(portalUrl('today'), {waitUntil: 'networkidle0'});
  await page.waitForSelector('#alerts .notice');
  assert.match(await text(page, '#alerts .notice'), /^Your merchant is frozen: sales surge/);

  await page.goto(portalUrl('codes'), {waitUntil: 'networkidle0'});
  const code = env('AGGPAY_CODE_ID');
  await page.waitForSelector(`li[data-code="${code}"] [data-action=reset]`);
  await page.click(`li[data-code="${code}"] [data-action=reset]`);
  await page.select('#reset-form [name=reason]', 'DAMAGED');
  await page.click('#reset-send');
  await page.waitForFunction(() => document.querySelector('#reset-error').textContent !== '');
  assert.equal(await text(page, '#reset-error'),
    'The reset was refused: code_id: the merchant is FROZEN, not ACTIVE');
  assert.equal(await text(page, '#reset-hint'), 'A frozen merchant cannot reset codes itself: ' +
    'submit an appeal with evidence, or ask the service provider for a staff review.');
  await shot(page, 'portal-reset-refused.png');

  // The appeal, with a sales record as evidence.
  const evidence = join(env('AGGPAY_DOWNLOAD_DIR'), 'sales-2026-12.csv');
  const body = 'date,orders,amount\n2026-12-01,212,18234.50\n';
  await writeFile(evidence, body);
  result('EVIDENCE_SHA256', createHash('sha256').update(body).digest('hex'));
  await page.click('#nav a[data-page=risk]');
  await page.waitForSelector('#appeal-form');
  assert.match(await text(page, '#risk-freezes'), /sales surge/);
  await page.type('#appeal-form [name=statement]', 'A wedding banquet: the sales were real');
  const input = await page.$('#appeal-form [name=documents]');
  await input.uploadFile(evidence);
  await page.click('#appeal-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#appeal-error').className === 'ok');
  await page.reload({waitUntil: 'networkidle0'});
  await page.waitForSelector('#risk-appeals li');
  assert.match(await text(page, '#risk-appeals li'), /A wedding banquet.*PENDING/s);
});
