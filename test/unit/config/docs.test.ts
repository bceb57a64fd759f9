/**
 * The README's configuration key table is generated from the key table
 * (src/config/keys.ts): a key added, renamed or given another default
 * without `npm run docs:config` fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEY_ENTRIES } from '../../../src/config/config.js';
import { README_BLOCK, configKeysMarkdown } from '../../../src/config/docs.js';
import { generatedBlock, withGeneratedBlock } from '../../../src/util/generated-block.js';

describe('README configuration key table', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

  it('is what the key table generates (npm run docs:config rewrites it)', () => {
    expect(generatedBlock(readme, README_BLOCK), 'README.md has no <!-- config-keys:begin --> block').toBeDefined();
    expect(generatedBlock(readme, README_BLOCK)).toBe(configKeysMarkdown());
  });

  it('has a row per key, with its default', () => {
    const table = configKeysMarkdown();
    for (const { section, spec } of KEY_ENTRIES) {
      const row = table.split('\n').find((r) => r.startsWith(`| \`[${section}]\` | \`${spec.key}\` |`));
      expect(row, `[${section}] ${spec.key}`).toBeDefined();
      expect(row).toContain(spec.computed ?? (spec.default === '' ? 'unset' : `\`${spec.default}\``));
    }
  });

  it('replaces only the block between its markers', () => {
    const doc = 'a\n<!-- config-keys:begin -->\nold\n<!-- config-keys:end -->\nb\n';
    expect(withGeneratedBlock(doc, README_BLOCK, 'new')).toBe('a\n<!-- config-keys:begin -->\nnew\n<!-- config-keys:end -->\nb\n');
    expect(generatedBlock(withGeneratedBlock(doc, README_BLOCK, 'x\ny'), README_BLOCK)).toBe('x\ny');
    expect(() => withGeneratedBlock('no markers', README_BLOCK, 'x')).toThrow(/config-keys:begin/);
  });
});
