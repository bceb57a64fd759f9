/**
 * onlinkd configuration: nfdhcpd.conf-compatible INI → validated, frozen
 * Settings. The public entry of src/config/, which holds one concern per
 * module:
 *
 *  - keys.ts: the table of every key (section, name, parser, default, doc);
 *  - values.ts: the value parsers the table uses;
 *  - settings.ts: the Settings type, immutable, and withOverrides();
 *  - parse.ts: INI text → Settings (file:line: key: errors), defaults;
 *  - cross-checks.ts: rules between keys (lease timers, RA lifetimes);
 *  - load.ts: reading the file, bounded;
 *  - docs.ts: the README key table and onlinkd.conf lines, from the table.
 */
export { ConfigError } from './config-error.js';
export { CONFIG_KEYS, KEYS, KEY_ENTRIES, type HostCheck, type KeyEntry, type KeySpec } from './keys.js';
export { DEFAULT_CONFIG_PATH, MAX_CONFIG_FILE_SIZE, loadConfig } from './load.js';
export { defaultSettings, parseConfig } from './parse.js';
export { withOverrides, type ArpForm, type Ipv6Mode, type SectionName, type Settings, type SettingsOverrides } from './settings.js';
