/**
 * onlinkctl: argument parsing, command → request mapping and exit status.
 * Kept apart from the entry file so tests can run it in-process.
 */
import { parseArgs } from 'node:util';
import { parseSwitch, Invalid } from '../bindings/binding-values.js';
import { FAMILIES, KEYS, argName, memberKey, type AnyBindingKey, type BindingKeyFamily } from '../bindings/schema.js';
import { ControlClientError, DEFAULT_SOCKET, defaultSocketPath, request } from '../control/client.js';
import type { CommandName } from '../control/commands.js';
import type { ControlResponse } from '../control/protocol.js';
import { VERSION } from '../util/version.js';
import { watch } from './onlinkctl-watch.js';
import { formatBindingList, formatBindingShow, formatJson, formatRouteList, formatStats, formatStatus } from './onlinkctl-format.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_FOUND = 3;

/** `onlinkctl bind`'s option for a binding key: its binding-add name, dashes for underscores. */
const optionName = (k: AnyBindingKey): string => argName(k).replaceAll('_', '-');

/** How `bind`'s option for a binding key is written, with its value's name (the usage, the man page). */
export const bindOptionTerm = (k: AnyBindingKey): string => `--${optionName(k)}${k.kind === 'flag' ? '' : ` ${k.meta ?? 'VALUE'}`}`;

/** How `bind`'s option for a key family is written (the usage, the man page). */
export const familyOptionTerm = (f: BindingKeyFamily): string => `--${f.cli} N=VALUE`;

/** The bind options of the usage, from the binding schema, wrapped at 76 columns. */
function bindOptionsUsage(): string {
  const words = [...KEYS.map((k) => `${bindOptionTerm(k)}${k.required ? ' (required)' : ''}`), ...FAMILIES.map(familyOptionTerm)];
  const lines: string[] = [];
  let line = ' ';
  for (const w of words) {
    if (line.length + 2 + w.length > 76) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${w} `;
  }
  lines.push(line);
  return lines.map((l) => l.trimEnd()).join('\n');
}

export const USAGE = `Usage: onlinkctl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS]

Talks to a running onlinkd over its control socket.

Commands:
  list [--from TAP --limit N]  bindings and their state            (binding-list)
  show TAP                     one binding: addresses, link, errors (binding-get)
  bind TAP --mac MAC [...]     add or replace TAP's binding; it is written
                               to the state directory (survives restarts)
                                                                    (binding-add)
  unbind TAP                   remove TAP's binding and its file    (binding-del)
  announce TAP                 gratuitous ARP / unsolicited NA for TAP's
                               addresses on the uplink(s)           (announce)
  stats [TAP]                  counters                             (statistic-get)
  routes                       host routes and rules onlinkd keeps to
                               the taps, uplinks it answers ARP/NS on
                               ([routing] manage, ROUTED=)          (route-list)
  reload                       re-read the configuration file       (config-reload)
  status                       daemon status                        (status-get)
  version                      daemon and client versions           (version-get)
  watch                        follow events (bindings applied and removed,
                               leases acked, announcements); --json: one
                               JSON line each, as the daemon sends  (subscribe)

bind options (binding-file keys; unset ones stay unset; lists repeatable):
${bindOptionsUsage()}

Options:
  -s, --socket PATH   control socket (default: $ONLINKD_SOCKET, else ${DEFAULT_SOCKET})
  -j, --json          print the response's arguments as JSON (on failure: the
                      whole response), for scripts
  -t, --timeout MS    give up after MS milliseconds (default 10000)
  -h, --help          this help
  -V, --version       print the client version

