/**
 * Many routed VMs in a lab's hypervisor namespace, shared by the routes-at-
 * scale e2e test (routing-scale.test.ts) and its bench (test/bench/routes.ts),
 * issue 15's "1,000 bindings with `manage = yes` installed in under 1 s":
 *
 *  - taps as KVM makes them: tuntap devices in tap mode, up, made in one
 *    `ip -batch`. With no reader attached they have no carrier; the kernel
 *    takes routes to them all the same (flagged `linkdown`), and onlinkd
 *    installs a tap's routes once it is administratively up;
 *  - one binding per tap with two IPv6 addresses of its own (EUI64, IP6) in
 *    one shared SUBNET6, 2001:db8:183::/64, so every VM wants two distinct
 *    /128 host routes; the first 508 VMs also get an IPv4 address (IP/32):
 *    the project allows only the documentation ranges in tests (RFC 5737
 *    203.0.113.0/24 and 198.51.100.0/24, RFC 3849 2001:db8::/32), and their
 *    two /24s hold 508 hosts. Without GATEWAY: every host address is a VM's;
 *  - the routes of onlinkd's protocol (183) as the kernel lists them.
 *
 * Below, the two routed VMs of routing.test.ts and routing-rule.test.ts and
 * their restart under `ip monitor`.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchBindingAdd } from '../bench/control.js';
import { Lab, sleep, waitFor } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';

export interface RoutedVm {
  tap: string;
  mac: string;
  /** Only the first ROUTED_IPV4.length VMs have one. */
  ip?: string;
  /** The IPv4 subnet `ip` lies in. */
  subnet?: string;
  eui64: string;
  ip6: string;
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
const hex4 = (n: number): string => (n & 0xffff).toString(16);

/** The IPv4 subnets (RFC 5737) whose hosts .1-.254 go to the first VMs, in order. */
const IPV4_SUBNETS = ['203.0.113', '198.51.100'] as const;
/** How many VMs get an IPv4 address (508): the routed plan written once. */
export const ROUTED_IPV4_VMS = IPV4_SUBNETS.length * 254;

/** The routes `n` VMs want: EUI64/128 and IP6/128 each, IP/32 for the first ROUTED_IPV4_VMS. */
export function routedRouteCount(n: number): number {
  return 2 * n + Math.min(n, ROUTED_IPV4_VMS);
}

export const ROUTED_SUBNET6 = '2001:db8:183::/64';

/**
 * VM `i` (0..65533): tap rt<i>, EUI64 2001:db8:183::a818:3fff:fe00:<i> and
 * IP6 2001:db8:183::1:<i>; IPv4 203.0.113.1 + i, then 198.51.100.1 + (i - 254),
 * while those last.
 */
export function routedVm(i: number): RoutedVm {
  const s = Math.floor(i / 254);
  const v4 = s < IPV4_SUBNETS.length ? { ip: `${IPV4_SUBNETS[s]}.${1 + (i % 254)}`, subnet: `${IPV4_SUBNETS[s]}.0/24` } : {};
  return {
    tap: `rt${i}`,
    mac: `aa:18:3f:00:${hex2(i >> 8)}:${hex2(i)}`,
    ...v4,
    // Written as ip(8) prints them (RFC 5952: one zero group is not "::", the longest run is), so wanted and listed lines compare.
    eui64: `2001:db8:183:0:a818:3fff:fe00:${hex4(i)}`,
    ip6: `2001:db8:183::1:${hex4(i)}`,
  };
}

/** The binding file of a VM (what a hook writes). */
export function routedBindingFile(v: RoutedVm): string {
  const v4 = v.ip ? [`IP=${v.ip}`, `SUBNET=${v.subnet}`] : [];
  return [`MAC=${v.mac}`, ...v4, `SUBNET6=${ROUTED_SUBNET6}`, `EUI64=${v.eui64}`, `IP6=${v.ip6}`].join('\n') + '\n';
}

/** The same as `binding-add` arguments. */
export function routedBindingArgs(v: RoutedVm): Record<string, unknown> {
  const v4 = v.ip ? { ip: v.ip, subnet: v.subnet } : {};
  return { tap: v.tap, mac: v.mac, ...v4, subnet6: ROUTED_SUBNET6, eui64: v.eui64, ip6: v.ip6 };
}

/** `ip route` lines (`DST dev TAP`) the VMs want, sorted: what the kernel must show, each once. */
export function wantedRouteLines(vms: readonly RoutedVm[]): string[] {
  return vms.flatMap((v) => [...(v.ip ? [v.ip] : []), v.eui64, v.ip6].map((a) => `${a} dev ${v.tap}`)).sort();
}

/** Makes the VMs' taps in the hypervisor namespace (one `ip -batch`), up. */
export async function addRoutedTaps(lab: Lab, vms: readonly RoutedVm[]): Promise<void> {
  const file = lab.path('routed-taps.batch');
  writeFileSync(file, vms.map((v) => `tuntap add ${v.tap} mode tap\nlink set ${v.tap} up\n`).join(''));
  await lab.run('hv', ['ip', '-batch', file], { timeoutMs: 120_000 });
}

