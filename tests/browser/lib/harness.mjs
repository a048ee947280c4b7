// The browser-test harness: Debian's chromium, headless, in a fresh profile, driven by
// puppeteer-core. A script is one scenario:
//
//   import {scenario, assert} from './lib/harness.mjs';
//   await scenario('a replaced code shows its page', async ({newPage, env, shot}) => { ... });
//
// It prints "ok - NAME" or "not ok - NAME" and the error, exits 0 or 1, and never runs longer
// than AGGPAY_BROWSER_TIMEOUT_MS (default 45 s). Inputs come from the environment (the C++ test
// that seeded the stack sets them); lines "KEY=VALUE" on stdout are results for that test.
// Environment: AGGPAY_CHROMIUM (default /usr/bin/chromium), AGGPAY_SCREENSHOT_DIR (where shot()
// writes PNGs; unset: none are written).
import assert from 'node:assert/strict';
import {mkdtemp, rm, mkdir} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import puppeteer from 'puppeteer-core';

export {assert};

// A phone: what payers and most staff hold.
export const PHONE = {width: 390, height: 780, deviceScaleFactor: 1, isMobile: true, hasTouch: true};
const PHONE_UA = 'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/120.0 Mobile Safari/537.36';

export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function result(key, value) {
  console.log(`${key}=${value}`);
}

// Opens a page as a phone would. Tracks what the page transferred (bytes on the wire, per
// response) and every console error and CSP violation, which fail the scenario at its end.
// `apiErrorsExpected`: a page whose scripts call an API that answers 4xx on purpose (the
// console's refused sign-ins) logs each as a failed load; those are not problems.
async function newPage(browser, problems, {lang = 'zh-CN,zh;q=0.9', userAgent = PHONE_UA,
  viewport = PHONE, apiErrorsExpected = false} = {}) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.setUserAgent(userAgent);
  await page.setExtraHTTPHeaders({'Accept-Language': lang});
  page.setDefaultTimeout(10000);
  page.setDefaultNavigationTimeout(10000);
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  page.transferred = 0;
  cdp.on('Network.loadingFinished', (e) => { page.transferred += e.encodedDataLength; });
  page.resetTransferred = () => { page.transferred = 0; };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A page served with an error status (404, 410, 429) is logged as a failed load: that is
    // the page under test, not a problem with it.
    if (m.text().startsWith('Failed to load resource') && m.location().url === page.url()) return;
    if (apiErrorsExpected && /^Failed to load resource: the server responded with a status of 4\d\d/
      .test(m.text())) return;
    problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  return page;
}

export async function scenario(name, fn) {
  const timeoutMs = Number(process.env.AGGPAY_BROWSER_TIMEOUT_MS || 45000);
  const timer = setTimeout(() => {
    console.log(`not ok - ${name}\ntimed out after ${timeoutMs} ms`);
    process.exit(2);
  }, timeoutMs);
  const profile = await mkdtemp(join(tmpdir(), 'aggpay-chromium-'));
  const problems = [];
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: process.env.AGGPAY_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      userDataDir: profile,
      // Root cannot use chromium's sandbox; the pages are our own, on loopback.
      args: [...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []),
        '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        // The test gateway's HTTPS certificate is from the test process's own CA (tests only).
        '--ignore-certificate-errors'],
    });
    const shotDir = process.env.AGGPAY_SCREENSHOT_DIR;
    if (shotDir) await mkdir(shotDir, {recursive: true});
    await fn({
      browser,
      env,
      newPage: (opts) => newPage(browser, problems, opts),
      // A PNG of the page under AGGPAY_SCREENSHOT_DIR, when set.
      shot: async (page, file) => {
        if (shotDir) await page.screenshot({path: join(shotDir, file), fullPage: true});
      },
    });
    assert.deepEqual(problems, [], 'console errors or CSP violations');
    console.log(`ok - ${name}`);
  } catch (e) {
    console.log(`not ok - ${name}\n${e && e.stack ? e.stack : e}`);
    if (problems.length) console.log(problems.join('\n'));
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    if (browser) await browser.close().catch(() => {});
    await rm(profile, {recursive: true, force: true}).catch(() => {});
  }
}

// The trimmed text of the first element matching selector.
export async function text(page, selector) {
  return page.$eval(selector, (e) => e.textContent.trim());
}

// Navigates by clicking and waits for the next document.
export async function clickAndWait(page, selector) {
  await Promise.all([page.waitForNavigation({waitUntil: 'load'}), page.click(selector)]);
}
