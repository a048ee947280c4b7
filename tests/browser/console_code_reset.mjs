// Console: an operator looks a code up by pasting its scanned URL and resets it (IMMEDIATE, with
// a reason); the old URL's cashier page then says the code was replaced. An auditor sees the
// same code without a reset button, and the server refuses the same reset from the auditor's
// session; the auditor's audit page shows the operator's reset.
// In: AGGPAY_GATEWAY_URL, AGGPAY_CODE_URL, AGGPAY_OPERATOR / _PASSWORD / _TOTP_URI,
// AGGPAY_AUDITOR / _PASSWORD / _TOTP_URI.
import {scenario, assert, env, text, result} from './lib/harness.mjs';
import {consoleUrl, signIn, totp} from './lib/console.mjs';

const DESKTOP = {width: 1280, height: 800, deviceScaleFactor: 1};

async function lookUp(page, url) {
  await page.click('#nav a[data-page=codes]');
  await page.waitForSelector('#code-lookup');
  await page.type('#code-lookup [name=code]', url);
  await page.click('#code-lookup button[type=submit]');
  await page.waitForSelector('#code-history');
}

await scenario('an operator resets a code; an auditor may not', async ({browser, newPage, shot}) => {
  const codeUrl = env('AGGPAY_CODE_URL');
  const opts = {lang: 'en-US,en;q=0.9', viewport: DESKTOP, apiErrorsExpected: true};

  const op = await newPage(opts);
  await op.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  await signIn(op, env('AGGPAY_OPERATOR'), env('AGGPAY_OPERATOR_PASSWORD'),
    totp(env('AGGPAY_OPERATOR_TOTP_URI')));
  await op.waitForSelector('#nav a[data-page=codes]', {visible: true});
  assert.equal(await op.$('#nav a[data-page=audit]'), null, 'an operator is shown the audit log');
  await lookUp(op, codeUrl);
  assert.equal(await text(op, '#code-status'), 'ACTIVE');
  await op.select('#reset-form [name=reason]', 'DEVICE_LOST');
  await op.select('#reset-form [name=mode]', 'IMMEDIATE');
  await shot(op, 'console-code.png');
  await op.click('#reset-button');
  await op.waitForFunction(() => document.querySelector('#code-message').dataset.newCode);
  const newCode = await op.$eval('#code-message', (e) => e.dataset.newCode);
  await op.waitForFunction(() => document.querySelector('#code-status')?.textContent === 'REVOKED');
  assert.equal(await op.$('#reset-form'), null, 'a revoked code still offers a reset');
  result('NEW_CODE_ID', newCode);

  // The payer who scans the old code.
  const payer = await newPage();
  const res = await payer.goto(codeUrl, {waitUntil: 'networkidle0'});
  assert.equal(res.status(), 410);
  assert.equal(await text(payer, 'h1'), '收款码已更换');

  // The auditor, in a browser of their own.
  const ctx = await browser.createBrowserContext();
  const aud = await ctx.newPage();
  await aud.setViewport(DESKTOP);
  aud.on('pageerror', (e) => { throw e; });
  await aud.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  await signIn(aud, env('AGGPAY_AUDITOR'), env('AGGPAY_AUDITOR_PASSWORD'),
    totp(env('AGGPAY_AUDITOR_TOTP_URI')));
  await aud.waitForSelector('#nav a[data-page=codes]', {visible: true});
  // A second code of the same merchant, still active: no reset button for an auditor.
  await lookUp(aud, env('AGGPAY_OTHER_CODE_URL'));
  assert.equal(await text(aud, '#code-status'), 'ACTIVE');
  assert.equal(await aud.$('#reset-form'), null, 'an auditor is shown the reset button');
  // The same call the button would make, from the auditor's session with its CSRF token.
  const refused = await aud.evaluate(async (code) => {
    const s = await (await fetch('/console/api/session')).json();
    const r = await fetch('/v1/staff/codes:reset', {method: 'POST',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token},
      body: JSON.stringify({code, reason: 'DEVICE_LOST', mode: 'IMMEDIATE'})});
    return {status: r.status, body: await r.json()};
  }, env('AGGPAY_OTHER_CODE_URL'));
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'PERMISSION_DENIED');

  // The audit log shows the operator's reset.
  await aud.click('#nav a[data-page=audit]');
  await aud.waitForSelector('#audit-filters');
  await aud.type('#audit-filters [name=action]', '/aggpay.v1.BindingService/ResetCode');
  await aud.click('#audit-filters button[type=submit]');
  await aud.waitForFunction(() => [...document.querySelectorAll('#audit-table tbody tr')].length >= 2);
  const rows = await aud.$$eval('#audit-table tbody tr', (trs) => trs.map((tr) =>
    [...tr.children].map((td) => td.textContent)));
  const ok = rows.find((r) => r[6] === 'OK');
  assert.ok(ok, JSON.stringify(rows));
  assert.equal(ok[2], `staff:${env('AGGPAY_OPERATOR')}`);
  const denied = rows.find((r) => r[6] === 'PERMISSION_DENIED');
  assert.ok(denied && denied[2] === `staff:${env('AGGPAY_AUDITOR')}`, JSON.stringify(rows));
  await shot(aud, 'console-audit-reset.png');
});
