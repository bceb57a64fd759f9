/**
 * The README's table of binding keys, generated from the schema (schema.ts):
 * README.md holds it between `<!-- binding-keys:begin -->` and
 * `<!-- binding-keys:end -->`; `npm run docs:bindings` rewrites that block
 * (scripts/readme-binding-keys.mjs), and test/unit/bindings/docs.test.ts
 * fails while it differs from what this returns.
 */
import { FAMILIES, KEYS, argName, type AnyBindingKey } from './schema.js';

/** Name of the README block (`<!-- binding-keys:begin -->` … `<!-- binding-keys:end -->`). */
export const BINDING_KEYS_BLOCK = 'binding-keys';

const JSON_TYPE: Record<AnyBindingKey['kind'], string> = {
  text: 'string',
  number: 'number',
  flag: 'boolean',
  switch: 'boolean',
  list: 'string or array',
};

/** The markdown table (without the markers), one row per key in schema order. */
export function bindingKeysMarkdown(): string {
  const rows: string[] = KEYS.map((k) => {
    const option = `--${argName(k).replaceAll('_', '-')}${k.kind === 'flag' ? '' : ` ${k.meta ?? 'VALUE'}`}`;
    const cell = (s: string) => s.replaceAll('|', '\\|');
    return `| \`${k.file}\` | \`${argName(k)}\` (${JSON_TYPE[k.kind]}) | \`${cell(option)}\` | ${cell(k.doc)} |`;
  });
  for (const f of FAMILIES) {
    rows.push(`| \`${f.prefix}<n>\` | \`${f.prefix.toLowerCase()}<n>\` (string) | \`--${f.cli} N=VALUE\` (repeatable) | ${f.doc} |`);
  }
  return ['| file key | `binding-add` | `onlinkctl bind` | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
