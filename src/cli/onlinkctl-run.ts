/**
 * onlinkctl: argument parsing, command → request mapping and exit status.
 * Kept apart from the entry file so tests can run it in-process.
 */
import { parseArgs } from 'node:util';
import { ControlClientError, DEFAULT_SOCKET, defaultSocketPath, request } from '../control/client.js';
import type { ControlResponse } from '../control/protocol.js';
import { VERSION } from '../util/version.js';
import { formatBindingList, formatBindingShow, formatJson, formatStats, formatStatus } from './onlinkctl-format.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_FOUND = 3;

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
  reload                       re-read the configuration file       (config-reload)
  status                       daemon status                        (status-get)
  version                      daemon and client versions           (version-get)

bind options (binding-file keys; unset ones stay unset):
  --mac MAC (required)  --ip IP  --subnet A.B.C.D/LEN  --gateway IP
  --subnet6 PREFIX/LEN  --gateway6 IP6  --eui64 IP6  --hostname NAME
  --mtu N  --macspoof  --private  --windows  --indev IF  --uplink IF
  --uplink6 IF  --routes "DEST/LEN via GW" (repeatable)  --dns IP[,IP]
  --dns6 IP6[,IP6]  --domain NAME  --tags TEXT

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
}

const BIND_STRINGS = [
  'mac', 'ip', 'subnet', 'gateway', 'subnet6', 'gateway6', 'eui64', 'hostname', 'mtu', 'indev', 'uplink', 'uplink6',
  'dns', 'dns6', 'domain', 'tags',
] as const;
const BIND_FLAGS = ['macspoof', 'private', 'windows'] as const;

const OPTIONS = {
  socket: { type: 'string', short: 's' },
  json: { type: 'boolean', short: 'j' },
  timeout: { type: 'string', short: 't' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  from: { type: 'string' },
  limit: { type: 'string' },
  routes: { type: 'string', multiple: true },
  ...Object.fromEntries(BIND_STRINGS.map((k) => [k, { type: 'string' }])),
  ...Object.fromEntries(BIND_FLAGS.map((k) => [k, { type: 'boolean' }])),
} as const;

interface Plan {
  command: string;
  args?: Record<string, unknown>;
  format: (args: unknown, r: ControlResponse) => string;
}

class UsageError extends Error {}

function plan(positionals: string[], values: Record<string, unknown>): Plan {
  const [cmd, ...rest] = positionals;
  const want = (n: number, what: string) => {
    if (rest.length !== n) throw new UsageError(`${cmd}: expected ${what}`);
  };
  const bindOptionsUsed = [...BIND_STRINGS, ...BIND_FLAGS, 'routes'].filter((k) => values[k] !== undefined);
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
      for (const k of BIND_STRINGS) if (values[k] !== undefined) args[k] = values[k];
      for (const k of BIND_FLAGS) if (values[k] === true) args[k] = true;
      // The daemon validates the value (MTU: "abc" is an error there, with the binding-file message).
      if (typeof args.mtu === 'string' && /^\d+$/.test(args.mtu)) args.mtu = Number(args.mtu);
      if (values.routes !== undefined) args.routes = values.routes;
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
    io.stderr(`onlinkctl: ${(e as Error).message}\n\n${USAGE}`);
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
    io.stderr(`onlinkctl: ${e.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const socket = typeof values.socket === 'string' ? values.socket : defaultSocketPath(io.env);
  const json = values.json === true;
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
