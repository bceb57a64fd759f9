/**
 * Fuzzing the text parsers an operator or hook feeds: binding files and the
 * configuration. Random and mutated text may only yield a value or the
 * parser's typed error (BindingParseError / ConfigError), never another
 * exception; a parsed binding serializes to text that parses to the same
 * binding. FUZZ_RUNS scales the run (npm run fuzz), FUZZ_SEED replays one.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fuzzParams, fuzzTimeout } from './harness.js';
import { BindingParseError, parseBindingFile, serializeBinding } from '../../src/bindings/binding-file.js';
import { ConfigError, parseConfig } from '../../src/config/config.js';

const params = fuzzParams();
const TIMEOUT = fuzzTimeout(5);

const BINDING = readFileSync(new URL('../../config/bindings/tap10', import.meta.url), 'utf8');
const CONFIG = readFileSync(new URL('../../config/onlinkd.conf', import.meta.url), 'utf8');

const KEYS = ['MAC', 'IP', 'SUBNET', 'GATEWAY', 'SUBNET6', 'GATEWAY6', 'EUI64', 'MTU', 'PRIVATE', 'MACSPOOF', 'ROUTES', 'DNS', 'DNS6', 'DOMAIN', 'INDEV', 'HOSTNAME', 'UPLINK'];
const VALUES = ['', 'aa:00:00:00:00:10', '203.0.113.10', '203.0.113.0/24', '2001:db8::/64', '2001:db8::1', 'fe80::1%tap0', '1500', '0', '99999', '"x y"', "'q'", '10.0.0.0/8 via 203.0.113.1', '::', '256.1.1.1', '\u00e9', 'a'.repeat(300)];

/** Line-level mutations of a valid text: drop, duplicate, truncate, splice random text. */
function mutate(text: string) {
  return fc.tuple(fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 40 }))), fc.nat()).map(([edits, cut]) => {
    const lines = text.split('\n');
    for (const [pos, op, junk] of edits) {
      const i = lines.length ? pos % lines.length : 0;
      if (op === 0) lines.splice(i, 1);
      else if (op === 1) lines.splice(i, 0, lines[i] ?? '');
      else if (op === 2) lines[i] = (lines[i] ?? '').slice(0, junk.length);
      else if (op === 3) lines[i] = `${(lines[i] ?? '').split('=')[0]}=${junk}`;
      else lines.splice(i, 0, junk);
    }
    const out = lines.join('\n');
    return cut % 7 === 0 ? out.slice(0, cut % (out.length + 1)) : out;
  });
}

const keyValueFile = fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)), { maxLength: 12 }).map((kv) => kv.map(([k, v]) => `${k}=${v}`).join('\n'));

describe('binding-file parser fuzz', () => {
  const check = (tap: string, text: string) => {
    const r = parseBindingFile(tap, text);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(BindingParseError);
      return;
    }
    const again = parseBindingFile(tap, serializeBinding(r.binding));
    expect(again.ok && again.binding).toEqual(r.binding);
  };

  it('random text and names give a binding or a typed error; bindings round-trip', { timeout: TIMEOUT }, () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 400 }), (tap, text) => check(tap, text)), params);
  });

  it('key/value soups give a binding or a typed error; bindings round-trip', { timeout: TIMEOUT }, () => {
    fc.assert(fc.property(keyValueFile, (text) => check('tap10', text)), params);
  });

  it('mutations of a real binding file give a binding or a typed error; bindings round-trip', { timeout: TIMEOUT }, () => {
    fc.assert(fc.property(mutate(BINDING), (text) => check('tap10', text)), params);
  });
});

describe('config parser fuzz', () => {
  const check = (text: string) => {
    try {
      parseConfig(text, 'fuzz.conf');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
    }
  };

  it('random text gives settings or a ConfigError', { timeout: TIMEOUT }, () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), check), params);
  });

  it('mutations of the documented config give settings or a ConfigError', { timeout: TIMEOUT }, () => {
    fc.assert(fc.property(mutate(CONFIG), check), params);
  });
});
