#!/usr/bin/env node
// Rewrites README.md's table of binding keys (between
// <!-- binding-keys:begin --> and <!-- binding-keys:end -->) from the binding
// schema in src/bindings/schema.ts, through the compiled dist/ (`npm run
// docs:bindings` builds first). test/unit/bindings/docs.test.ts fails while
// the README differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { BINDING_KEYS_BLOCK, bindingKeysMarkdown } from '../dist/bindings/binding-keys-doc.js';
import { OPTION_CODES_BLOCK, optionCodesMarkdown } from '../dist/bindings/option-keys-doc.js';
import { withGeneratedBlock } from '../dist/util/generated-block.js';

const readme = new URL('../README.md', import.meta.url);
const before = readFileSync(readme, 'utf8');
// The key table, and the option codes onlinkd sets itself (from the option catalogues).
const after = withGeneratedBlock(withGeneratedBlock(before, BINDING_KEYS_BLOCK, bindingKeysMarkdown()), OPTION_CODES_BLOCK, optionCodesMarkdown());
if (after !== before) writeFileSync(readme, after);
process.stdout.write(after !== before ? 'README.md: binding key table updated\n' : 'README.md: binding key table up to date\n');
