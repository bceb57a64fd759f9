/**
 * Runners for the real clients a VM would run, each inside a lab VM
 * namespace, each bounded by a timeout, each with private state (config,
 * lease, pid files, hook script) under the lab's directory so nothing
 * touches the host's /etc, /var/lib or /run. See
 * /work/shared/reference/client-quirks.md for the behaviour they work around.
 *
 * Hook scripts never configure anything by default: they only record the
 * environment they receive, one file per event (written to a temp name then
 * renamed, so a reader never sees half an event). With `configure: true`
 * the dhclient/udhcpc scripts also put the leased address on the VM's eth0
 * (renewal tests need it there); they never touch routes or resolv.conf.
 */

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_PATH, sleep, type Lab, type LabProcess, type NsRef, type ExecResult } from './lab.js';
import {
  infoFromDhclient6,
  leaseFromDhclient,
  leaseFromDhcpcd,
  leaseFromUdhcpc,
  parseEnvDump,
  parseNdisc6,
  parseRdisc6,
  type ClientEvent,
  type Dhcp4Lease,
  type Dhcp6Info,
  type Ndisc6Answer,
  type Rdisc6Advert,
} from '../helpers/client-output.js';

export type { ClientEvent, Dhcp4Lease, Dhcp6Info, Ndisc6Answer, Rdisc6Advert } from '../helpers/client-output.js';

const POLL_MS = 50;

// ---------------------------------------------------------------------------
// Shared plumbing

/** A fresh private directory for one client run (world-traversable: dhcpcd's privsep helpers). */
function runDir(lab: Lab, client: string, vm: NsRef): string {
  const tag = typeof vm === 'string' ? vm : vm.tap;
  const dir = mkdtempSync(join(lab.dir, `${client}-${tag}-`));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'events'), { mode: 0o755 });
  return dir;
}

function clientEnv(dir: string): Record<string, string> {
  return { PATH: LAB_PATH, LANG: 'C', HOME: dir };
}

function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A POSIX sh hook: run `actions` (may be empty), then record the event name
 * (`eventExpr`, e.g. "$reason" or "$1") and the whole environment.
 */
function writeHook(dir: string, eventExpr: string, actions: string): string {
  const file = join(dir, 'hook.sh');
  const events = join(dir, 'events');
  writeFileSync(file, `#!/bin/sh
# Written by test/e2e/clients.ts: records the event; configures nothing unless below.
PATH=${LAB_PATH}; export PATH
${actions}
tmp=${sq(events)}/.ev.$$
{ printf '%s=%s\\0' __olk_event "${eventExpr}"; env -0; } > "$tmp"
mv "$tmp" ${sq(events)}/"$(date +%s%N)-$$.ev"
exit 0
`, { mode: 0o755 });
  return file;
}

/** Every recorded event of a run, oldest first. */
export function readEvents(dir: string): ClientEvent[] {
  const eventsDir = join(dir, 'events');
  let names: string[];
  try {
    names = readdirSync(eventsDir).filter((n) => n.endsWith('.ev')).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => parseEnvDump(readFileSync(join(eventsDir, n))));
}

/** A client still running: its process, its private directory and the events its hook recorded. */
export interface ClientSession {
  readonly process: LabProcess;
  /** Private directory: config, lease/pid files, hook script, events/. */
  readonly dir: string;
  events(): ClientEvent[];
  /**
   * First event (at index >= `since`) whose reason is one of `reasons`;
   * null when the timeout expires or the client exits without one.
   */
  waitForEvent(reasons: readonly string[], timeoutMs: number, since?: number): Promise<ClientEvent | null>;
  /** Kill the client's process group (SIGTERM, SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

function session(proc: LabProcess, dir: string): ClientSession {
  return {
    process: proc,
    dir,
    events: () => readEvents(dir),
    async waitForEvent(reasons, timeoutMs, since = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const exitedBefore = proc.exitStatus !== undefined;
        const found = readEvents(dir).slice(since).find((e) => reasons.includes(e.reason));
        if (found) return found;
        if (exitedBefore || Date.now() >= deadline) return null;
        await sleep(POLL_MS);
      }
    },
    async stop(graceMs = 1_000) {
      await proc.kill(graceMs);
    },
  };
}

// ---------------------------------------------------------------------------
// dhclient (isc-dhcp-client 4.4)

export interface PreviousLease {
  ip: string;
  subnetMask?: string;
  serverId?: string;
  routers?: string[];
  /** Absolute expiry; default one day from now (so dhclient starts in INIT-REBOOT). */
  expires?: Date;
}

