/**
 * Adapters: each starts one server in a lab's hypervisor namespace with
 * the same static binding for the VM (its MAC, IPv4 address and gateway,
 * IPv6 /64 and gateway, DNS servers), and says which pids to measure.
 *
 *   onlinkd  the built daemon (dist/), a binding file, no address on the tap
 *   dnsmasq  dhcp-host for the MAC, dhcp-range ...,static, enable-ra and
 *            dhcp-range ...,ra-stateless (RA + stateless DHCPv6), bound to the tap
 *   kea      kea-dhcp4 with a host reservation, kea-dhcp6 for Information-Request
 *            and, with a host reservation for the client's DUID (DUID-LL of the
 *            MAC), the stateful Solicit/Request (Kea sends no RAs)
 *   kernel   no daemon: the hypervisor kernel answering NS for an address of
 *            the tap (the in-kernel ceiling of NS -> NA)
 *
 * dnsmasq and Kea serve an interface only when it carries an address in the
 * subnet, so their tap gets 203.0.113.1/24, fe80::1 and 2001:db8:10::1/64;
 * onlinkd's tap keeps none (how it runs in production).
 *
 * Every server logs nothing per transaction (dnsmasq quiet-dhcp/-dhcp6/-ra,
 * Kea at WARN, onlinkd at `warn` unless asked otherwise): logging policy is
 * measured separately, not mixed into the comparison. Logs go to files in
 * the lab directory; nothing reaches syslog or the journal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, type Lab, type LabProcess } from '../e2e/lab.js';
import { ROOT, type Exchange } from './generator.js';
import { NotifySocket, type Notification } from './notify.js';
import { cpuPlacement } from './procstat.js';
import { ONLINKD_NODE_FLAGS } from '../helpers/node-flags.js';

/** The daemon under test: the build in dist/, or BENCH_ONLINKD (a patched copy, for experiments). */
export const ONLINKD = process.env.BENCH_ONLINKD || join(ROOT, 'dist/cli/onlinkd.js');

/** One VM's static configuration, the same for every server. */
export interface BenchBinding {
  tap: string;
  mac: string;
  hostname: string;
  ip: string;
  subnet: string; // 203.0.113.0/24
  gateway: string;
  subnet6: string; // 2001:db8:10::/64
  gateway6: string;
  eui64: string;
  dns: string;
  dns6: string;
  /** Further binding-file lines (onlinkd only): the options of `dora-options`. */
  options?: readonly string[];
}

