// Console: an operator renders a code's printable SVG, unbinds it with a reason (none: refused
// naming the field) and lists a merchant's scans of replaced codes; a reviewer rejects nothing
// without a reason, approves a reset request waiting for review, and changes a risk rule's
// parameter with a reason (a new version); and approves a frozen merchant's appeal (a note is
// required).
// In: AGGPAY_GATEWAY_URL, AGGPAY_MERCHANT_ID, AGGPAY_UNBIND_CODE, AGGPAY_REPLACED_CODE,
// AGGPAY_REQUEST_ID, AGGPAY_OPERATOR / _PASSWORD / _TOTP_URI, AGGPAY_REVIEWER / ...
import {scenario, assert, env, text} from './lib/harness.mjs';
import {DESKTOP, signedIn, go} from './lib/console_pages.mjs';

await scenario('code tools, appeals and risk rules', async ({browser, newPage, shot}) => {
  const opts = {lang: 'en-US,en;q=0.9', viewport: DESKTOP, apiErrorsExpected: true};
  const op = await newPage(opts);
  await signedIn(op, 'AGGPAY_OPERATOR');
  await go(op, 'codes', '#code-lookup');
  await op.type('#code-lookup [name=code]', `${env('AGGPAY_GATEWAY_URL')}/c/${env('AGGPAY_UNBIND_CODE')}`);
  await op.click('#code-lookup button[type=submit]');
  await op.waitForSelector('#print-form');
  await op.click('#print-form button[type=submit]');
  await op.waitForSelector('#code-image-preview');
  const src = await op.$eval('#code-image-preview', (e) => e.getAttribute('src'));
  assert.ok(src.startsWith('data:image/svg+xml;base64,'), src.slice(0, 40));
  assert.ok(await op.$eval('#code-image-preview', (e) => e.complete && e.naturalWidth > 0), 'the SVG renders');
  await op.type('#scan-filters [name=merchant_id]', env('AGGPAY_MERCHANT_ID'));
  await op.click('#scan-filters button[type=submit]');
  await op.waitForFunction(() => document.querySelector('#scan-message').textContent.includes('in all'));
  const scans = await op.$$eval('#scan-table tbody tr', (trs) => trs.map((tr) => tr.children[1].textContent));
  assert.ok(scans.includes(env('AGGPAY_REPLACED_CODE')), JSON.stringify(scans));
  await shot(op, 'console-code-tools.png');
  await op.click('#unbind-button');
  assert.match(await text(op, '#unbind-message'), /^reason: /);
  await op.type('#unbind-form [name=reason]', 'the stand was taken away');
  await op.click('#unbind-button');
  await op.waitForFunction(() => document.querySelector('#code-status')?.textContent === 'UNBOUND');
  assert.equal(await op.$('#unbind-form'), null, 'an unbound code still offers unbind');

  const ctx = await browser.createBrowserContext();
  const rev = await ctx.newPage();
  await rev.setViewport(DESKTOP);
  await signedIn(rev, 'AGGPAY_REVIEWER');
  await go(rev, 'codes', '#reset-request-table');
  await rev.waitForSelector('#reset-request-table [data-review=approve]');
  await rev.click('#reset-request-table [data-review=reject]');
  assert.match(await text(rev, '#reset-queue-message'), /^reason: /);
  await rev.type('#reset-request-table [name=reason]', 'owner called in person');
  await rev.click('#reset-request-table [data-review=approve]');
  await rev.waitForFunction((id) => document.querySelector('#reset-queue-message').textContent.startsWith(`${id}: COMPLETED`),
    {}, env('AGGPAY_REQUEST_ID'));
  assert.equal(await rev.$('#reset-request-table [data-review]'), null, 'the request is still waiting');

  await go(rev, 'risk', '#rule-table [data-rule=night_small]');
  // The event behind the freeze, with its evidence; then the appeal waiting: its statement and
  // document hash; a note is required.
  const appealMerchant = env('AGGPAY_APPEAL_MERCHANT_ID');
  await rev.type('#risk-filters [name=merchant_id]', appealMerchant);
  await rev.click('#risk-filters button[type=submit]');
  await rev.waitForFunction((m) => [...document.querySelectorAll('#risk-table tbody tr')].length === 1 &&
    document.querySelector('#risk-table tbody tr').children[2].textContent === m, {}, appealMerchant);
  const event = await rev.$eval('#risk-table tbody tr', (tr) => [...tr.children].map((td) => td.textContent));
  assert.equal(event[3], 'FREEZE');
  assert.equal(event[4], 'CNY 1.00');
  assert.equal(event[8], 'night_small → FREEZE count=20 window_seconds=600');
  await rev.waitForFunction((m) => document.querySelector('#appeal-table')?.textContent.includes(m), {}, appealMerchant);
  assert.match(await text(rev, '#appeal-table tbody'), /we bake at night/);
  assert.match(await text(rev, '#appeal-table tbody'), new RegExp(`invoices.pdf: ${'a'.repeat(64)}`));
  await shot(rev, 'console-risk.png');
  await rev.click('#appeal-table [data-verdict=APPROVE]');
  assert.match(await text(rev, '#appeal-message'), /^note: /);
  await rev.type('#appeal-table [name=note]', 'bakery hours confirmed');
  await rev.click('#appeal-table [data-verdict=APPROVE]');
  await rev.waitForFunction(() => /: APPROVED\.$/.test(document.querySelector('#appeal-message').textContent));

  await rev.click('#rule-table [data-rule=night_small]');
  await rev.waitForSelector('#rule-form');
  await rev.$eval('#rule-form [name="params.count"]', (e) => { e.value = '25'; });
  await rev.click('#rule-save');
  assert.match(await text(rev, '#rule-form [role=alert]'), /^reason: /);
  await rev.type('#rule-form [name=reason]', 'fewer false alarms at night');
  await rev.click('#rule-save');
  await rev.waitForSelector('#rule-done');
  assert.equal(await text(rev, '#rule-done'), 'night_small is now version 2.');
});