export interface DhclientOptions {
  /** Ask for option 121 (declared as `rfc3442-classless-static-routes`). Default true. */
  requestRoutes?: boolean;
  /**
   * Option 61 to send: `aa:bb:...` hex octets (e.g. `01:aa:00:00:00:00:10`)
   * or any other text, sent as a string. Default: none (dhclient sends no 61).
   */
  clientId?: string;
  /** Option 12 to send. Default: none (the host's name must not leak into tests). */
  hostName?: string;
  /** isc-dhcp-client 4.4 cannot set the BOOTP broadcast flag: true throws. */
  broadcastFlag?: boolean;
  /** dhclient's own `timeout` and the bound on the whole run. Default 10. */
  timeoutSec?: number;
  /** Also put the address on the VM's eth0 (and remove it on expiry/release). Default false. */
  configure?: boolean;
  /** Start from this lease: dhclient then begins with an INIT-REBOOT REQUEST (option 50, no 54). */
  previousLease?: PreviousLease;
  /** Extra dhclient.conf statements, appended verbatim. */
  extraConfig?: string;
}

function isHexOctets(s: string): boolean {
  return /^[0-9a-f]{1,2}(:[0-9a-f]{1,2})+$/i.test(s);
}

function dhclientConf(opts: DhclientOptions): string {
  const timeout = opts.timeoutSec ?? 10;
  const request = ['subnet-mask', 'broadcast-address', 'routers', 'domain-name', 'domain-name-servers',
    'domain-search', 'host-name', 'interface-mtu', ...(opts.requestRoutes === false ? [] : ['rfc3442-classless-static-routes'])];
  const lines = [
    'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;',
    `request ${request.join(', ')};`,
    `timeout ${timeout};`,
    'initial-interval 1;',
    'backoff-cutoff 2;',
    `reboot ${Math.max(1, Math.min(10, Math.floor(timeout / 2)))};`,
    'select-timeout 0;',
  ];
  if (opts.clientId !== undefined) {
    lines.push(`send dhcp-client-identifier ${isHexOctets(opts.clientId) ? opts.clientId : JSON.stringify(opts.clientId)};`);
  }
  if (opts.hostName !== undefined) lines.push(`send host-name ${JSON.stringify(opts.hostName)};`);
  if (opts.extraConfig) lines.push(opts.extraConfig);
  return lines.join('\n') + '\n';
}

function dhclientDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function dhclientLeaseFile(iface: string, lease: PreviousLease): string {
  const expires = lease.expires ?? new Date(Date.now() + 86_400_000);
  const lines = [
    'lease {',
    `  interface "${iface}";`,
    `  fixed-address ${lease.ip};`,
    `  option subnet-mask ${lease.subnetMask ?? '255.255.255.0'};`,
    ...(lease.routers?.length ? [`  option routers ${lease.routers.join(',')};`] : []),
    ...(lease.serverId ? [`  option dhcp-server-identifier ${lease.serverId};`] : []),
    '  option dhcp-message-type 5;',
    `  renew ${dhclientDate(expires)};`,
    `  rebind ${dhclientDate(expires)};`,
    `  expire ${dhclientDate(expires)};`,
    '}',
  ];
  return lines.join('\n') + '\n';
}

const DHCLIENT_CONFIGURE = `
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface" 2>/dev/null
    fi
    ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
  EXPIRE|FAIL|RELEASE|STOP)
    [ -n "$old_ip_address" ] && ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface" 2>/dev/null ;;
esac`;

