// What the cashier scenarios share: where the gateway is, and typing on the keypad.
import {env} from './harness.mjs';

export function cashierUrl(code) {
  return `${env('AGGPAY_GATEWAY_URL')}/c/${code}`;
}

export async function typeOnKeypad(page, amount) {
  for (const ch of amount) await page.click(`.keypad button[data-key="${ch}"]`);
}
