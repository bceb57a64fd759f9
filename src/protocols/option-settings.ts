/**
 * Operator-set DHCP options (`OPTION_<n>`/`OPTION6_<n>` in bindings,
 * `[dhcp4-options]`/`[dhcp6-options]` in the configuration): one setting
 * per code, its value kept as the catalogue's canonical text (what
 * binding-get shows and a binding file written by onlinkd holds), and the
 * `always:` prefix — Kea's `always-send`: the option goes into every
 * OFFER/ACK/Reply, asked for or not. Without it an option is sent only to a
 * client that lists its code in its parameter request list (DHCPv4 55,
 * RFC 2132 §9.8) or Option Request option (DHCPv6 6, RFC 8415 §21.7), as
 * RFC 2131 §4.3.1 and RFC 8415 §18.3 have servers do.
 *
 * Pure. Settings and bindings are immutable, so their option lists are
 * encoded once per (binding list, config list) pair and kept by identity.
 */
import { ALWAYS_PREFIX, type OptionCatalog } from '../wire/option-catalog.js';

export { ALWAYS_PREFIX };

export interface OptionSetting {
  readonly code: number;
  /** The catalogue's canonical text of the value (no `always:`). */
  readonly value: string;
  /** Sent whether or not the client asked for it. */
  readonly always: boolean;
}

export type OptionSettings = readonly OptionSetting[];

/** The empty list, shared (bindings and settings without options). */
export const NO_OPTIONS: OptionSettings = Object.freeze([]);

export type ParsedSetting = { ok: true; setting: OptionSetting } | { ok: false; error: string };

/** An operator's text for option `code` (`[always:]value`) → the setting, or why not. */
export function parseOptionSetting(catalog: OptionCatalog, code: number, text: string): ParsedSetting {
  const always = text.slice(0, ALWAYS_PREFIX.length).toLowerCase() === ALWAYS_PREFIX;
  const r = catalog.parseOptionValue(code, always ? text.slice(ALWAYS_PREFIX.length) : text);
  if (!r.ok) return r;
  return { ok: true, setting: Object.freeze({ code, value: catalog.formatOptionValue(code, r.bytes), always }) };
}

/** A setting as an operator writes it: what parseOptionSetting reads back to the same setting. */
export function optionSettingText(s: OptionSetting): string {
  return s.always ? `${ALWAYS_PREFIX}${s.value}` : s.value;
}

/** A list in code order, frozen (the form bindings and settings hold); the empty list is NO_OPTIONS. */
export function optionSettings(list: readonly OptionSetting[]): OptionSettings {
  return list.length === 0 ? NO_OPTIONS : Object.freeze([...list].sort((a, b) => a.code - b.code));
}

/** An option as a reply carries it. */
export interface EncodedOption {
  readonly code: number;
  readonly bytes: Uint8Array;
  readonly always: boolean;
}

const encoded = new WeakMap<OptionSettings, WeakMap<OptionSettings, readonly EncodedOption[]>>();

/**
 * The options of `binding` and `config` merged, the binding's winning per
 * code, in code order, as octets. Values were validated when parsed, so a
 * failure here is a bug; it drops that option rather than the reply.
 */
export function encodedOptions(catalog: OptionCatalog, binding: OptionSettings, config: OptionSettings): readonly EncodedOption[] {
  let byConfig = encoded.get(binding);
  if (!byConfig) encoded.set(binding, (byConfig = new WeakMap()));
  let out = byConfig.get(config);
  if (out) return out;
  const merged = new Map<number, OptionSetting>();
  for (const s of config) merged.set(s.code, s);
  for (const s of binding) merged.set(s.code, s);
  const list: EncodedOption[] = [];
  for (const s of [...merged.values()].sort((a, b) => a.code - b.code)) {
    const r = catalog.parseOptionValue(s.code, s.value);
    if (r.ok) list.push(Object.freeze({ code: s.code, bytes: r.bytes, always: s.always }));
  }
  out = Object.freeze(list);
  byConfig.set(config, out);
  return out;
}