/**
 * Start `dhclient -d -1` (foreground, one try) on the VM's eth0 and keep it
 * running; use this for renewal tests. Events: PREINIT, BOUND, RENEW, REBOOT, FAIL...
 */
export async function startDhclient(lab: Lab, vm: NsRef, opts: DhclientOptions = {}): Promise<ClientSession> {
  if (opts.broadcastFlag) throw new Error('dhclient (isc-dhcp-client 4.4) has no way to set the BOOTP broadcast flag; use udhcpc -B');
  const dir = runDir(lab, 'dhclient', vm);
  const conf = join(dir, 'dhclient.conf');
  const leases = join(dir, 'dhclient.leases');
  writeFileSync(conf, dhclientConf(opts));
  writeFileSync(leases, opts.previousLease ? dhclientLeaseFile('eth0', opts.previousLease) : '');
  const hook = writeHook(dir, '$reason', opts.configure ? DHCLIENT_CONFIGURE : '');
  const proc = lab.spawn(vm, ['dhclient', '-d', '-1', '-v', '-cf', conf, '-lf', leases, '-pf', join(dir, 'dhclient.pid'),
    '-sf', hook, 'eth0'], { env: clientEnv(dir), cwd: dir });
  return session(proc, dir);
}

/**
 * One DHCPv4 exchange with dhclient: the lease from its BOUND (or REBOOT)
 * event, or null when none came within `timeoutSec`. The client is killed
 * afterwards (no RELEASE is sent).
 */
export async function dhclient(lab: Lab, vm: NsRef, opts: DhclientOptions = {}): Promise<Dhcp4Lease | null> {
  const timeoutSec = opts.timeoutSec ?? 10;
  const s = await startDhclient(lab, vm, opts);
  try {
    const ev = await s.waitForEvent(['BOUND', 'REBOOT'], timeoutSec * 1_000 + 2_000);
    return ev ? leaseFromDhclient(ev) : null;
  } finally {
    await s.stop();
  }
}

export interface Dhclient6Options {
  timeoutSec?: number;
  /** Options to request. Default: dhcp6.name-servers, dhcp6.domain-search. */
  request?: readonly string[];
}

/**
 * `dhclient -6 -S`: one stateless Information-Request exchange. Waits for
 * the VM's link-local first. Returns what the Reply carried, or null.
 */
export async function dhclient6Inform(lab: Lab, vm: NsRef, opts: Dhclient6Options = {}): Promise<Dhcp6Info | null> {
  const timeoutSec = opts.timeoutSec ?? 5;
  await lab.waitLinkLocal(vm, 5_000);
  const dir = runDir(lab, 'dhclient6', vm);
  const conf = join(dir, 'dhclient6.conf');
  writeFileSync(conf, [
    `request ${(opts.request ?? ['dhcp6.name-servers', 'dhcp6.domain-search']).join(', ')};`,
    `timeout ${timeoutSec};`,
    'initial-interval 1;',
  ].join('\n') + '\n');
  const hook = writeHook(dir, '$reason', '');
  const proc = lab.spawn(vm, ['dhclient', '-6', '-S', '-d', '-1', '-v', '-cf', conf, '-lf', join(dir, 'dhclient6.leases'),
    '-pf', join(dir, 'dhclient6.pid'), '-sf', hook, 'eth0'], { env: clientEnv(dir), cwd: dir });
  const s = session(proc, dir);
  try {
    // isc-dhcp-client 4.4 reports a stateless Reply as RENEW6; accept the other "got data" reasons too.
    const ev = await s.waitForEvent(['RENEW6', 'BOUND6', 'REBOOT6', 'REBIND6', 'INFORM6'], timeoutSec * 1_000 + 2_000);
    return ev ? infoFromDhclient6(ev) : null;
  } finally {
    await s.stop();
  }
}

