/**
 * Documentation derived from the key table (keys.ts): the README's
 * configuration key table, between `<!-- config-keys:begin -->` and
 * `<!-- config-keys:end -->` (rewritten by `npm run docs:config`, checked by
 * test/unit/config/docs.test.ts), and the line config/onlinkd.conf must show
 * for each key.
 */
import { KEY_ENTRIES, KEY_FAMILIES, NFDHCPD_UNUSED_KEYS, type KeySpec } from './keys.js';


export const README_BLOCK = 'config-keys';

function defaultCell(spec: KeySpec<unknown>): string {
  if (spec.computed !== undefined) return spec.computed;
  return spec.default === '' ? 'unset' : `\`${spec.default}\``;
}

/** The README's table of configuration keys. */
export function configKeysMarkdown(): string {
  const rows = ['| section | key | default | meaning |', '|---|---|---|---|'];
  for (const { section, spec } of KEY_ENTRIES) rows.push(`| \`[${section}]\` | \`${spec.key}\` | ${defaultCell(spec)} | ${spec.doc} |`);
  for (const f of KEY_FAMILIES) rows.push(`| \`[${f.section}]\` | \`<code>\` | none | ${f.doc} |`);
  for (const [section, keys] of Object.entries(NFDHCPD_UNUSED_KEYS)) {
    rows.push(`| \`[${section}]\` | ${keys.map((k) => `\`${k}\``).join(', ')} | | nfdhcpd's: accepted, reported as unused |`);
  }
  return rows.join('\n');
}

/**
 * How config/onlinkd.conf must show a key: `key = default`, commented out or
 * not; a key that is unset by default may show an example value instead, but
 * commented out (uncommented, it would not be the default).
 */
export function exampleLinePattern(spec: KeySpec<unknown>): RegExp {
  const key = spec.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (spec.default === '') return new RegExp(`^(${key} =\\s*|# ${key} =( .*)?)$`, 'm');
  const value = spec.default.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(# )?${key} = ${value}$`, 'm');
}
