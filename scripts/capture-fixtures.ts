/**
 * Capture what real clients send, for the codec tests' golden frames
 * (test/fixtures/*.pcap; see test/fixtures/README.md).
 *
 * Builds a lab (no onlinkd, nobody answers), runs tcpdump on the
 * hypervisor's tap, runs each client once, and keeps only the first
 * relevant frame(s) of each capture. Run through scripts/capture-fixtures.sh
 * (which compiles this file), as root:
 *
 *   scripts/capture-fixtures.sh [--out DIR] [--only name,name]
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Lab, type LabVm } from '../test/e2e/lab.js';
import { dhcpcd6Argv, dhcpcd6Conf, dhcpcdArgv, dhcpcdConf, udhcpcArgv } from '../test/e2e/clients.js';
import { readPcap, writePcap, type PcapFrame } from '../test/helpers/pcap.js';
import { peekDhcp4, peekDhcp6Type, peekEthernet, peekIcmpv6, peekUdp } from '../test/helpers/frame-peek.js';

const VM_MAC = 'aa:00:00:00:00:10';
const HOSTNAME = 'vm10';

/** /etc/dhcp/dhclient.conf as shipped by Debian 12's isc-dhcp-client 4.4.3-P1-2 (comments left out). */
const DEBIAN_DHCLIENT_CONF = `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
send host-name = gethostname();
request subnet-mask, broadcast-address, time-offset, routers,
	domain-name, domain-name-servers, domain-search, host-name,
	dhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn, dhcp6.sntp-servers,
	netbios-name-servers, netbios-scope, interface-mtu,
	rfc3442-classless-static-routes, ntp-servers;
`;

interface Spec {
  name: string;
  what: string;
  /** pcap filter for tcpdump on the hv tap. */
  filter: string;
  /** Start the client; resolve when enough has been sent. */
  run(ctx: Ctx): Promise<void>;
  /** Is this frame one we keep? */
  keep(frame: Uint8Array): boolean;
  /** How many kept frames to write. Default 1. */
  count?: number;
  /**
   * Frames the VM kernel sends through a UDP socket leave a veth with the
   * checksum unfinished (CHECKSUM_PARTIAL: only the pseudo-header sum is
   * there; the hardware would complete it). Complete it in the fixture, and
   * keep the as-captured frame under this name too.
   */
  partialChecksumCopy?: string;
}

interface Ctx {
  lab: Lab;
  vm: LabVm;
  dir: string;
}

const fromVm = (f: Uint8Array): boolean => peekEthernet(f)?.src === VM_MAC;

/**
 * The uplink proxy's fixtures (protocols/uplink-proxy.ts): the VM namespace
 * plays the upstream Linux router, on-link for the VMs' subnets, resolving
 * a routed VM's address on its segment. ROUTED_MAC stands for the
 * hypervisor uplink's MAC: the router's neighbour entry for the VM points
 * there (the unicast probes go to it).
 */
const ROUTER4 = '203.0.113.1';
const ROUTER6 = '2001:db8:40::1';
const ROUTED_VM4 = '203.0.113.40';
const ROUTED_VM6 = '2001:db8:40:0:a800:ff:fe00:40';
const ROUTED_MAC = 'fe:00:00:00:00:40';

/** ARP op and target protocol address of an untagged Ethernet/ARP frame. */
function peekArp(f: Uint8Array): { op: number; tpa: string } | undefined {
  const e = peekEthernet(f);
  if (!e || e.ethertype !== 0x0806 || e.payload.length < 28) return undefined;
  const p = e.payload;
  return { op: (p[6]! << 8) | p[7]!, tpa: `${p[24]}.${p[25]}.${p[26]}.${p[27]}` };
}

/**
 * Run `fn` with the VM namespace's eth0 as the router: its addresses on
 * (no DAD, so that no probe mixes in) and, for `stale`, a STALE neighbour
 * entry for the VM at ROUTED_MAC with a 1 s first-probe delay, so that
 * the next packet makes the kernel probe it by unicast (RFC 4861 §7.3.3
 * DELAY → PROBE; ARP does the same). Everything is removed afterwards.
 */