Exit status: 0 success; 1 error (daemon refused, cannot connect, timeout);
2 usage error, or command not supported by the daemon; 3 not found (no such
binding).
`;

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** Ends `watch` with exit 0 (tests; on a terminal Ctrl-C ends it). */
  signal?: AbortSignal;
}

/** parseArgs options of `bind`: a flag is a boolean option, a list a repeatable one, anything else takes a value. */
const BIND_OPTIONS = Object.fromEntries([
  ...KEYS.map((k) => [optionName(k), k.kind === 'flag' ? { type: 'boolean' } : k.kind === 'list' ? { type: 'string', multiple: true } : { type: 'string' }]),
  // A key family (`--option 42=203.0.113.5`): one repeatable option, a member per use.
  ...FAMILIES.map((f) => [f.cli, { type: 'string', multiple: true }]),
]) as Record<string, { type: 'boolean' | 'string'; multiple?: boolean }>;

/** `--option N=VALUE` uses as binding-add's members (`option_N`); the daemon validates code and value. */
function familyArgs(args: Record<string, unknown>, values: Record<string, unknown>): void {
  for (const f of FAMILIES) {
    for (const use of (values[f.cli] as string[] | undefined) ?? []) {
      const m = /^(\d{1,6})=(.*)$/s.exec(use);
      if (!m) throw new UsageError(`--${f.cli}: expected N=VALUE (an option code, =, its value), got ${JSON.stringify(use)}`);
      const key = memberKey(f, Number(m[1]), true);
      if (key in args) throw new UsageError(`--${f.cli}: option ${Number(m[1])} given twice`);
      args[key] = m[2];
    }
  }
}

/** A bind option's value as binding-add's argument (the daemon validates it, with the binding-file message). */
function bindArg(k: AnyBindingKey, v: unknown): unknown {
  if (k.kind === 'number' && typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (k.kind === 'switch' && typeof v === 'string') {
    const on = parseSwitch(v);
    if (on instanceof Invalid) throw new UsageError(`--${optionName(k)}: expected yes or no`);
    return on;
  }
  return v;
}

const OPTIONS = {
  socket: { type: 'string', short: 's' },
  json: { type: 'boolean', short: 'j' },
  timeout: { type: 'string', short: 't' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  from: { type: 'string' },
  limit: { type: 'string' },
  ...BIND_OPTIONS,
} as const;

interface Plan {
  /** The control command it sends (a typo is a type error). */
  command: CommandName;
  args?: Record<string, unknown>;
  format: (args: unknown, r: ControlResponse) => string;
  /** `watch`: a stream of events, not one answer (onlinkctl-watch.ts). */
  stream?: true;
}

class UsageError extends Error {}

/** A usage error is one line and a pointer to the help, not the whole help (the convention of most tools). */
export const usageError = (message: string): string => `onlinkctl: ${message}\nTry 'onlinkctl --help' for more information.\n`;

function plan(positionals: string[], values: Record<string, unknown>): Plan {
  const [cmd, ...rest] = positionals;
  const want = (n: number, what: string) => {
    if (rest.length !== n) throw new UsageError(`${cmd}: expected ${what}`);
  };
  const bindOptionsUsed = Object.keys(BIND_OPTIONS).filter((k) => values[k] !== undefined);
  if (cmd !== 'bind' && bindOptionsUsed.length) throw new UsageError(`--${bindOptionsUsed[0]} is only valid with "bind"`);
  if (cmd !== 'list' && (values.from !== undefined || values.limit !== undefined)) throw new UsageError('--from/--limit are only valid with "list"');
  const text = (_a: unknown, r: ControlResponse) => `${r.text}\n`;
  switch (cmd) {
    case 'list': {
      want(0, 'no arguments');
      const args: Record<string, unknown> = {};
      if (values.from !== undefined) args.from = values.from;
      if (values.limit !== undefined) {
        const n = Number(values.limit);
        if (!Number.isInteger(n) || n < 1) throw new UsageError('--limit: expected a positive integer');
        args.limit = n;
      }
      return { command: 'binding-list', args, format: formatBindingList };
    }
    case 'show':
      want(1, 'TAP');
      return { command: 'binding-get', args: { tap: rest[0] }, format: formatBindingShow };
    case 'bind': {
      want(1, 'TAP');
      if (values.mac === undefined) throw new UsageError('bind: --mac is required');
      const args: Record<string, unknown> = { tap: rest[0] };
      for (const k of KEYS) {
        const v = values[optionName(k)];
        if (v !== undefined && v !== false) args[argName(k)] = bindArg(k, v);
      }
      familyArgs(args, values);
      return { command: 'binding-add', args, format: text };
    }
    case 'unbind':
      want(1, 'TAP');
      return { command: 'binding-del', args: { tap: rest[0] }, format: text };
    case 'announce':
      want(1, 'TAP');
      return { command: 'announce', args: { tap: rest[0] }, format: text };
    case 'stats':
      if (rest.length > 1) throw new UsageError('stats: expected at most one TAP');
      return { command: 'statistic-get', args: rest[0] === undefined ? {} : { tap: rest[0] }, format: formatStats };
    case 'routes':
      want(0, 'no arguments');
      return { command: 'route-list', format: formatRouteList };
    case 'reload':
      want(0, 'no arguments');
      return { command: 'config-reload', format: text };
    case 'status':
      want(0, 'no arguments');
      return { command: 'status-get', format: formatStatus };
    case 'version':
      want(0, 'no arguments');
      return {
        command: 'version-get',
        format: (a) => `onlinkd ${String((a as { version?: unknown } | undefined)?.version ?? '?')}\nonlinkctl ${VERSION}\n`,
      };
    case 'watch':
      want(0, 'no arguments');
      return { command: 'subscribe', stream: true, format: text };
    case undefined:
      throw new UsageError('missing COMMAND');
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

function exitFor(result: number): number {
  switch (result) {
    case 0:
      return EXIT_OK;
    case 2:
      return EXIT_USAGE;
    case 3:
      return EXIT_NOT_FOUND;
    default:
      return EXIT_ERROR;
  }
}

/** Runs onlinkctl; returns the exit status. */
export async function run(argv: string[], io: Io): Promise<number> {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    values = parsed.values as Record<string, unknown>;
    positionals = parsed.positionals;
  } catch (e) {
    io.stderr(usageError((e as Error).message));
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (values.version) {
    io.stdout(`onlinkctl ${VERSION}\n`);
    return EXIT_OK;
  }
  let p: Plan;
  let timeoutMs: number | undefined;
  try {
    p = plan(positionals, values);
    if (values.timeout !== undefined) {
      timeoutMs = Number(values.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout: expected milliseconds (a positive integer)');
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(usageError(e.message));
    return EXIT_USAGE;
  }
  const socket = typeof values.socket === 'string' ? values.socket : defaultSocketPath(io.env);
  const json = values.json === true;
  if (p.stream) return watch(socket, json, io, { timeoutMs, signal: io.signal });
  let r: ControlResponse;
  try {
    r = await request(socket, p.command, p.args, { timeoutMs });
  } catch (e) {
    if (!(e instanceof ControlClientError)) throw e;
    io.stderr(`onlinkctl: ${e.message}\n`);
    return EXIT_ERROR;
  }
  if (r.result === 0) {
    io.stdout(json ? formatJson(r.arguments) : p.format(r.arguments, r));
    return EXIT_OK;
  }
  if (json) io.stdout(formatJson(r));
  io.stderr(`onlinkctl: ${r.text}\n`);
  return exitFor(r.result);
}
