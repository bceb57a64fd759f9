/**
 * Which operator-set options (option-settings.ts) a reply carries: every
 * `always:` one, and the others when the client asked for their code — in
 * its parameter request list (DHCPv4 option 55, RFC 2132 §9.8; RFC 2131
 * §4.3.1 has the server return what was asked) or Option Request option
 * (DHCPv6 option 6, RFC 8415 §18.3: "options ... requested by the client").
 *
 * The DHCPv4 responder keeps one option list per request shape (frame
 * templates key on it), so the selection has a key: `askedKey` says which
 * asked-for options a request gets, cheaply, and `pickOptions` builds the
 * list for a key once. Pure.
 */
import type { EncodedOption } from './option-settings.js';

/** Key of a request that asks for none of the optional ones (and of every request when there are none). */
export const NOTHING_ASKED = 0;

/**
 * Which of `options`' asked-for (not `always:`) codes `asked` says the
 * client wants: a bit per such option in order (a number, up to 31 of
 * them), else a string of '0'/'1'. Equal keys, equal selections.
 */
export function askedKey(options: readonly EncodedOption[], asked: (code: number) => boolean): number | string {
  let bits = 0;
  let n = 0;
  let text = '';
  for (const o of options) {
    if (o.always) continue;
    const yes = asked(o.code);
    if (n < 31) bits |= (yes ? 1 : 0) << n;
    text += yes ? '1' : '0';
    n++;
  }
  return n <= 31 ? bits : text;
}

/** The options a request with `key` (askedKey) gets, as `[code, value]` in code order. */
export function pickOptions(options: readonly EncodedOption[], key: number | string): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  let n = 0;
  for (const o of options) {
    if (o.always) {
      out.push([o.code, o.bytes]);
      continue;
    }
    const yes = typeof key === 'number' ? ((key >>> n) & 1) === 1 : key[n] === '1';
    if (yes) out.push([o.code, o.bytes]);
    n++;
  }
  return out;
}

/** Whether the operator set `code` (it then replaces what onlinkd would send under that code). */
export function setsCode(options: readonly EncodedOption[], code: number): boolean {
  for (const o of options) if (o.code === code) return true;
  return false;
}