export function benchBinding(i: number, tap = `tap${i}`): BenchBinding {
  // Up to 4096 VMs: IPv4 addresses repeat across taps (each tap is its own link in routed mode; the
  // addresses never leave the packets), IPv6 /64s are distinct: 2001:db8:<i/65536>:<i%65536>::/64.
  const net4 = i % 2 === 0 ? '203.0.113' : '198.51.100';
  const host = 2 + (Math.floor(i / 2) % 250);
  const net6 = `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
  const m = [0xaa, 0, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff].map((b) => b.toString(16).padStart(2, '0'));
  const mac = m.join(':');
  const eui = `a800:ff:fe${m[3]}:${m[4]}${m[5]}`.replace(/:0+([0-9a-f])/g, ':$1');
  return {
    tap,
    mac,
    hostname: `vm${i}`,
    ip: `${net4}.${host}`,
    subnet: `${net4}.0/24`,
    gateway: `${net4}.1`,
    subnet6: `${net6}::/64`,
    gateway6: `${net6}::1`,
    eui64: `${net6}:${eui}`,
    dns: '198.51.100.53',
    dns6: '2001:db8::53',
  };
}

/** The single-VM binding of the comparison (the reference figures used one bound MAC). */
export const SINGLE: BenchBinding = {
  tap: 'tap10',
  mac: 'aa:00:00:00:00:10',
  hostname: 'vm10',
  ip: '203.0.113.10',
  subnet: '203.0.113.0/24',
  gateway: '203.0.113.1',
  subnet6: '2001:db8:10::/64',
  gateway6: '2001:db8:10::1',
  eui64: '2001:db8:10::a800:ff:fe00:10',
  dns: '198.51.100.53',
  dns6: '2001:db8::53',
};

export function bindingFile(b: BenchBinding): string {
  return [
    `INDEV=${b.tap}`,
    `IP=${b.ip}`,
    `MAC=${b.mac}`,
    `HOSTNAME=${b.hostname}`,
    'TAGS=""',
    `GATEWAY=${b.gateway}`,
    `SUBNET=${b.subnet}`,
    `GATEWAY6=${b.gateway6}`,
    `SUBNET6=${b.subnet6}`,
    `EUI64=${b.eui64}`,
    `DNS=${b.dns}`,
    `DNS6=${b.dns6}`,
    ...(b.options ?? []),
    '',
  ].join('\n');
}

/**
 * Five extra DHCPv4 options for `dora-options`: two the generator's PRL
 * asks for (42, 119) and three sent always (2, 17, 252), so every OFFER
 * and ACK carries all five.
 */
export const BENCH_OPTIONS: readonly string[] = [
  'OPTION_42=203.0.113.5,203.0.113.6',
  'OPTION_119=example.test,lab.example.test',
  'OPTION_2=always:-3600',
  'OPTION_17=always:/srv/root',
  'OPTION_252=always:http://203.0.113.1/wpad.dat',
];

/**
 * Stateful DHCPv6 for `solicit` (issue 14): the tap in `dhcpv6` mode, IA_NA = IP6 (the VM's
 * EUI64 address, which Kea reserves for the client's DUID too: kea6Config).
 */
export const benchStateful6 = (b: BenchBinding): readonly string[] => ['MODE6=dhcpv6', `IP6=${b.eui64}`];

/** The binding an exchange is measured against: `dora-options` adds BENCH_OPTIONS, `solicit` benchStateful6. */
export function bindingFor(ex: Exchange, b: BenchBinding): BenchBinding {
  if (ex === 'dora-options') return { ...b, options: BENCH_OPTIONS };
  if (ex === 'solicit') return { ...b, options: benchStateful6(b) };
  return b;
}

/** DUID-LL (RFC 8415 §11.4, hardware type 1) of a MAC, as olkgen sends it, in Kea's hex notation. */
export const duidLL = (mac: string): string => `00:03:00:01:${mac.toLowerCase()}`;

export interface RunningServer {
  readonly name: string;
  /** The process that answers this exchange (undefined: the kernel). */
  pidFor(ex: Exchange): number | undefined;
  /** Every process of the server, for memory figures. */
  pids(): Array<{ role: string; pid: number }>;
  /** Text of the server's own log (for failures). */
  logTail(): string;
  stop(): Promise<unknown>;
}

export interface Adapter {
  readonly name: string;
  readonly exchanges: readonly Exchange[];
  /** Why it cannot run here, or undefined. */
  unavailable(): string | undefined;
  version(): string;
  /** Starts the server for `bindings` (their taps exist in lab's hv namespace). */
  start(lab: Lab, bindings: readonly BenchBinding[]): Promise<RunningServer>;
}

function which(bin: string): string | undefined {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (existsSync(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || r.stderr || '').split('\n')[0]!.trim();
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs argv in `ns` with stdout and stderr appended to `log` (pid stays argv[0]'s: sh and taskset exec it). */
function spawnLogged(lab: Lab, ns: string, argv: string[], log: string, env?: Record<string, string>, pinned = true): LabProcess {
  const pin = pinned ? cpuPlacement() : undefined;
  const full = pin ? ['taskset', '-c', pin.server, ...argv] : argv;
  return lab.spawn(ns, ['sh', '-c', `exec "$0" "$@" >>'${log}' 2>&1`, ...full], env ? { env } : {});
}

async function waitFor(what: string, p: LabProcess, log: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (p.exitStatus) throw new Error(`bench: ${what} exited (${JSON.stringify(p.exitStatus)}) before it was ready:\n${tail(log)}`);
    if (Date.now() > deadline) throw new Error(`bench: ${what} not ready after ${timeoutMs} ms:\n${tail(log)}`);
    await sleep(25);
  }
}

/** UDP ports bound in a namespace (ss), to know when a peer server listens. */
async function udpPortBound(lab: Lab, port: number): Promise<boolean> {
  const r = await lab.exec('hv', ['ss', '-Hlun', `sport = :${port}`], { timeoutMs: 5_000 });
  return r.stdout.trim().length > 0;
}

/** dnsmasq and Kea need the server's addresses on the tap (onlinkd does not). */
export async function addServerAddresses(lab: Lab, b: BenchBinding): Promise<void> {
  const prefix = b.subnet.split('/')[1];
  const p6 = b.subnet6.split('/')[1];
  await lab.run('hv', ['ip', 'addr', 'add', `${b.gateway}/${prefix}`, 'dev', b.tap]);
  await lab.run('hv', ['ip', '-6', 'addr', 'add', 'fe80::1/64', 'dev', b.tap, 'nodad']);
  await lab.run('hv', ['ip', '-6', 'addr', 'add', `${b.gateway6}/${p6}`, 'dev', b.tap, 'nodad']);
}

function gitDescribe(): string {
  const r = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8', timeout: 5_000 });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

// ---------------------------------------------------------------------------

export interface OnlinkdOptions {
  /** pino level; `warn` keeps per-reply logging out of the comparison. */
  logLevel?: string;
  /** Extra INI text appended to the config (e.g. BENCH_ONLINKD_CONFIG). */
  extraConfig?: string;
  raPeriod?: number;
  /** [guard] rate and burst (per-tap frames/s); default 1e6, i.e. off. */
  guardRate?: number;
  guardBurst?: number;
  /** [ipv6] rs_burst and rs_rate (solicited RAs per tap); default 1e6, i.e. off. */
  rsBurst?: number;
  rsRate?: number;
  /** Path for the control socket (default: in the lab directory). */
  controlSocket?: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Extra environment (e.g. UV_THREADPOOL_SIZE). */
  env?: Record<string, string>;
  /** false: not pinned to the servers' CPU (start-up as deployed, on every CPU of the machine). Default true. */
  pin?: boolean;
  /** Another build of the daemon (a patched copy: BENCH_ONLINKD_B); default ONLINKD. */
  entry?: string;
}

export class OnlinkdServer implements RunningServer {
  readonly name = 'onlinkd';
  constructor(
    readonly lab: Lab,
    readonly process: LabProcess,
    readonly dir: string,
    readonly log: string,
    readonly configPath: string,
    readonly controlSocket: string,
    /** sd_notify messages from the daemon (READY, RELOADING, STATUS). */
    readonly notify: NotifySocket,
    /** ms from spawn to READY=1 (what systemd waits for with Type=notify). */
    readonly readyMs: number,
    /** STATUS= sent with READY=1, e.g. "serving 4096 of 4096 bindings". */
    readonly readyStatus: string,
  ) {}
  pidFor(): number {
    return this.process.pid;
  }
  pids(): Array<{ role: string; pid: number }> {
    return [{ role: 'onlinkd', pid: this.process.pid }];
  }
  logTail(): string {
    return tail(this.log);
  }
  writeConfig(text: string): void {
    writeFileSync(this.configPath, text);
  }
  /** SIGHUP, resolved when the daemon says READY again. */
  async reload(): Promise<void> {
    const from = this.notify.messages.length;
    process.kill(this.process.pid, 'SIGHUP');
    await this.notify.wait((f) => f.READY === '1', 10_000, from);
  }
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the ms the daemon took to exit. */
  async stop(graceMs = 3_000): Promise<number> {
    const t0 = Date.now();
    await this.process.kill(graceMs);
    this.notify.close();
    return Date.now() - t0;
  }
}

export function onlinkdConfig(dir: string, o: OnlinkdOptions, controlSocket: string): string {
  return [
    '[general]',
    `log_level = ${o.logLevel ?? 'warn'}`,
    `control_socket = ${controlSocket}`,
    // One VM driven flat out is a flood by the per-tap guard's standards: lift it, as the peers have none.
    '[guard]',
    `rate = ${o.guardRate ?? 1_000_000}`,
    `burst = ${o.guardBurst ?? 1_000_000}`,
    '[ipv6]',
    // Likewise the RS limiter (3, then 1/s per tap by default): dnsmasq answers every RS.
    `rs_burst = ${o.rsBurst ?? 1_000_000}`,
    `rs_rate = ${o.rsRate ?? 1_000_000}`,
    ...(o.raPeriod !== undefined ? [`ra_period = ${o.raPeriod}`] : []),
    o.extraConfig ?? process.env.BENCH_ONLINKD_CONFIG ?? '',
    '',
  ].join('\n');
}

export function onlinkdAdapter(o: OnlinkdOptions = {}, name = 'onlinkd'): Adapter {
  return {
    name,
    exchanges: ['dora', 'dora-options', 'rs', 'ns', 'ir', 'solicit'],
    unavailable: () => (existsSync(o.entry ?? ONLINKD) ? undefined : `${o.entry ?? ONLINKD} missing: run "npm run build"`),
    version: () => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      return o.entry ? `${o.entry}, node ${process.version}` : `onlinkd ${pkg.version} (${gitDescribe()}), node ${process.version}`;
    },
    start: (lab, bindings) => startOnlinkd(lab, bindings, o),
  };
}

export async function startOnlinkd(lab: Lab, bindings: readonly BenchBinding[], o: OnlinkdOptions = {}): Promise<OnlinkdServer> {
  const dir = lab.path('onlinkd');
  const datapath = join(dir, 'bindings');
  mkdirSync(datapath, { recursive: true });
  for (const b of bindings) {
    writeFileSync(join(datapath, `.${b.tap}.tmp`), bindingFile(b));
    renameSync(join(datapath, `.${b.tap}.tmp`), join(datapath, b.tap));
  }
  const configPath = join(dir, 'onlinkd.conf');
  const controlSocket = o.controlSocket ?? join(dir, 'control.sock');
  writeFileSync(configPath, onlinkdConfig(dir, o, controlSocket));
  const log = join(dir, 'onlinkd.log');
  const notify = new NotifySocket(join(dir, 'notify.sock'));
  // Node flags and UV_THREADPOOL_SIZE as systemd/onlinkd.service sets them (binding-add's fsyncs run in libuv's pool).
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', UV_THREADPOOL_SIZE: '16', ...o.env, NOTIFY_SOCKET: notify.path };
  const t0 = Date.now();
  const p = spawnLogged(lab, 'hv', [process.execPath, ...ONLINKD_NODE_FLAGS, ...(o.nodeArgs ?? []), o.entry ?? ONLINKD, '--config', configPath, '--datapath', datapath], log, env, o.pin ?? true);
  let ready: Notification;
  try {
    ready = await notify.wait((f) => f.READY === '1', 30_000, 0, () => !p.exitStatus);
  } catch (e) {
    await p.kill(1_000);
    notify.close();
    throw new Error(`${(e as Error).message}\n${tail(log)}`);
  }
  return new OnlinkdServer(lab, p, dir, log, configPath, controlSocket, notify, ready.at - t0, ready.fields.STATUS ?? '');
}

// ---------------------------------------------------------------------------

export function dnsmasqConfig(dir: string, b: BenchBinding, raPeriod = 300): string {
  const prefix = Number(b.subnet.split('/')[1]);
  const mask = prefix === 24 ? '255.255.255.0' : '255.255.255.0';
  const net = b.subnet.split('/')[0];
  const net6 = b.subnet6.split('/')[0];
  return [
    'port=0', // no DNS
    'no-resolv',
    'no-hosts',
    'user=root',
    `interface=${b.tap}`,
    'bind-interfaces',
    'dhcp-authoritative',
    `dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
    `pid-file=${join(dir, 'dnsmasq.pid')}`,
    `log-facility=${join(dir, 'dnsmasq.log')}`,
    'quiet-dhcp',
    'quiet-dhcp6',
    'quiet-ra',
    `dhcp-range=${net},static,${mask},604800`,
    `dhcp-host=${b.mac},${b.ip},${b.hostname},604800`,
    `dhcp-option=option:router,${b.gateway}`,
    `dhcp-option=option:dns-server,${b.dns}`,
    'enable-ra',
    `dhcp-range=${net6},ra-stateless,64,604800`,
    `ra-param=${b.tap},${raPeriod}`,
    `dhcp-option=option6:dns-server,[${b.dns6}]`,
    '',
  ].join('\n');
}