export interface Dhclient6StatefulOptions {
  /** `-N` (IA_NA), `-P` (IA_PD) or both. Default: IA_NA only. */
  ia?: { address?: boolean; prefix?: boolean };
  /** Bound on one wait for an event. Default 10. */
  timeoutSec?: number;
}

/**
 * `dhclient -6 -N` and/or `-P`, left running (stateful DHCPv6, issue 14):
 * wait for BOUND6, then RENEW6/REBIND6 as the server's T1/T2 say, and
 * release with `release(session)`. Waits for the VM's link-local first.
 */
export async function startDhclient6Stateful(lab: Lab, vm: NsRef, opts: Dhclient6StatefulOptions = {}): Promise<ClientSession & { release(): Promise<ExecResult> }> {
  const timeoutSec = opts.timeoutSec ?? 10;
  await lab.waitLinkLocal(vm, 5_000);
  const dir = runDir(lab, 'dhclient6s', vm);
  const conf = join(dir, 'dhclient6.conf');
  writeFileSync(conf, ['request dhcp6.name-servers;', `timeout ${timeoutSec};`, 'initial-interval 1;'].join('\n') + '\n');
  const hook = writeHook(dir, '$reason', '');
  const ia = [...(opts.ia?.address !== false ? ['-N'] : []), ...(opts.ia?.prefix ? ['-P'] : [])];
  const files = ['-cf', conf, '-lf', join(dir, 'dhclient6.leases'), '-pf', join(dir, 'dhclient6.pid'), '-sf', hook];
  const proc = lab.spawn(vm, ['dhclient', '-6', ...ia, '-d', '-v', ...files, 'eth0'], { env: clientEnv(dir), cwd: dir });
  const s = session(proc, dir);
  return {
    ...s,
    // A second dhclient with the same files sends the Release (RFC 8415 §18.2.7) and stops the first.
    release: () => lab.exec(vm, ['dhclient', '-6', ...ia, '-r', '-v', ...files, 'eth0'], { env: clientEnv(dir), cwd: dir, timeoutMs: 15_000 }),
  };
}

// ---------------------------------------------------------------------------
// udhcpc (busybox 1.35)

export interface UdhcpcOptions {
  /** `-O staticroutes` (option 121). Default true. */
  requestRoutes?: boolean;
  /** Option 61 as hex octets (`01:aa:...`); null sends none (`-C`); default: udhcpc's own 01+MAC. */
  clientId?: string | null;
  /** `-B`: ask for broadcast replies. */
  broadcastFlag?: boolean;
  /** `-V`: vendor class (option 60). Default: udhcpc's own `udhcp 1.35.0`. */
  vendorClass?: string;
  /** `-x hostname:NAME` (option 12). */
  hostName?: string;
  /** `-r IP`: request this address (option 50 in the DISCOVER). */
  requestIp?: string;
  /** Further `-O` options to request (names or numbers). */
  requestOptions?: readonly string[];
  /** Number of DISCOVERs, one per second (`-t N -T 1`); the run is bounded by it. Default 5. */
  timeoutSec?: number;
  /** Also put the address on the VM's eth0. Default false. */
  configure?: boolean;
  extraArgs?: readonly string[];
}

const UDHCPC_CONFIGURE = `
case "$1" in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew) ip -4 addr replace "$ip/\${mask:-24}" dev "$interface" ;;
esac`;

/**
 * The udhcpc argv used by udhcpc() (exported for the fixture captures);
 * `stay`: without `-q`, udhcpc keeps the lease and runs on (startUdhcpc).
 */
