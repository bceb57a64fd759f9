#!/usr/bin/env node
// Rewrites README.md's configuration key table (between
// <!-- config-keys:begin --> and <!-- config-keys:end -->) from the key
// table in src/config/keys.ts, through the compiled dist/ (`npm run
// docs:config` builds first). test/unit/config/docs.test.ts fails while the
// README differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { README_BLOCK, configKeysMarkdown } from '../dist/config/docs.js';
import { withGeneratedBlock } from '../dist/util/generated-block.js';

const readme = new URL('../README.md', import.meta.url);
const before = readFileSync(readme, 'utf8');
const after = withGeneratedBlock(before, README_BLOCK, configKeysMarkdown());
if (after !== before) writeFileSync(readme, after);
process.stdout.write(after !== before ? 'README.md: configuration key table updated\n' : 'README.md: configuration key table up to date\n');