export function dnsmasqAdapter(): Adapter {
  return {
    name: 'dnsmasq',
    exchanges: ['dora', 'rs', 'ir'],
    unavailable: () => (which('dnsmasq') ? undefined : 'dnsmasq not installed (Debian: dnsmasq-base)'),
    version: () => firstLine(which('dnsmasq') ?? 'dnsmasq', ['--version']).replace(/\s+Copyright.*/, ''),
    async start(lab, bindings) {
      const b = bindings[0]!;
      await addServerAddresses(lab, b);
      const dir = lab.path('dnsmasq');
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'dnsmasq.conf');
      writeFileSync(conf, dnsmasqConfig(dir, b));
      const log = join(dir, 'dnsmasq.out');
      const p = spawnLogged(lab, 'hv', [which('dnsmasq')!, '-k', '-C', conf], log);
      await waitFor('dnsmasq', p, join(dir, 'dnsmasq.log'), async () => (await udpPortBound(lab, 67)) && (await udpPortBound(lab, 547)));
      return {
        name: 'dnsmasq',
        pidFor: () => p.pid,
        pids: () => [{ role: 'dnsmasq', pid: p.pid }],
        logTail: () => tail(join(dir, 'dnsmasq.log')) + tail(log),
        stop: async () => {
          await p.kill(3_000);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------

export function kea4Config(dir: string, b: BenchBinding): unknown {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: [b.tap], 'dhcp-socket-type': 'raw' },
      'lease-database': { type: 'memfile', persist: true, name: join(dir, 'kea-leases4.csv'), 'lfc-interval': 0 },
      'valid-lifetime': 604800,
      'renew-timer': 3600,
      'rebind-timer': 529200,
      'host-reservation-identifiers': ['hw-address'],
      subnet4: [
        {
          id: 1,
          subnet: b.subnet,
          interface: b.tap,
          'option-data': [
            { name: 'routers', data: b.gateway },
            { name: 'domain-name-servers', data: b.dns },
          ],
          reservations: [{ 'hw-address': b.mac, 'ip-address': b.ip, hostname: b.hostname }],
        },
      ],
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: join(dir, 'kea4.log') }], severity: 'WARN' }],
    },
  };
}

