/**
 * Configuration text (nfdhcpd.conf-compatible INI) → frozen Settings, by the
 * key table (keys.ts). nfdhcpd's NFQUEUE keys are accepted and reported as
 * unused; any other unknown section or key, a duplicate key or a value its
 * parser refuses is a ConfigError naming file, line and key.
 */
import { IniSyntaxError, parseIni } from '../util/ini.js';
import { ConfigError } from './config-error.js';
import { crossCheck, type Draft } from './cross-checks.js';
import { KEY_ENTRIES, KEY_FAMILIES, NFDHCPD_UNUSED_KEYS, type KeyEntry, type SectionFamily } from './keys.js';
import { NO_OPTIONS, optionSettings, parseOptionSetting, type OptionSetting } from '../protocols/option-settings.js';
import { deepFreeze } from '../util/frozen.js';
import { autoIpv6Mode } from './ipv6-auto-mode.js';
import type { SectionName, Settings, UnusedKey } from './settings.js';

/** section → file key → its table entry, or 'unused'. A Map: "constructor" or "__proto__" must be unknown keys, not Object.prototype's. */
const LOOKUP = new Map<string, Map<string, KeyEntry | 'unused'>>();
for (const e of KEY_ENTRIES) {
  let sec = LOOKUP.get(e.section);
  if (!sec) LOOKUP.set(e.section, (sec = new Map()));
  sec.set(e.spec.key, e);
}
for (const [section, keys] of Object.entries(NFDHCPD_UNUSED_KEYS)) for (const k of keys) LOOKUP.get(section)?.set(k, 'unused');

/** Every field at its default, parsed from the table's default text (a bad default is a bug here, not the operator's). */
function defaultDraft(): Draft {
  const d: Record<string, Record<string, unknown>> = {};
  for (const { section, field, spec } of KEY_ENTRIES) {
    try {
      (d[section] ??= {})[field] = spec.parse(spec.default);
    } catch (e) {
      throw new Error(`config/keys.ts: default of [${section}] ${spec.key}: ${(e as Error).message}`);
    }
  }
  for (const f of KEY_FAMILIES) (d[f.target] as Record<string, unknown>)[f.field] = NO_OPTIONS;
  return d as Draft;
}

const FAMILY_BY_SECTION = new Map(KEY_FAMILIES.map((f) => [f.section, f]));

/** One `<code> = value` line of a key-family section, parsed; a ConfigError names file, line and key. */
function familyEntry(f: SectionFamily, key: string, value: string, file: string, line: number): OptionSetting {
  if (!/^(0|[1-9]\d{0,5})$/.test(key)) throw new ConfigError(file, line, key, `unknown key in [${f.section}]: keys are option codes (${f.catalog.minCode}..${f.catalog.maxCode})`);
  const r = parseOptionSetting(f.catalog, Number(key), value.trim());
  if (!r.ok) throw new ConfigError(file, line, key, r.error);
  return r.setting;
}

/** Parses configuration text. `file` is only used in error messages. */
export function parseConfig(text: string, file = '<config>'): Settings {
  let entries;
  try {
    entries = parseIni(text);
  } catch (e) {
    if (e instanceof IniSyntaxError) throw new ConfigError(file, e.line, undefined, e.message);
    throw e;
  }
  const draft = defaultDraft();
  const unused: UnusedKey[] = [];
  const seen = new Map<string, number>();
  const once = (section: string, key: string, line: number): void => {
    const id = `${section}.${key}`;
    if (seen.has(id)) throw new ConfigError(file, line, key, `duplicate key (first set on line ${seen.get(id)})`);
    seen.set(id, line);
  };
  const families = new Map<SectionFamily, OptionSetting[]>();
  for (const { section, key, value, line } of entries) {
    const family = FAMILY_BY_SECTION.get(section);
    if (family) {
      once(section, key, line);
      let list = families.get(family);
      if (!list) families.set(family, (list = []));
      list.push(familyEntry(family, key, value, file, line));
      continue;
    }
    const sec = LOOKUP.get(section);
    if (!sec) throw new ConfigError(file, line, undefined, `unknown section [${section}]`);
    const entry = sec.get(key);
    if (!entry) throw new ConfigError(file, line, key, `unknown key in [${section}]`);
    once(section, key, line);
    if (entry === 'unused') {
      unused.push({ section, key, line });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = entry.spec.parse(value);
    } catch (e) {
      throw new ConfigError(file, line, key, (e as Error).message);
    }
    (draft[entry.section] as Record<string, unknown>)[entry.field] = parsed;
  }
  for (const [f, list] of families) (draft[f.target] as Record<string, unknown>)[f.field] = optionSettings(list);
  // `mode = auto` reads the nfdhcpd queue keys of the whole file (ipv6-auto-mode.ts), so it is settled here.
  const auto = autoIpv6Mode(entries.find((e) => e.section === 'ipv6' && e.key === 'mode')?.value, unused);
  if (auto !== undefined) (draft.ipv6 as Record<string, unknown>).mode = auto;
  crossCheck(draft, file, (section: SectionName, key: string) => seen.get(`${section}.${key}`));
  const settings: Settings = { ...draft, unused };
  return deepFreeze(settings) as Settings;
}

let defaults: Settings | undefined;

/** The embedded defaults: what an empty file gives (computed defaults resolved). One frozen object. */
export function defaultSettings(): Settings {
  return (defaults ??= parseConfig('', '<defaults>'));
}