/** onlinkd's routes in the hypervisor's main table, both families, as `DST dev TAP` (sorted, duplicates kept). */
export async function ourRouteLines(lab: Lab): Promise<string[]> {
  const [v4, v6] = await Promise.all(
    ['-4', '-6'].map((f) => lab.run('hv', ['ip', f, 'route', 'show', 'table', 'main', 'proto', '183'], { timeoutMs: 10_000 })),
  );
  return `${v4}${v6}`
    .split('\n')
    .map((l) => /^(\S+) dev (\S+)/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} dev ${m[2]}`)
    .sort();
}

/**
 * Polls the kernel until onlinkd's route count is `n` (bounded); returns the
 * ms from `since` (a Date.now()) to the poll that saw it. Polls back to back:
 * the figure is late by at most one `ip route` listing.
 */
export async function waitRouteCount(lab: Lab, n: number, since: number, timeoutMs: number): Promise<number> {
  const end = since + timeoutMs;
  let last = -1;
  for (;;) {
    last = (await ourRouteLines(lab)).length;
    if (last === n) return Date.now() - since;
    if (Date.now() > end) throw new Error(`onlinkd's routes: ${last}, not ${n}, ${timeoutMs} ms after the bindings were given`);
    await sleep(5);
  }
}

/**
 * Sends one control command per argument set, as several hooks at once
 * would (4 connections, 16 requests in flight on each: bench/control.ts's
 * client); throws unless every one succeeded.
 */
export async function controlEach(socketPath: string, command: string, argSets: readonly Record<string, unknown>[]): Promise<void> {
  const r = await benchBindingAdd({ socketPath, count: argSets.length, connections: 4, pipeline: 16, request: (k) => ({ command, arguments: argSets[k]! }), timeoutMs: 10_000 });
  if (r.status !== 'ok') throw new Error(`${command}: ${r.message}`);
  if (r.ok !== argSets.length) throw new Error(`${command}: ${r.ok} of ${argSets.length} succeeded; first error ${r.firstError}`);
}

// ---------------------------------------------------------------------------
// Two routed VMs (routing.test.ts, routing-rule.test.ts)

/** VM `n`'s binding: IP 203.0.113.n, SUBNET6 2001:db8:n::/64, EUI64 of MAC aa:00:00:00:00:n. */
export function routedPairBinding(n: number): string {
  return bindingText({ mac: `aa:00:00:00:00:${n}`, ip: `203.0.113.${n}`, extra: `SUBNET6=2001:db8:${n}::/64\nEUI64=2001:db8:${n}::a800:ff:fe00:${n}` });
}

/**
 * A lab with an uplink namespace (the router, set up by the test) and VMs
 * on tap40 and tap41; tap40's VM has 203.0.113.40/24 and a default route
 * via 203.0.113.1; the hypervisor forwards IPv4. `before` runs first (what
 * an earlier run left behind).
 */
export async function routedPairLab(before: (lab: Lab) => Promise<void> = async () => undefined): Promise<Lab> {
  const lab = await Lab.create({ vms: [{ tap: 'tap40', mac: 'aa:00:00:00:00:40' }, { tap: 'tap41', mac: 'aa:00:00:00:00:41' }], uplink: true });
  await before(lab);
  await lab.sysctl('hv', { 'net.ipv4.ip_forward': 1 });
  await lab.run('tap40', ['ip', 'addr', 'add', '203.0.113.40/24', 'dev', 'eth0']);
  await lab.run('tap40', ['ip', 'route', 'add', 'default', 'via', '203.0.113.1']);
  return lab;
}

/** onlinkd with tap40's and tap41's bindings as files, started with `config`. */
export async function startRoutedPair(lab: Lab, config: string): Promise<Onlinkd> {
  const d = new Onlinkd(lab);
  for (const n of [40, 41]) d.writeBinding(`tap${n}`, routedPairBinding(n));
  await d.start(config);
  return d;
}

export interface RestartWatched {
  /** The monitor's lines matching `about` printed across the restart: what it changed. */
  changed: string[];
  /** `ours()` right after the restart. */
  kept: string[];
}

/**
 * Restarts `d` with `config` under `ip monitor OBJECT` in the hypervisor
 * namespace; then, the monitor's positive control, deletes `unbind`'s
 * binding file and waits (3 s) until `ours()` names that tap no more and
 * (2 s) until the monitor printed a line matching `deleted`. The monitor is
 * killed in every case.
 */
export async function restartWatched(lab: Lab, d: Onlinkd, config: string, o: {
  object: 'route' | 'rule';
  about: RegExp;
  ours: () => Promise<string[]>;
  unbind: string;
  deleted: RegExp;
}): Promise<RestartWatched> {
  const monitor = lab.spawn('hv', ['ip', 'monitor', o.object]);
  try {
    await sleep(300);
    await d.stop();
    await d.start(config);
    await sleep(500);
    const watched = { changed: monitor.stdoutLines.filter((l) => o.about.test(l)), kept: await o.ours() };
    unlinkSync(join(d.datapath, o.unbind));
    await waitFor(`${o.unbind} ${o.object}s removed`, async () => ((await o.ours()).some((l) => l.includes(o.unbind)) ? undefined : true), 3_000);
    await waitFor('the monitor saw the deletion', async () => (monitor.stdoutLines.some((l) => o.deleted.test(l)) ? true : undefined), 2_000);
    return watched;
  } finally {
    await monitor.kill();
  }
}