async function asRouter(ctx: Ctx, stale: boolean, fn: () => Promise<void>): Promise<void> {
  const { lab, vm } = ctx;
  await lab.run(vm, ['ip', 'addr', 'add', `${ROUTER4}/24`, 'dev', 'eth0']);
  await lab.run(vm, ['ip', '-6', 'addr', 'add', `${ROUTER6}/64`, 'dev', 'eth0', 'nodad']);
  try {
    if (stale) {
      await lab.sysctl(vm, { 'net/ipv4/neigh/eth0/delay_first_probe_time': 1, 'net/ipv6/neigh/eth0/delay_first_probe_time': 1 });
      await lab.run(vm, ['ip', 'neigh', 'replace', ROUTED_VM4, 'lladdr', ROUTED_MAC, 'dev', 'eth0', 'nud', 'stale']);
      await lab.run(vm, ['ip', '-6', 'neigh', 'replace', ROUTED_VM6, 'lladdr', ROUTED_MAC, 'dev', 'eth0', 'nud', 'stale']);
    }
    await fn();
  } finally {
    await lab.run(vm, ['ip', 'addr', 'flush', 'dev', 'eth0', 'scope', 'global']);
    await lab.run(vm, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    await lab.run(vm, ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
  }
}

/**
 * The router pings a routed VM once (nobody answers: the kernel resolves
 * it, then gives up) and the first ARP request / NS for it is kept: to the
 * group (broadcast, solicited-node) or, for a `probe` of a STALE entry,
 * unicast to ROUTED_MAC (ARP) or to the address itself (NS).
 */
function routerResolves(name: string, family: 4 | 6, probe: boolean, what: string): Spec {
  const to = family === 4 ? ROUTED_VM4 : ROUTED_VM6;
  const waitSec = probe ? 3 : 1; // a probe waits out delay_first_probe_time
  return {
    name,
    what,
    filter: family === 4 ? 'arp' : 'icmp6',
    run: (ctx) => asRouter(ctx, probe, async () => {
      await runFor(ctx, ['busybox', 'ping', '-c', '1', '-W', String(waitSec), to], (waitSec + 1) * 1_000);
    }),
    keep: family === 4
      ? (f) => fromVm(f) && peekArp(f)?.op === 1 && peekArp(f)?.tpa === to && peekEthernet(f)?.dst === (probe ? ROUTED_MAC : 'ff:ff:ff:ff:ff:ff')
      : (f) => fromVm(f) && peekIcmpv6(f)?.type === 135 && peekIcmpv6(f)?.target === to && peekIcmpv6(f)?.dst === (probe ? to : 'ff02::1:ff00:40'),
  };
}

function args(): { out: string; only: Set<string> | undefined } {
  const a = process.argv.slice(2);
  let out = resolve('test/fixtures');
  let only: Set<string> | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--out') out = resolve(a[++i] ?? out);
    else if (a[i] === '--only') only = new Set((a[++i] ?? '').split(',').filter(Boolean));
    else throw new Error(`unknown argument ${a[i]}`);
  }
  return { out, only };
}

/** Debian-default dhclient in a private UTS namespace named vm10 (its `send host-name = gethostname()`). */
async function stockDhclient(ctx: Ctx, extra: string[], leaseFile: string, runForMs: number): Promise<void> {
  const conf = join(ctx.dir, 'dhclient.conf');
  writeFileSync(conf, DEBIAN_DHCLIENT_CONF);
  const p = ctx.lab.spawn(ctx.vm, ['unshare', '--uts', 'sh', '-c', 'hostname "$1"; shift; exec "$@"', 'sh', HOSTNAME,
    'dhclient', '-d', '-1', ...extra, '-cf', conf, '-lf', leaseFile, '-pf', join(ctx.dir, `dhclient-${Date.now()}.pid`),
    '-sf', '/bin/true', 'eth0'], { cwd: ctx.dir });
  await p.waitExit(runForMs);
  await p.kill(1_000);
}

async function runFor(ctx: Ctx, argv: string[], ms: number): Promise<string> {
  const p = ctx.lab.spawn(ctx.vm, argv, { cwd: ctx.dir });
  await p.waitExit(ms);
  await p.kill(1_000);
  return p.stdout + p.stderr;
}

function describeFrame(f: Uint8Array): string {
  const d = peekDhcp4(f);
  if (d) {
    const names: Record<number, string> = { 1: 'DHCPDISCOVER', 3: 'DHCPREQUEST', 8: 'DHCPINFORM' };
    const opts = [...d.options.entries()].map(([c, v]) => (c === 55 ? `55[${[...v].join(',')}]` : String(c))).join(' ');
    return `${names[d.messageType ?? 0] ?? `DHCP type ${d.messageType}`} chaddr=${d.chaddr} flags=0x${d.flags.toString(16)} options: ${opts}`;
  }
  const arp = peekArp(f);
  if (arp) return `ARP op ${arp.op} for ${arp.tpa} to ${peekEthernet(f)?.dst}`;
  const icmp = peekIcmpv6(f);
  if (icmp) {
    const names: Record<number, string> = { 133: 'RS', 135: 'NS' };
    return `ICMPv6 ${names[icmp.type] ?? icmp.type} ${icmp.src} -> ${icmp.dst} (${peekEthernet(f)?.dst})${icmp.target ? ` target ${icmp.target}` : ''} hlim=${icmp.hopLimit}`;
  }
  const t6 = peekDhcp6Type(f);
  if (t6 !== undefined) {
    const u = peekUdp(f)!;
    return `DHCPv6 type ${t6}${t6 === 11 ? ' (Information-Request)' : ''} ${u.src} -> ${u.dst}`;
  }
  return `ethertype 0x${peekEthernet(f)?.ethertype.toString(16)}`;
}

const SPECS: Spec[] = [
  {
    name: 'dhclient-discover',
    what: 'isc-dhcp-client 4.4.3-P1 DHCPDISCOVER, Debian default dhclient.conf (requests 121), hostname vm10',
    filter: 'udp dst port 67',
    run: (ctx) => stockDhclient(ctx, [], join(ctx.dir, 'empty.leases'), 2_500),
    keep: (f) => fromVm(f) && peekDhcp4(f)?.messageType === 1,
  },
  {
    name: 'dhclient-init-reboot-request',
    what: 'isc-dhcp-client 4.4.3-P1 INIT-REBOOT DHCPREQUEST (option 50 = 203.0.113.17, no 54) from a lease file with an unexpired lease',
    filter: 'udp dst port 67',
    run: async (ctx) => {
      const lf = join(ctx.dir, 'previous.leases');
      writeFileSync(lf, [
        'lease {', '  interface "eth0";', '  fixed-address 203.0.113.17;', '  option subnet-mask 255.255.255.0;',
        '  option routers 203.0.113.1;', '  option dhcp-lease-time 86400;', '  option dhcp-message-type 5;',
        '  option dhcp-server-identifier 203.0.113.1;', '  renew 4 2037/01/01 00:00:00;',
        '  rebind 4 2037/01/01 00:00:00;', '  expire 4 2037/01/01 00:00:00;', '}', '',
      ].join('\n'));
      await stockDhclient(ctx, [], lf, 2_500);
    },
    keep: (f) => {
      const d = peekDhcp4(f);
      return fromVm(f) && d?.messageType === 3 && d.options.has(50) && !d.options.has(54);
    },
  },
  {
    name: 'udhcpc-discover',
    what: 'busybox 1.35.0 udhcpc DHCPDISCOVER with -O staticroutes (default client id 01+MAC, vendor "udhcp 1.35.0")',
    filter: 'udp dst port 67',
    run: async (ctx) => {
      await runFor(ctx, udhcpcArgv('/bin/true', { timeoutSec: 2 }), 3_500);
    },
    keep: (f) => fromVm(f) && peekDhcp4(f)?.messageType === 1,
  },
  {
    name: 'dhcpcd-discover',
    what: 'dhcpcd 9.4.1 (dhcpcd-base) DHCPDISCOVER, Debian default dhcpcd.conf (duid client id, vendorclassid, rapid_commit, 121)',
    filter: 'udp dst port 67',
    run: async (ctx) => {
      const dir = join(ctx.dir, 'dhcpcd');
      for (const sub of ['run', 'db']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
      const conf = join(dir, 'dhcpcd.conf');
      writeFileSync(conf, dhcpcdConf());
      await runFor(ctx, dhcpcdArgv(dir, conf, '/bin/true', 3, HOSTNAME), 3_000);
    },
    keep: (f) => fromVm(f) && peekDhcp4(f)?.messageType === 1,
  },
  {
    name: 'windows10-discover',
    what: 'Windows-10-like DHCPDISCOVER crafted with scapy 2.5.0 (vendor class "MSFT 5.0", PRL 1,3,6,15,31,33,43,44,46,47,119,121,249,252, 61 = 01+MAC, hostname)',
    filter: 'udp dst port 67',
    run: async (ctx) => {
      const script = resolve('scripts/capture-fixtures-windows10.py');
      const out = await runFor(ctx, ['/usr/bin/python3', script, '--iface', 'eth0', '--mac', VM_MAC, '--hostname', 'DESKTOP-OLK10'], 30_000);
      if (!/sent DISCOVER/.test(out)) throw new Error(`windows10 craft failed: ${out}`);
    },
    keep: (f) => fromVm(f) && peekDhcp4(f)?.messageType === 1,
  },
  {
    name: 'rdisc6-rs',
    what: 'ndisc6 1.0.5 rdisc6 Router Solicitation (from the VM link-local, with source link-layer option)',
    filter: 'icmp6',
    run: async (ctx) => {
      await runFor(ctx, ['rdisc6', '-1', '-r', '1', '-w', '500', 'eth0'], 2_500);
    },
    keep: (f) => fromVm(f) && peekIcmpv6(f)?.type === 133,
  },
  {
    name: 'ndisc6-ns-router-ll',
    what: 'ndisc6 1.0.5 Neighbor Solicitation for the router link-local fe80::1',
    filter: 'icmp6',
    run: async (ctx) => {
      await runFor(ctx, ['ndisc6', '-1', '-r', '1', '-w', '500', 'fe80::1', 'eth0'], 2_500);
    },
    keep: (f) => fromVm(f) && peekIcmpv6(f)?.type === 135 && peekIcmpv6(f)?.target === 'fe80::1',
  },
  {
    name: 'ndisc6-ns-global',
    what: 'ndisc6 1.0.5 Neighbor Solicitation for the global 2001:db8:10::1 (VM without a global address)',
    filter: 'icmp6',
    run: async (ctx) => {
      await runFor(ctx, ['ndisc6', '-1', '-r', '1', '-w', '500', '2001:db8:10::1', 'eth0'], 2_500);
    },
    keep: (f) => fromVm(f) && peekIcmpv6(f)?.type === 135 && peekIcmpv6(f)?.target === '2001:db8:10::1',
  },
  {
    name: 'dhclient6-information-request',
    what: 'isc-dhcp-client 4.4.3-P1 `dhclient -6 -S` Information-Request, Debian default dhclient.conf',
    filter: 'udp port 547',
    run: (ctx) => stockDhclient(ctx, ['-6', '-S'], join(ctx.dir, 'empty6.leases'), 2_000),
    keep: (f) => fromVm(f) && peekDhcp6Type(f) === 11,
    partialChecksumCopy: 'dhclient6-information-request-csum-partial',
  },
  {
    name: 'dhclient6-solicit-na',
    what: 'isc-dhcp-client 4.4.3-P1 `dhclient -6 -N` Solicit (IA_NA), Debian default dhclient.conf',
    filter: 'udp port 547',
    run: (ctx) => stockDhclient(ctx, ['-6', '-N'], join(ctx.dir, 'empty6n.leases'), 2_000),
    keep: (f) => fromVm(f) && peekDhcp6Type(f) === 1,
    partialChecksumCopy: 'dhclient6-solicit-na-csum-partial',
  },
  {
    name: 'dhcpcd6-solicit-na-pd',
    what: 'dhcpcd 9.4.1 (dhcpcd-base) DHCPv6 Solicit with IA_NA and IA_PD (`ia_na 1`, `ia_pd 2`, rapid_commit; no RS)',
    filter: 'udp port 547',
    run: async (ctx) => {
      const dir = join(ctx.dir, 'dhcpcd6');
      for (const sub of ['run', 'db']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
      const conf = join(dir, 'dhcpcd.conf');
      writeFileSync(conf, dhcpcd6Conf());
      await runFor(ctx, dhcpcd6Argv(dir, conf, '/bin/true', 3, HOSTNAME), 3_000);
    },
    keep: (f) => fromVm(f) && peekDhcp6Type(f) === 1,
    partialChecksumCopy: 'dhcpcd6-solicit-na-pd-csum-partial',
  },
  routerResolves('linux-router-arp-request', 4, false,
    'the router kernel (Linux) resolving a routed VM: broadcast ARP request for 203.0.113.40 from 203.0.113.1 (busybox ping)'),
  routerResolves('linux-router-arp-probe', 4, true,
    'the router kernel re-checking a STALE entry: unicast ARP request for 203.0.113.40 to the uplink MAC (busybox ping)'),
  routerResolves('linux-router-ns', 6, false,
    'the router kernel resolving a routed VM: NS for 2001:db8:40:0:a800:ff:fe00:40 to its solicited-node group from 2001:db8:40::1 (busybox ping)'),
  routerResolves('linux-router-ns-unicast', 6, true,
    'the router kernel re-checking a STALE entry (NUD probe): NS for the VM address to itself, at the uplink MAC (busybox ping)'),
  {
    name: 'arping-request',
    what: 'busybox 1.35.0 arping: broadcast ARP request for 203.0.113.40 from 203.0.113.1',
    filter: 'arp',
    run: (ctx) => asRouter(ctx, false, async () => {
      await runFor(ctx, ['busybox', 'arping', '-c', '1', '-w', '1', '-I', 'eth0', '-s', ROUTER4, ROUTED_VM4], 2_500);
    }),
    keep: (f) => fromVm(f) && peekArp(f)?.op === 1 && peekArp(f)?.tpa === ROUTED_VM4,
  },
];

/** Copy of an Ethernet/IPv6/UDP frame (no extension headers) with its UDP checksum computed. */
function completeUdp6Checksum(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  if (f.length < 14 + 40 + 8 || f[12] !== 0x86 || f[13] !== 0xdd || f[14 + 6] !== 17) {
    throw new Error('completeUdp6Checksum: not Ethernet/IPv6/UDP without extension headers');
  }
  const udpOff = 14 + 40;
  const udpLen = (f[udpOff + 4]! << 8) | f[udpOff + 5]!;
  if (udpOff + udpLen > f.length) throw new Error('completeUdp6Checksum: truncated UDP');
  f[udpOff + 6] = 0;
  f[udpOff + 7] = 0;
  let sum = 0;
  const add16 = (b: Uint8Array, off: number, len: number): void => {
    for (let i = 0; i < len; i += 2) sum += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
  };
  add16(f, 14 + 8, 32); // source and destination addresses
  sum += udpLen + 17; // upper-layer length and next header
  add16(f, udpOff, udpLen);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const csum = (~sum & 0xffff) || 0xffff;
  f[udpOff + 6] = csum >> 8;
  f[udpOff + 7] = csum & 0xff;
  return f;
}

async function main(): Promise<void> {
  const { out, only } = args();
  mkdirSync(out, { recursive: true });
  const lab = await Lab.create({ vms: [{ tap: 'tap10', mac: VM_MAC }] });
  try {
    const vm = lab.vm('tap10');
    // The VM kernel's own RS would mix with rdisc6's: stop it (DAD and MLD still happen, and are filtered out).
    await lab.sysctl(vm, { 'net/ipv6/conf/eth0/router_solicitations': 0 });
    await lab.waitLinkLocal(vm, 5_000);
    for (const spec of SPECS) {
      if (only && !only.has(spec.name)) continue;
      const dir = join(lab.dir, spec.name);
      mkdirSync(dir, { mode: 0o755 });
      const raw = join(dir, 'raw.pcap');
      const cap = await lab.tcpdump('hv', vm.tap, spec.filter, raw);
      try {
        await spec.run({ lab, vm, dir });
      } finally {
        await cap.stop();
      }
      const all = readPcap(new Uint8Array(readFileSync(raw))).frames;
      const kept: PcapFrame[] = all.filter((f) => spec.keep(f.data)).slice(0, spec.count ?? 1);
      if (kept.length === 0) throw new Error(`${spec.name}: no matching frame among ${all.length} captured`);
      const write = (name: string, frames: PcapFrame[], note: string): void => {
        const bytes = writePcap(frames);
        writeFileSync(join(out, `${name}.pcap`), bytes);
        process.stdout.write(`${name}.pcap ${bytes.length} B, ${frames.length} frame(s) of ${all.length}${note}: ` +
          `${frames.map((f) => `${f.data.length} B ${describeFrame(f.data)}`).join(' | ')}\n`);
      };
      if (spec.partialChecksumCopy) {
        write(spec.partialChecksumCopy, kept, ' (as captured, UDP checksum unfinished)');
        write(spec.name, kept.map((f) => ({ ...f, data: completeUdp6Checksum(f.data) })), ' (UDP checksum completed)');
      } else {
        write(spec.name, kept, '');
      }
    }
  } finally {
    await lab.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`capture-fixtures: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
