// Console: a reviewer finds a submitted application in the review queue, sees its documents'
// hashes, and approves it with a reason; the merchant is then ACTIVE. An empty reject reason
// is refused with an error naming the field.
// In: AGGPAY_GATEWAY_URL, AGGPAY_MERCHANT_ID, AGGPAY_REVIEWER / _PASSWORD / _TOTP_URI.
import {scenario, assert, env, text} from './lib/harness.mjs';
import {consoleUrl, signIn, totp} from './lib/console.mjs';

await scenario('a reviewer approves an application', async ({newPage, shot}) => {
  const id = env('AGGPAY_MERCHANT_ID');
  const page = await newPage({lang: 'en-US,en;q=0.9', apiErrorsExpected: true,
    viewport: {width: 1280, height: 800, deviceScaleFactor: 1}});
  await page.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  await signIn(page, env('AGGPAY_REVIEWER'), env('AGGPAY_REVIEWER_PASSWORD'),
    totp(env('AGGPAY_REVIEWER_TOTP_URI')));
  await page.waitForSelector('#nav a[data-page=merchants]', {visible: true});
  // The dashboard counts the application waiting (and this stack's other waiting ones).
  await page.waitForSelector('#dash-applications .figure');
  assert.match(await text(page, '#dash-applications .figure'), /^[1-9]\d*\+?$/);
  await page.waitForSelector('#dash-resets .figure');
  await page.waitForSelector('#dash-risk .figure');
  await shot(page, 'console-dashboard.png');
  await page.click('#nav a[data-page=merchants]');
  await page.waitForSelector(`#merchant-table a[data-merchant="${id}"]`);
  await page.click(`#merchant-table a[data-merchant="${id}"]`);
  await page.waitForSelector('#review-form');
  assert.equal(await text(page, '#application-status'), 'SUBMITTED');
  const hashes = await page.$$eval('#documents td.mono', (tds) => tds.map((td) => td.textContent));
  assert.ok(hashes.length > 0, 'no documents shown');
  for (const h of hashes) assert.match(h, /^[0-9a-f]{64}$/);
  await shot(page, 'console-review.png');

  // Rejecting without a reason: refused, naming the field; nothing changes.
  await page.click('#reject-button');
  await page.waitForFunction(() => document.querySelector('#review-message').textContent !== '');
  assert.match(await text(page, '#review-message'), /^reason: /);

  await page.type('#review-form [name=reason]', 'licence and documents checked');
  await page.click('#approve-button');
  await page.waitForSelector('#review-done');
  assert.equal(await text(page, '#application-status'), 'ACTIVE');
  assert.equal(await page.$('#review-form'), null);
});
