#!/usr/bin/env node
// npm's `install` script (run by `npm ci`): builds the packet-socket addon
// with node-gyp, and when that fails says what is missing and what to do.
// node-gyp's own error offline is a network error that never mentions
// `nodedir` (issue 16): it downloads Node's headers unless told where the
// installed ones are.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));

const r = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (r.status === 0) process.exit(0);

const major = Number(process.versions.node.split('.')[0]);
const nodedir = process.env.npm_config_nodedir;
const headers = '/usr/include/node/node_api.h';
const hints = [];
if (r.error) hints.push(`node-gyp could not be run (${r.error.message}): it comes with npm; run this through npm (npm ci, npm run install)`);
const missing = ['cc', 'make', 'python3'].filter((c) => !onPath(c));
if (missing.length > 0) hints.push(`missing on PATH: ${missing.join(', ')} (Debian: apt install build-essential python3)`);
if (!nodedir) {
  hints.push(
    existsSync(headers)
      ? 'node-gyp downloads Node\'s headers unless told where they are; they are installed here, so: export npm_config_nodedir=/usr (or nodedir=/usr in ~/.npmrc) and run it again'
      : 'node-gyp downloads Node\'s headers (this fails offline) unless told where they are: install them (Debian: apt install libnode-dev) and export npm_config_nodedir=/usr (or nodedir=/usr in ~/.npmrc)',
  );
} else if (!existsSync(join(nodedir, 'include/node/node_api.h'))) {
  hints.push(`npm_config_nodedir=${nodedir} has no include/node/node_api.h (Debian: apt install libnode-dev, then nodedir=/usr)`);
}
if (major < 18) hints.push(`Node ${process.versions.node} is too old: onlinkd needs Node 18 or later (20 for the tests)`);
process.stderr.write(`\nonlinkd: building the native addon failed (node-gyp rebuild, exit ${r.status ?? r.signal}).\n`);
process.stderr.write(hints.length > 0 ? hints.map((h) => `  - ${h}\n`).join('') : '  see node-gyp\'s output above\n');
process.stderr.write('  Prerequisites: README.md, "The two commands".\n');
process.exit(r.status || 1);
