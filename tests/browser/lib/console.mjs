// Helpers for the staff console's scenarios: TOTP codes from an otpauth:// URI (what an
// authenticator app does), and signing in through the page.
import {createHmac} from 'node:crypto';

export function consoleUrl(path = '') {
  return `${process.env.AGGPAY_GATEWAY_URL}/console/${path}`;
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 6238: HMAC-SHA1 over the 30-second step, 6 digits. `offsetSteps` picks a neighbour step.
export function totp(uri, offsetSteps = 0, now = Date.now()) {
  const secret = base32Decode(new URL(uri).searchParams.get('secret'));
  const step = BigInt(Math.floor(now / 1000 / 30) + offsetSteps);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(step);
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

export async function signIn(page, username, password, code) {
  await page.waitForSelector('#sign-in-form', {visible: true});
  await page.$eval('#sign-in-form', (f) => f.reset());
  await page.type('#sign-in-form [name=username]', username);
  await page.type('#sign-in-form [name=password]', password);
  await page.type('#sign-in-form [name=totp_code]', code);
  await page.click('#sign-in-form button[type=submit]');
}