export function udhcpcArgv(hook: string, opts: UdhcpcOptions = {}, stay = false): string[] {
  const tries = Math.max(1, Math.round(opts.timeoutSec ?? 5));
  const argv = ['udhcpc', '-i', 'eth0', '-f', ...(stay ? [] : ['-q']), '-n', '-t', String(tries), '-T', '1', '-s', hook];
  if (opts.requestRoutes !== false) argv.push('-O', 'staticroutes');
  for (const o of opts.requestOptions ?? []) argv.push('-O', o);
  if (opts.clientId === null) argv.push('-C');
  else if (opts.clientId !== undefined) argv.push('-x', `0x3d:${opts.clientId.replace(/:/g, '')}`);
  if (opts.broadcastFlag) argv.push('-B');
  if (opts.vendorClass !== undefined) argv.push('-V', opts.vendorClass);
  if (opts.hostName !== undefined) argv.push('-x', `hostname:${opts.hostName}`);
  if (opts.requestIp !== undefined) argv.push('-r', opts.requestIp);
  argv.push(...(opts.extraArgs ?? []));
  return argv;
}

function spawnUdhcpc(lab: Lab, vm: NsRef, opts: UdhcpcOptions, stay: boolean): ClientSession {
  const dir = runDir(lab, 'udhcpc', vm);
  const hook = writeHook(dir, '$1', opts.configure ? UDHCPC_CONFIGURE : '');
  return session(lab.spawn(vm, udhcpcArgv(hook, opts, stay), { env: clientEnv(dir), cwd: dir }), dir);
}

/**
 * udhcpc left running after its lease (no `-q`): events `bound`, then
 * `renew` after `renew()` (SIGUSR1 to udhcpc's pid: busybox renews at once,
 * a REQUEST with ciaddr unicast to the server identifier from a kernel UDP
 * socket, so give it `configure: true`).
 */
export function startUdhcpc(lab: Lab, vm: NsRef, opts: UdhcpcOptions = {}): ClientSession & { renew(): void } {
  const s = spawnUdhcpc(lab, vm, opts, true);
  return { ...s, renew: () => process.kill(s.process.pid, 'SIGUSR1') };
}

/** One DHCPv4 exchange with udhcpc (`-q -n`): the lease from its `bound` event, or null. */
export async function udhcpc(lab: Lab, vm: NsRef, opts: UdhcpcOptions = {}): Promise<Dhcp4Lease | null> {
  const tries = Math.max(1, Math.round(opts.timeoutSec ?? 5));
  const s = spawnUdhcpc(lab, vm, opts, false);
  try {
    const ev = await s.waitForEvent(['bound'], tries * 1_000 + 3_000);
    return ev ? leaseFromUdhcpc(ev) : null;
  } finally {
    await s.stop();
  }
}

// ---------------------------------------------------------------------------
// dhcpcd (dhcpcd-base 9.4)

export interface DhcpcdOptions {
  /** `option classless_static_routes`. Default true. */
  requestRoutes?: boolean;
  /** `duid` (Debian's default: option 61 = 0xff, IAID, DUID) or `clientid` (01 + MAC). */
  clientId?: 'duid' | 'clientid';
  /** Send option 12 with this name (`hostname NAME`). Default: none. */
  hostName?: string;
  /** dhcpcd's `-t` and the bound on the run. Default 10. */
  timeoutSec?: number;
  /** Extra dhcpcd.conf lines, appended verbatim. */
  extraConfig?: string;
}

/** A dhcpcd.conf like Debian's default (/etc/dhcpcd.conf in dhcpcd-base 9.4.1), adjusted by opts. */
export function dhcpcdConf(opts: DhcpcdOptions = {}): string {
  const lines = [
    opts.clientId === 'clientid' ? 'clientid' : 'duid',
    'persistent',
    'vendorclassid',
    'option domain_name_servers, domain_name, domain_search',
    ...(opts.requestRoutes === false ? [] : ['option classless_static_routes']),
    'option interface_mtu',
    'option host_name',
    'option rapid_commit',
    'require dhcp_server_identifier',
    'slaac private',
    ...(opts.hostName !== undefined ? [`hostname ${opts.hostName}`] : []),
    ...(opts.extraConfig ? [opts.extraConfig] : []),
  ];
  return lines.join('\n') + '\n';
}

/**
 * argv that runs dhcpcd in test mode (-T) with private /run and
 * /var/lib/dhcpcd: a private mount namespace (on top of the one
 * `ip netns exec` already makes) bind-mounts run/ and db/ from `dir`, and a
 * private UTS namespace named after the VM keeps the host's name out.
 */
