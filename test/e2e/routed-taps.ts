/**
 * Many routed VMs in a lab's hypervisor namespace, shared by the routes-at-
 * scale e2e test (routing-scale.test.ts) and its bench (test/bench/routes.ts),
 * issue 15's "1,000 bindings with `manage = yes` installed in under 1 s":
 *
 *  - taps as KVM makes them: tuntap devices in tap mode, up, made in one
 *    `ip -batch`. With no reader attached they have no carrier; the kernel
 *    takes routes to them all the same (flagged `linkdown`), and onlinkd
 *    installs a tap's routes once it is administratively up;
 *  - one binding per tap with its own IPv4 and IPv6 address, so every VM
 *    wants two distinct host routes (IP/32, EUI64/128). 1,000 distinct IPv4
 *    addresses do not fit the two documentation /24s: they come from
 *    198.18.0.0/15 (RFC 2544, benchmarking), inside the lab's namespace only;
 *  - the routes of onlinkd's protocol (183) as the kernel lists them.
 */
import { writeFileSync } from 'node:fs';
import { benchBindingAdd } from '../bench/control.js';
import { sleep, type Lab } from './lab.js';

export interface RoutedVm {
  tap: string;
  mac: string;
  ip: string;
  eui64: string;
}

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
const hex4 = (n: number): string => (n & 0xffff).toString(16);

/** VM `i` (0..65533): tap rt<i>, IPv4 198.18.0.2 + i, EUI64 in 2001:db8:183::/64. */
export function routedVm(i: number): RoutedVm {
  const a = 2 + i;
  return {
    tap: `rt${i}`,
    mac: `aa:18:3f:00:${hex2(i >> 8)}:${hex2(i)}`,
    ip: `198.${18 + (a >> 16)}.${(a >> 8) & 0xff}.${a & 0xff}`,
    // Written as ip(8) prints it (RFC 5952: one zero group is not "::"), so wanted and listed lines compare.
    eui64: `2001:db8:183:0:a818:3fff:fe00:${hex4(i)}`,
  };
}

export const ROUTED_SUBNET = { subnet: '198.18.0.0/15', gateway: '198.18.0.1', subnet6: '2001:db8:183::/64' } as const;

/** The binding file of a VM (what a hook writes). */
export function routedBindingFile(v: RoutedVm): string {
  return [`MAC=${v.mac}`, `IP=${v.ip}`, `SUBNET=${ROUTED_SUBNET.subnet}`, `GATEWAY=${ROUTED_SUBNET.gateway}`, `SUBNET6=${ROUTED_SUBNET.subnet6}`, `EUI64=${v.eui64}`].join('\n') + '\n';
}

/** The same as `binding-add` arguments. */
export function routedBindingArgs(v: RoutedVm): Record<string, unknown> {
  return { tap: v.tap, mac: v.mac, ip: v.ip, subnet: ROUTED_SUBNET.subnet, gateway: ROUTED_SUBNET.gateway, subnet6: ROUTED_SUBNET.subnet6, eui64: v.eui64 };
}

/** `ip route` lines (`DST dev TAP`) the VMs want, sorted: what the kernel must show, each once. */
export function wantedRouteLines(vms: readonly RoutedVm[]): string[] {
  return vms.flatMap((v) => [`${v.ip} dev ${v.tap}`, `${v.eui64} dev ${v.tap}`]).sort();
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
