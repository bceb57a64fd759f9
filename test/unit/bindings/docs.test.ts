/**
 * The README's table of binding keys is generated from the binding schema
 * (src/bindings/schema.ts): a key added, renamed or documented differently
 * without `npm run docs:bindings` fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BINDING_KEYS_BLOCK, bindingKeysMarkdown } from '../../../src/bindings/binding-keys-doc.js';
import { KEYS } from '../../../src/bindings/schema.js';
import { generatedBlock } from '../../../src/util/generated-block.js';

describe('README binding key table', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

  it('is what the binding schema generates (npm run docs:bindings rewrites it)', () => {
    expect(generatedBlock(readme, BINDING_KEYS_BLOCK), 'README.md has no <!-- binding-keys:begin --> block').toBeDefined();
    expect(generatedBlock(readme, BINDING_KEYS_BLOCK)).toBe(bindingKeysMarkdown());
  });

  it('has a row per key: file name, binding-add name, onlinkctl option', () => {
    const rows = bindingKeysMarkdown().split('\n');
    for (const k of KEYS) {
      const row = rows.find((r) => r.startsWith(`| \`${k.file}\` | \`${k.file.toLowerCase()}\` (`));
      expect(row, k.file).toBeDefined();
      expect(row).toContain(`\`--${k.file.toLowerCase().replaceAll('_', '-')}`);
    }
    expect(rows.find((r) => r.startsWith('| `ARP_RESPONDER` | `arp_responder` (boolean) | `--arp-responder yes\\|no` |'))).toBeDefined();
  });
});