export function dhcpcdArgv(dir: string, conf: string, hook: string, timeoutSec: number, uts: string, family: '-4' | '-6' = '-4', test = true): string[] {
  const script = [
    'set -e',
    'mount --bind "$1/run" /run',
    'mkdir -p /run/dhcpcd',
    'mount --bind "$1/db" /var/lib/dhcpcd',
    'hostname "$2"',
    `exec dhcpcd ${family}${test ? ' -T' : ''} -B -d -f "$3" -c "$4" -t "$5" eth0`,
  ].join('\n');
  return ['unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', script, 'dhcpcd-wrapper',
    dir, uts, conf, hook, String(timeoutSec)];
}

/**
 * dhcpcd.conf for stateful DHCPv6 (issue 14): IA_NA and IA_PD in one
 * Solicit, no Router Solicitation (it would wait for an RA's M flag
 * first), no DHCPv4.
 */
export function dhcpcd6Conf(): string {
  return ['duid', 'persistent', 'noipv6rs', 'ipv6only', 'option rapid_commit', 'option dhcp6_name_servers', 'ia_na 1', 'ia_pd 2'].join('\n') + '\n';
}

/** dhcpcd -6 in the same private namespaces as dhcpcdArgv, not in test mode (it requests, binds, and its hook sees BOUND6). */
export function dhcpcd6Argv(dir: string, conf: string, hook: string, timeoutSec: number, uts: string): string[] {
  return dhcpcdArgv(dir, conf, hook, timeoutSec, uts, '-6', false);
}

/**
 * dhcpcd -6 with IA_NA and IA_PD (dhcpcd6Conf): the first BOUND6/REBOOT6
 * event its hook records (new_dhcp6_ia_na1_ia_addr1, new_dhcp6_ia_pd1_prefix1,
 * ...), or null. Its process group is killed after.
 */
