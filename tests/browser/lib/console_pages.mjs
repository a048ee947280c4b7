// What the console page scenarios share: a desktop window, signing in from the environment
// (PREFIX, PREFIX_PASSWORD, PREFIX_TOTP_URI), and calling a staff route from the page's own
// session (with its CSRF token), as a button would.
import {env} from './harness.mjs';
import {consoleUrl, signIn, totp} from './console.mjs';

export const DESKTOP = {width: 1280, height: 900, deviceScaleFactor: 1};

export async function signedIn(page, prefix) {
  await page.goto(consoleUrl(), {waitUntil: 'networkidle0'});
  await signIn(page, env(prefix), env(`${prefix}_PASSWORD`), totp(env(`${prefix}_TOTP_URI`)));
  await page.waitForSelector('#nav a[data-page=dashboard]', {visible: true});
}

export async function go(page, name, ready) {
  await page.click(`#nav a[data-page=${name}]`);
  await page.waitForSelector(ready);
}

export function callFromPage(page, method, path, body) {
  return page.evaluate(async (method, path, body) => {
    const s = await (await fetch('/console/api/session')).json();
    const r = await fetch(path, {method,
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token},
      body: JSON.stringify(body)});
    return {status: r.status, body: await r.json()};
  }, method, path, body);
}
