#!/usr/bin/env node
/**
 * onlinkd: the daemon's entry point. Parses arguments, starts the daemon,
 * and maps signals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { checkSettings } from './check-config.js';
import { Daemon } from '../runtime/daemon.js';
import { VERSION } from '../util/version.js';
import { USAGE } from './onlinkd-usage.js';

function main(): void {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        datapath: { type: 'string' },
        'control-socket': { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
      strict: true,
    }).values;
  } catch (e) {
    // One line and a pointer, not the whole help (the convention of most tools).
    process.stderr.write(`onlinkd: ${(e as Error).message}\nTry 'onlinkd --help' for more information.\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write(`onlinkd ${VERSION}\n`);
    return;
  }
  if (args.check) {
    void check(args.config).then((code) => {
      process.exitCode = code;
    });
    return;
  }

  Daemon.start({ configPath: args.config, datapath: args.datapath, controlSocket: args['control-socket'] }).then(
    (daemon) => {
      const stop = (signal: string) => {
        daemon.log.info({ signal }, 'stopping');
        daemon.stop();
        daemon.log.flush?.();
        // Let pino flush, then leave; nothing else holds the loop open after stop().
        setTimeout(() => process.exit(0), 50).unref();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => daemon.reload());
    },
    (e: unknown) => {
      // Expected failures (config, socket in use, permissions) read best as one line;
      // ONLINKD_DEBUG=1 shows the stack.
      const msg = e instanceof Error ? (process.env.ONLINKD_DEBUG ? e.stack ?? e.message : e.message) : String(e);
      process.stderr.write(`onlinkd: cannot start: ${msg}\n`);
      process.exit(1);
    },
  );
}

/** `--check`: the file parses, and what it names exists on this host (check-config.ts); exit status 0 or 1. */
async function check(path: string | undefined): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(path);
  } catch (e) {
    process.stderr.write(`onlinkd: ${(e as Error).message}\n`);
    return 1;
  }
  const { source, settings } = loaded;
  const findings = await checkSettings(settings);
  for (const f of findings) process.stderr.write(`${source}: ${f.key}: ${f.level}: ${f.message}\n`);
  if (findings.some((f) => f.level === 'error')) return 1;
  process.stdout.write(`${source}: OK\n`);
  for (const u of settings.unused) process.stdout.write(`${source}:${u.line}: ${u.key}: accepted, has no effect\n`);
  return 0;
}

main();
