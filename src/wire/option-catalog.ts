/**
 * An option catalogue: code → name and value type (option-value-types.ts),
 * and which codes onlinkd computes itself. The DHCPv4 and DHCPv6 tables
 * (dhcp4-option-catalog.ts, dhcp6-option-catalog.ts) are two instances;
 * this holds what they share: the value forms an operator writes and the
 * canonical text onlinkd shows and stores.
 *
 * Value forms, for any code:
 *   - the type's own text (`203.0.113.5,203.0.113.6` for an address list);
 *   - `hex:0a0b0c` (pairs of hex digits, `:` or blanks between octets allowed);
 *   - `text:...` (the UTF-8 octets of the rest, as written).
 * A code onlinkd does not know takes only `hex:` and `text:`. Pure; never throws.
 */
import type { BindingKeySpec } from '../bindings/schema.js';
import { OPAQUE, printableText, type ParsedValue, type ValueType } from './option-value-types.js';

export type { ParsedValue, ValueType } from './option-value-types.js';

export interface OptionInfo {
  readonly code: number;
  /** IANA-style name, e.g. 'ntp-servers'. */
  readonly name: string;
  readonly type: ValueType;
  /**
   * Set when onlinkd computes the option itself: why a value is refused and
   * what sets it instead ("the router comes from GATEWAY").
   */
  readonly refused?: string;
  /** Set when a value replaces something onlinkd would send otherwise: what (for the README). */
  readonly overrides?: string;
}

export interface OptionCatalog {
  /** 'DHCPv4' or 'DHCPv6', for messages. */
  readonly protocol: string;
  /** Codes a value may have: 1..254 (DHCPv4), 1..65535 (DHCPv6). */
  readonly minCode: number;
  readonly maxCode: number;
  /** Longest value accepted, in octets. */
  readonly maxLength: number;
  /** Every known code, in code order (docs). */
  readonly known: readonly OptionInfo[];
  optionInfo(code: number): OptionInfo | undefined;
  /** An operator's text → the option's octets, or why not (refused codes included). */
  parseOptionValue(code: number, text: string): ParsedValue;
  /** Octets → the canonical text (typed when they fit the type, else `text:`/`hex:`); parses back to the same octets. */
  formatOptionValue(code: number, bytes: Uint8Array): string;
}

/** One catalogue entry (the tables' shorthand). */
export const option = (code: number, name: string, type: ValueType, more: Partial<OptionInfo> = {}): OptionInfo => ({ code, name, type, ...more });

/**
 * A binding key named in a message (`refused`): the name itself, checked
 * against the binding schema (src/bindings/schema.ts) when compiled, so a
 * renamed or removed key cannot live on in a message. Type-only: the schema
 * imports the catalogues.
 */
export const bindingKey = <K extends BindingKeySpec['file']>(key: K): K => key;

export const HEX_PREFIX = 'hex:';
export const TEXT_PREFIX = 'text:';
/** Kea's `always-send`, read before the value by the setting layer (protocols/option-settings.ts). */
export const ALWAYS_PREFIX = 'always:';
/** Prefixes read before the type's text: the catalogue's and the setting layer's `always:`. */
export const RESERVED_PREFIXES: readonly string[] = [HEX_PREFIX, TEXT_PREFIX, ALWAYS_PREFIX];

const utf8 = new TextEncoder();

function parseHex(text: string): ParsedValue {
  // `hex:` alone is an empty value: some options are flags of length 0 (RFC 4039 rapid commit).
  const digits = text.replace(/[:\s]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) return { ok: false, error: `hex:${text}: only hex digits (and ":" between octets)` };
  if (digits.length % 2 !== 0) return { ok: false, error: `hex:${text}: an odd number of hex digits` };
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return { ok: true, bytes: out };
}

function hexText(b: Uint8Array): string {
  let s = HEX_PREFIX;
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Text that stands for itself in a binding file and reads back as the same
 * value: no blank at either end (a binding value may have none), and no
 * prefix that the parser would read as a form.
 */
function plain(s: string): boolean {
  return /^\S(?:.*\S)?$/s.test(s) && !RESERVED_PREFIXES.some((p) => s.toLowerCase().startsWith(p));
}

/** A catalogue over `entries` (code order not required). */
export function makeCatalog(protocol: string, minCode: number, maxCode: number, maxLength: number, entries: readonly OptionInfo[]): OptionCatalog {
  const byCode = new Map(entries.map((e) => [e.code, e]));
  const known = [...entries].sort((a, b) => a.code - b.code);
  const optionInfo = (code: number): OptionInfo | undefined => byCode.get(code);

  function parseOptionValue(code: number, text: string): ParsedValue {
    const r = parseAny(code, text);
    if (r.ok && r.bytes.length > maxLength) return { ok: false, error: `${r.bytes.length} octets, more than the ${maxLength} a ${protocol} reply can carry` };
    return r;
  }

  function parseAny(code: number, text: string): ParsedValue {
    if (!Number.isInteger(code) || code < minCode || code > maxCode) {
      return { ok: false, error: `${protocol} option code ${code} is outside ${minCode}..${maxCode}` };
    }
    const info = byCode.get(code);
    if (info?.refused !== undefined) return { ok: false, error: `option ${code} (${info.name}) is set by onlinkd: ${info.refused}` };
    const lower = text.slice(0, HEX_PREFIX.length + 1).toLowerCase();
    if (lower.startsWith(HEX_PREFIX)) return parseHex(text.slice(HEX_PREFIX.length));
    if (lower.startsWith(TEXT_PREFIX)) {
      const rest = text.slice(TEXT_PREFIX.length);
      return rest === '' ? { ok: false, error: 'text: no text' } : { ok: true, bytes: utf8.encode(rest) };
    }
    const type = info?.type ?? OPAQUE;
    const r = type.parse(text);
    if (r.ok || !info) return r;
    return { ok: false, error: `option ${code} (${info.name}, ${type.name}): ${r.error}; or write hex:... or text:...` };
  }

  function formatOptionValue(code: number, bytes: Uint8Array): string {
    const typed = byCode.get(code)?.type.format(bytes);
    if (typed !== undefined && plain(typed)) return typed;
    const t = printableText(bytes);
    return t !== undefined && /^\S(?:.*\S)?$/s.test(t) ? `${TEXT_PREFIX}${t}` : hexText(bytes);
  }

  return { protocol, minCode, maxCode, maxLength, known, optionInfo, parseOptionValue, formatOptionValue };
}