export async function dhcpcd6(lab: Lab, vm: NsRef, timeoutSec = 10): Promise<ClientEvent | null> {
  await lab.waitLinkLocal(vm, 5_000);
  const dir = runDir(lab, 'dhcpcd6', vm);
  for (const sub of ['run', 'db']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const conf = join(dir, 'dhcpcd.conf');
  writeFileSync(conf, dhcpcd6Conf());
  const hook = writeHook(dir, '$reason', '');
  const tag = typeof vm === 'string' ? vm : vm.tap;
  const proc = lab.spawn(vm, dhcpcd6Argv(dir, conf, hook, timeoutSec, `vm-${tag}`), { env: clientEnv(dir), cwd: dir });
  const s = session(proc, dir);
  try {
    return await s.waitForEvent(['BOUND6', 'REBOOT6', 'RENEW6', 'REBIND6'], timeoutSec * 1_000 + 3_000);
  } finally {
    await s.stop(500);
  }
}

/**
 * dhcpcd -T: it sends a DISCOVER, reports the OFFER to its hook as reason
 * TEST and stops there (no REQUEST). Returns that offer, or null. Its exit
 * status is ignored (it segfaults on exit) and its whole process group is
 * killed (it leaves privsep helpers behind).
 */
export async function dhcpcd(lab: Lab, vm: NsRef, opts: DhcpcdOptions = {}): Promise<Dhcp4Lease | null> {
  const timeoutSec = opts.timeoutSec ?? 10;
  const dir = runDir(lab, 'dhcpcd', vm);
  for (const sub of ['run', 'db']) mkdirSync(join(dir, sub), { mode: 0o755 });
  const conf = join(dir, 'dhcpcd.conf');
  writeFileSync(conf, dhcpcdConf(opts));
  const hook = writeHook(dir, '$reason', '');
  const tag = typeof vm === 'string' ? vm : vm.tap;
  const proc = lab.spawn(vm, dhcpcdArgv(dir, conf, hook, timeoutSec, `vm-${tag}`), { env: clientEnv(dir), cwd: dir });
  const s = session(proc, dir);
  try {
    const ev = await s.waitForEvent(['TEST'], timeoutSec * 1_000 + 3_000);
    return ev ? leaseFromDhcpcd(ev) : null;
  } finally {
    await s.stop(500);
  }
}

// ---------------------------------------------------------------------------
// rdisc6 / ndisc6 (ndisc6 1.0.5)

export interface NdiscToolOptions {
  /** Solicitations to send (`-r`). Default 3. */
  retries?: number;
  /** Wait per solicitation in ms (`-w`). Default 1000. */
  waitMs?: number;
  /** Stop at the first answer (`-1`). Default true. */
  single?: boolean;
  /** Wait for eth0's link-local to leave DAD first. Default true. */
  waitLinkLocal?: boolean;
  extraArgs?: readonly string[];
}

export interface Rdisc6Result extends ExecResult {
  adverts: Rdisc6Advert[];
}

export interface Ndisc6Result extends ExecResult {
  answers: Ndisc6Answer[];
}

function ndiscArgs(opts: NdiscToolOptions): string[] {
  return [
    ...(opts.single === false ? [] : ['-1']),
    '-r', String(opts.retries ?? 3),
    '-w', String(opts.waitMs ?? 1_000),
    ...(opts.extraArgs ?? []),
  ];
}

function ndiscBoundMs(opts: NdiscToolOptions): number {
  return (opts.retries ?? 3) * (opts.waitMs ?? 1_000) + 3_000;
}

/** `rdisc6 eth0` in the VM: exit status, raw output and the parsed advertisements. */
export async function rdisc6(lab: Lab, vm: NsRef, opts: NdiscToolOptions = {}): Promise<Rdisc6Result> {
  if (opts.waitLinkLocal !== false) await lab.waitLinkLocal(vm, 5_000);
  const r = await lab.exec(vm, ['rdisc6', ...ndiscArgs(opts), 'eth0'], { timeoutMs: ndiscBoundMs(opts) });
  return { ...r, adverts: parseRdisc6(r.stdout) };
}

/** `ndisc6 TARGET eth0` in the VM: exit status, raw output and the parsed answers. */
export async function ndisc6(lab: Lab, vm: NsRef, target: string, opts: NdiscToolOptions = {}): Promise<Ndisc6Result> {
  if (opts.waitLinkLocal !== false) await lab.waitLinkLocal(vm, 5_000);
  const r = await lab.exec(vm, ['ndisc6', ...ndiscArgs(opts), target, 'eth0'], { timeoutMs: ndiscBoundMs(opts) });
  return { ...r, answers: parseNdisc6(r.stdout) };
}

// ---------------------------------------------------------------------------
// Crafted DHCPv4 (scapy, tools/dhcp-probe.py): only for what no client here sends

const DHCP_PROBE = new URL('./tools/dhcp-probe.py', import.meta.url).pathname;

/** What dhcp-probe.py prints of a reply: addressing, and each option as hex by code. */
export interface DhcpProbeReply {
  eth_src: string;
  eth_dst: string;
  ip_src: string;
  ip_dst: string;
  yiaddr: string;
  ciaddr: string;
  siaddr: string;
  file: string;
  flags: number;
  options: Record<string, string>;
}

/**
 * One crafted DHCPv4 request from the VM (dhcp-probe.py's JSON request:
 * src_mac, chaddr, type, options [[code, hex]], ...; 2 s for the reply);
 * the reply, or null. The suite needs `{ scapy: true }`.
 */
export async function dhcpProbe(lab: Lab, vm: NsRef, req: Record<string, unknown>): Promise<DhcpProbeReply | null> {
  const out = await lab.run(vm, ['/usr/bin/python3', DHCP_PROBE, JSON.stringify({ timeout: 2, ...req })], { timeoutMs: 20_000 });
  return (JSON.parse(out.trim().split('\n').pop()!) as { reply: DhcpProbeReply | null }).reply;
}
