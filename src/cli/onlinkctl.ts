#!/usr/bin/env node
/**
 * onlinkctl: the control client's entry point (see onlinkctl-run.ts for the
 * commands and exit status, `onlinkctl --help` for usage).
 */
import { run } from './onlinkctl-run.js';

run(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`onlinkctl: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
