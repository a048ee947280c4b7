// Helpers for the merchant portal's scenarios: reading the SMS the platform sent (the local
// stack's SMS gateway is a log file, services/common/sms) and signing in by SMS code.
import {readFile} from 'node:fs/promises';
import {env} from './harness.mjs';

export function portalUrl(path = '') {
  return `${env('AGGPAY_GATEWAY_URL')}/m/${path}`;
}

// The newest 6-digit code in an SMS line that matches `pattern` (a RegExp with one group).
export async function lastSms(pattern) {
  for (let i = 0; i < 50; ++i) {
    const lines = (await readFile(env('AGGPAY_SMS_LOG'), 'utf8').catch(() => '')).split('\n');
    for (let k = lines.length - 1; k >= 0; --k) {
      const m = pattern.exec(lines[k]);
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMS matches ${pattern}`);
}

export async function signIn(page, mobile) {
  await page.waitForSelector('#sign-in-form', {visible: true});
  await page.$eval('#sign-in-form', (f) => f.reset());
  await page.type('#sign-in-form [name=mobile]', mobile);
  await page.click('#send-code');
  await page.waitForFunction(() => document.querySelector('#code-sent').textContent !== '' ||
    document.querySelector('#sign-in-error').textContent !== '');
  const code = await lastSms(new RegExp(`${mobile} aggpay: (\\d{6}) signs you in`));
  await page.type('#sign-in-form [name=code]', code);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#nav a[data-page=today]', {visible: true});
  return code;
}

// A change the way the page makes it (the session's cookie and CSRF token), whatever the page
// shows: what the server answers.
export async function portalFetch(page, method, path, body) {
  return page.evaluate(async (method, path, body) => {
    const s = await (await fetch('/m/api/session')).json();
    const r = await fetch(path, {method, body: body === null ? undefined : JSON.stringify(body),
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token}});
    return {status: r.status, body: await r.text()};
  }, method, path, body === undefined ? null : body);
}
