// Console: sign in with a password and a TOTP code; a wrong code and a replayed code are
// refused; the session cookie is HttpOnly, Secure and SameSite=Strict; a change without the CSRF
// token is refused; the auditor's menu has the audit log and "verify chain"; signing out ends the
// session on the server, so the old cookie no longer works.
// In: AGGPAY_GATEWAY_URL, AGGPAY_USERNAME, AGGPAY_PASSWORD, AGGPAY_TOTP_URI (an auditor's).
import {scenario, assert, env, text} from './lib/harness.mjs';
import {consoleUrl, signIn, totp} from './lib/console.mjs';

const DESKTOP = {width: 1280, height: 800, deviceScaleFactor: 1};

await scenario('staff sign in with a password and a TOTP code', async ({newPage, shot}) => {
  const page = await newPage({lang: 'en-US,en;q=0.9', viewport: DESKTOP, apiErrorsExpected: true});
  const user = env('AGGPAY_USERNAME');
  const password = env('AGGPAY_PASSWORD');
  const uri = env('AGGPAY_TOTP_URI');
  const res = await page.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /default-src 'none'; script-src 'self'/);
  await shot(page, 'console-sign-in.png');

  // A wrong code: refused, and the form says so.
  const wrong = String((Number(totp(uri)) + 1) % 1000000).padStart(6, '0');
  await signIn(page, user, password, wrong);
  await page.waitForFunction(() => document.querySelector('#sign-in-error').textContent !== '');
  assert.equal(await text(page, '#sign-in-error'), 'wrong username, password or code');

  // An empty code: the error names the field.
  await signIn(page, user, password, '');
  await page.waitForSelector('[name=totp_code][aria-invalid=true]');
  assert.equal(await text(page, '#sign-in-error'), 'totp_code: is required');

  const code = totp(uri);
  await signIn(page, user, password, code);
  await page.waitForSelector('#nav a[data-page=audit]', {visible: true});
  assert.equal(await text(page, '#who'), `${user} (auditor)`);

  const cookies = await page.cookies();
  const session = cookies.find((c) => c.name === '__Host-aggpay_console');
  assert.ok(session, 'no session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.path, '/');
  assert.ok(session.value.startsWith('agss_'));
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session is readable by script');

  // The same code again, in another browser: refused (each code works once).
  const other = await (await page.browser().createBrowserContext()).newPage();
  await other.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  await signIn(other, user, password, code);
  await other.waitForFunction(() => document.querySelector('#sign-in-error').textContent !== '');
  assert.equal(await text(other, '#sign-in-error'), 'wrong username, password or code');

  // A change without the CSRF token is refused, even with the session cookie.
  const noCsrf = await page.evaluate(async () => {
    const r = await fetch('/v1/staff/audit:verify', {method: 'POST', body: '{}',
      headers: {'Content-Type': 'application/json'}});
    return r.status;
  });
  assert.equal(noCsrf, 403);

  // The audit log, newest sign-in included, and the chain verified.
  await page.click('#nav a[data-page=audit]');
  await page.waitForSelector('#audit-table tbody tr');
  const actions = await page.$$eval('#audit-table tbody td:nth-child(5)', (tds) =>
    tds.map((td) => td.textContent));
  assert.ok(actions.includes('/aggpay.v1.AdminService/SignIn'), actions.join(', '));
  const hover = await page.$eval('#audit-table time', (t) => t.title);
  assert.match(hover, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await page.click('#verify-chain');
  await page.waitForFunction(() => document.querySelector('#verify-result').textContent !== '');
  assert.match(await text(page, '#verify-result'), /^Chain intact: \d+ entries checked\.$/);
  await shot(page, 'console-audit.png');

  // Sign out: the cookie is gone, and the session it held is dead on the server too.
  await page.click('#sign-out');
  await page.waitForSelector('#sign-in-form', {visible: true});
  const after = await fetch(`${env('AGGPAY_GATEWAY_URL')}/v1/staff/whoami`,
    {headers: {Cookie: `__Host-aggpay_console=${session.value}`}});
  assert.equal(after.status, 401);
});