export function kea6Config(dir: string, b: BenchBinding): unknown {
  return {
    Dhcp6: {
      'interfaces-config': { interfaces: [b.tap] },
      'data-directory': dir,
      'lease-database': { type: 'memfile', persist: false },
      'server-id': { type: 'EN', 'enterprise-id': 2495, identifier: '0102030405060708', persist: false },
      'host-reservation-identifiers': ['duid'],
      subnet6: [
        {
          id: 1,
          subnet: b.subnet6,
          interface: b.tap,
          'option-data': [{ name: 'dns-servers', data: b.dns6 }],
          // No pool: the one address handed out is the reservation's (out-of-pool reservations are allowed).
          reservations: [{ duid: duidLL(b.mac), 'ip-addresses': [b.eui64], hostname: b.hostname }],
        },
      ],
      loggers: [{ name: 'kea-dhcp6', output_options: [{ output: join(dir, 'kea6.log') }], severity: 'WARN' }],
    },
  };
}

export function keaAdapter(): Adapter {
  return {
    name: 'kea',
    exchanges: ['dora', 'ir', 'solicit'],
    unavailable: () =>
      which('kea-dhcp4') && which('kea-dhcp6') ? undefined : 'kea-dhcp4/kea-dhcp6 not installed (Debian: kea-dhcp4-server kea-dhcp6-server)',
    version: () => `Kea ${firstLine(which('kea-dhcp4') ?? 'kea-dhcp4', ['-V'])}`,
    async start(lab, bindings) {
      const b = bindings[0]!;
      await addServerAddresses(lab, b);
      const dir = lab.path('kea');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'kea4.json'), JSON.stringify(kea4Config(dir, b), null, 1));
      writeFileSync(join(dir, 'kea6.json'), JSON.stringify(kea6Config(dir, b), null, 1));
      const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
      const out4 = join(dir, 'kea4.out');
      const out6 = join(dir, 'kea6.out');
      const p4 = spawnLogged(lab, 'hv', [which('kea-dhcp4')!, '-c', join(dir, 'kea4.json')], out4, env);
      const p6 = spawnLogged(lab, 'hv', [which('kea-dhcp6')!, '-c', join(dir, 'kea6.json')], out6, env);
      try {
        await waitFor('kea-dhcp4', p4, out4, () => udpPortBound(lab, 67));
        await waitFor('kea-dhcp6', p6, out6, () => udpPortBound(lab, 547));
      } catch (e) {
        await Promise.all([p4.kill(1_000), p6.kill(1_000)]);
        throw e;
      }
      return {
        name: 'kea',
        pidFor: (ex) => (ex === 'ir' || ex === 'solicit' ? p6.pid : p4.pid),
        pids: () => [
          { role: 'kea-dhcp4', pid: p4.pid },
          { role: 'kea-dhcp6', pid: p6.pid },
        ],
        logTail: () => `${tail(join(dir, 'kea4.log'))}\n${tail(out4)}\n${tail(join(dir, 'kea6.log'))}\n${tail(out6)}`,
        stop: async () => {
          await Promise.all([p4.kill(3_000), p6.kill(3_000)]);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------

/** The hypervisor kernel answering NS for the tap's own address: the ceiling for NS -> NA. */
export function kernelAdapter(): Adapter {
  return {
    name: 'kernel',
    exchanges: ['ns'],
    unavailable: () => undefined,
    version: () => `Linux ${firstLine('uname', ['-r'])}`,
    async start(lab, bindings) {
      const b = bindings[0]!;
      await addServerAddresses(lab, b);
      return {
        name: 'kernel',
        pidFor: () => undefined,
        pids: () => [],
        logTail: () => '',
        stop: async () => undefined,
      };
    },
  };
}
