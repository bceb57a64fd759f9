/**
 * The README's list of DHCP options onlinkd computes itself (refused in
 * `OPTION_<n>`, `OPTION6_<n>`, `[dhcp4-options]` and `[dhcp6-options]`) and
 * of those a value deliberately overrides, generated from the option
 * catalogues (src/wire/dhcp4-option-catalog.ts, dhcp6-option-catalog.ts)
 * into the block `<!-- option-codes:begin -->` … `<!-- option-codes:end -->`
 * by `npm run docs:bindings`; test/unit/bindings/option-keys.test.ts fails
 * while the README differs.
 */
import { FAMILIES } from './schema.js';

export const OPTION_CODES_BLOCK = 'option-codes';

/** One row per refused or overriding code, DHCPv4 first, in code order. */
export function optionCodesMarkdown(): string {
  const rows = ['| key | option | onlinkd |', '|---|---|---|'];
  for (const f of FAMILIES) {
    for (const i of f.catalog.known) {
      const what = i.refused !== undefined ? `refused: ${i.refused}` : i.overrides !== undefined ? `a value overrides \`${i.overrides}\`` : undefined;
      if (what !== undefined) rows.push(`| \`${f.prefix}${i.code}\` | ${i.name} | ${what.replaceAll('|', '\\|')} |`);
    }
  }
  return rows.join('\n');
}
