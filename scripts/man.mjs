#!/usr/bin/env node
// Writes the man pages onlinkd(8), onlinkctl(8) and onlinkd.conf(5), made
// from the key tables and --help texts (src/docs/man-pages.ts), through the
// compiled dist/ (`npm run man` builds first) into DIR (default man/, not
// kept in git: debian/rules makes them at package build time).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manPages } from '../dist/docs/man-pages.js';

const dir = process.argv[2] ?? new URL('../man', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const page of manPages()) writeFileSync(join(dir, page.file), page.text);
process.stdout.write(`${dir}: ${manPages().map((p) => p.file).join(' ')}\n`);
