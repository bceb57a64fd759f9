/**
 * The real thing, in a network namespace this test creates: the PacketSocket
 * and LinkMonitor run in a child process inside it (vitest cannot change its
 * own namespace), frames are sent on one end of a veth pair and must arrive,
 * filtered by the kernel, on the other end.
 *
 * Network safety: nothing outside the namespace is touched; the namespace
 * has no route out; frames use documentation addresses; IPv6 is disabled in
 * the namespace so the kernel's own RS/MLD/DAD do not add noise.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnlinkFilter, runFilter } from '../../../src/io/bpf.js';
import {
  ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMPV6, IPPROTO_UDP, arpRequest, dhcp4Frame, eth, ext6, frag6, icmp6, ipv6, udp, vlanTagged,
} from './frames.js';

const isRoot = process.getuid?.() === 0;
const hasIp = (() => {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skipReason = !isRoot ? 'needs root (uid 0) to create network namespaces' : !hasIp ? 'needs iproute2 (ip)' : '';
if (skipReason) console.log(`skipping namespace test: ${skipReason}`);

const LOADER = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./ns-child.mjs', import.meta.url));
const NS = `olk-io-${process.pid}-${randomBytes(3).toString('hex')}`;
const WAIT_MS = 5000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = { ev: string; [k: string]: any };

function ipns(...args: string[]): void {
  execFileSync('ip', ['-n', NS, ...args], { timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The child process and its JSON-lines event stream. */
class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly events: Event[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  private listeners = new Set<() => void>();
  private nextId = 1;

  constructor(env: Record<string, string> = {}) {
    this.proc = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', LOADER, CHILD], {
      env: { ...process.env, ...env },
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as Event);
      } catch {
        this.stderr += `non-JSON stdout: ${line}\n`;
      }
      for (const l of this.listeners) l();
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.on('exit', (code) => {
      this.exitCode = code;
      for (const l of this.listeners) l();
    });
  }

  command(c: Record<string, unknown>): number {
    const id = this.nextId++;
    this.proc.stdin.write(`${JSON.stringify({ ...c, id })}\n`);
    return id;
  }

  /** First event (from index `from`) matching pred; rejects after ms. */
  waitFor(pred: (e: Event) => boolean, what: string, from = 0, ms = WAIT_MS): Promise<Event> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.slice(from).find(pred);
        if (e) resolve(e);
        else if (this.exitCode !== undefined) reject(new Error(`child exited (${this.exitCode}) before ${what}; stderr: ${this.stderr}`));
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; stderr: ${this.stderr}`));
      }, ms);
      const listener = (): void => {
        if (check()) {
          clearTimeout(timer);
          this.listeners.delete(listener);
        }
      };
      this.listeners.add(listener);
    });
  }

  async send(ifindex: number, frame: Buffer): Promise<{ ok: boolean; error?: string; bytes?: number }> {
    const id = this.command({ cmd: 'send', ifindex, hex: frame.toString('hex') });
    return (await this.waitFor((e) => e.ev === 'sent' && e.id === id, `send ${id}`)).result;
  }

  exited(ms: number): Promise<number | null> {
    if (this.exitCode !== undefined) return Promise.resolve(this.exitCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child did not exit within ${ms} ms`)), ms);
      this.proc.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  }
}

/** Frames carry a marker in their last 4 bytes ('OLK' + id) so noise cannot confuse the test. */
const mark = (frame: Buffer, id: number): Buffer => Buffer.concat([frame, Buffer.from([0x4f, 0x4c, 0x4b, id])]);
const markerOf = (hex: string): number | undefined => (hex.length >= 8 && hex.slice(-8, -2) === '4f4c4b' ? parseInt(hex.slice(-2), 16) : undefined);

describe.skipIf(skipReason !== '')('PacketSocket and LinkMonitor in a network namespace', () => {
  let child: Child;
  let tap0 = 0;
  let vm0 = 0;

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', NS], { timeout: 10_000 });
    execFileSync('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { timeout: 10_000 });
    ipns('link', 'set', 'lo', 'up');
    ipns('link', 'add', 'tap0', 'type', 'veth', 'peer', 'name', 'vm0');
    ipns('link', 'set', 'tap0', 'up');
    ipns('link', 'set', 'vm0', 'up');
    child = new Child();
    const ready = await child.waitFor((e) => e.ev === 'ready', 'child ready', 0, 20_000);
    const byName = new Map<string, number>(ready.links.map((l: { name: string; ifindex: number }) => [l.name, l.ifindex]));
    tap0 = byName.get('tap0') ?? 0;
    vm0 = byName.get('vm0') ?? 0;
    expect(tap0).toBeGreaterThan(0);
    expect(vm0).toBeGreaterThan(0);
  });

  afterAll(() => {
    if (child && child.exitCode === undefined && child.proc.pid) {
      try {
        process.kill(child.proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    try {
      execFileSync('ip', ['netns', 'del', NS], { timeout: 10_000, stdio: 'ignore' });
    } catch {
      /* never created */
    }
  });

  it('the initial dump lists the namespace links with kind and MAC', async () => {
    const ready = await child.waitFor((e) => e.ev === 'ready', 'ready');
    const tap = ready.links.find((l: { name: string }) => l.name === 'tap0');
    expect(tap).toMatchObject({ kind: 'veth', up: true });
    expect(tap.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  });

  it('delivers exactly the frames the filter passes, with the receiving ifindex', async () => {
    const dhcp6 = udp(546, 547, [1, 0, 0, 1]);
    const cases: Array<[string, Buffer, boolean]> = [
      ['DHCPv4 to 67', dhcp4Frame(67), true],
      ['DHCPv4 to 68', dhcp4Frame(68), false],
      ['DHCPv4 with IP options', dhcp4Frame(67, [1, 2, 3, 4], { ihl: 7 }), true],
      ['IPv4 non-first fragment', dhcp4Frame(67, [1, 2, 3, 4], { fragmentOffset: 3 }), false],
      ['ARP request', eth(0x0806, arpRequest()), true],
      ['DHCPv6 to 547', eth(ETH_P_IPV6, ipv6(IPPROTO_UDP, dhcp6)), true],
      ['DHCPv6 after hop-by-hop', eth(ETH_P_IPV6, ipv6(0, ext6(IPPROTO_UDP, dhcp6))), true],
      ['RS', eth(ETH_P_IPV6, ipv6(IPPROTO_ICMPV6, icmp6(133))), true],
      ['RA', eth(ETH_P_IPV6, ipv6(IPPROTO_ICMPV6, icmp6(134))), false],
      ['NS', eth(ETH_P_IPV6, ipv6(IPPROTO_ICMPV6, icmp6(135, new Array(20).fill(0)))), true],
      ['NA', eth(ETH_P_IPV6, ipv6(IPPROTO_ICMPV6, icmp6(136, new Array(20).fill(0)))), false],
      ['NS in a fragment', eth(ETH_P_IPV6, ipv6(44, frag6(IPPROTO_ICMPV6, icmp6(135)))), false],
      ['LLDP', eth(0x88cc, new Array(40).fill(0)), false],
      ['IPv4 TCP', eth(ETH_P_IP, [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 203, 0, 113, 10, 203, 0, 113, 1, 0, 68, 0, 67]), false],
    ];
    const from = child.events.length;
    for (const [i, [name, frame]] of cases.entries()) {
      expect(await child.send(vm0, mark(frame, i)), name).toMatchObject({ ok: true });
    }
    const SENTINEL = 200;
    await child.send(vm0, mark(eth(0x0806, arpRequest()), SENTINEL));
    await child.waitFor((e) => e.ev === 'frame' && markerOf(e.hex) === SENTINEL, 'sentinel frame', from);

    const frames = child.events.slice(from).filter((e) => e.ev === 'frame');
    const got = new Set(frames.map((f) => markerOf(f.hex)).filter((m) => m !== undefined && m !== SENTINEL));
    const want = new Set(cases.flatMap(([, , accepted], i) => (accepted ? [i] : [])));
    expect([...got].sort((a, b) => a! - b!).map((i) => cases[i!]![0])).toEqual([...want].sort((a, b) => a - b).map((i) => cases[i]![0]));
    const program = buildOnlinkFilter();
    for (const f of frames) {
      // Arrived on the receiving end only (our own sends on vm0 are ignored) ...
      expect(f.ifindex).toBe(tap0);
      // ... and everything that arrived, noise included, passes the filter as the interpreter runs it.
      expect(runFilter(program, Buffer.from(f.hex, 'hex'))).toBeGreaterThan(0);
    }
    const marked = frames.filter((f) => markerOf(f.hex) !== undefined);
    expect(marked.every((f) => f.pkttype === 1 /* PACKET_BROADCAST */ && f.vlanTci === undefined)).toBe(true);
  });

  it('reports an 802.1Q tag from auxdata, with the tag stripped from the frame', async () => {
    const from = child.events.length;
    const tagged = vlanTagged(mark(dhcp4Frame(67), 77), 0x2064); // PCP 1, VID 100
    expect(await child.send(vm0, tagged)).toMatchObject({ ok: true });
    const f = await child.waitFor((e) => e.ev === 'frame' && markerOf(e.hex) === 77, 'tagged frame', from);
    expect(f.vlanTci).toBe(0x2064);
    const data = Buffer.from(f.hex, 'hex');
    expect(data.readUInt16BE(12)).toBe(ETH_P_IP);
    expect(data.length).toBe(tagged.length - 4);
  });

  it('send returns ENETDOWN for a down link and ENXIO for a missing one, never throws', async () => {
    const from = child.events.length;
    ipns('link', 'add', 'tap2', 'type', 'veth', 'peer', 'name', 'vm2');
    const vm2 = (await child.waitFor((e) => e.ev === 'link' && e.link.name === 'vm2', 'vm2 link', from)).link.ifindex;
    expect(await child.send(vm2, dhcp4Frame(67))).toEqual({ ok: false, error: 'ENETDOWN' });
    expect(await child.send(987654, dhcp4Frame(67))).toEqual({ ok: false, error: 'ENXIO' });
    expect(await child.send(vm0, Buffer.alloc(6))).toEqual({ ok: false, error: 'EINVAL' });
    ipns('link', 'del', 'tap2');
  });

  it('LinkMonitor sees a veth added, set up, getting carrier, and deleted', async () => {
    const from = child.events.length;
    ipns('link', 'add', 'tap1', 'type', 'veth', 'peer', 'name', 'vm1');
    const added = await child.waitFor((e) => e.ev === 'link' && e.link.name === 'tap1', 'tap1 added', from);
    expect(added).toMatchObject({ added: true, link: { up: false, running: false, kind: 'veth' } });
    ipns('link', 'set', 'tap1', 'up');
    await child.waitFor((e) => e.ev === 'link' && e.link.name === 'tap1' && e.link.up && !e.link.running, 'tap1 up without carrier', from);
    ipns('link', 'set', 'vm1', 'up');
    await child.waitFor((e) => e.ev === 'link' && e.link.name === 'tap1' && e.link.running && e.link.lowerUp, 'tap1 running', from);
    ipns('link', 'del', 'tap1');
    const gone = await child.waitFor((e) => e.ev === 'unlink' && e.link.name === 'tap1', 'tap1 deleted', from);
    expect(gone.link.ifindex).toBe(added.link.ifindex);
    await child.waitFor((e) => e.ev === 'unlink' && e.link.name === 'vm1', 'vm1 deleted with its peer', from);

    // The unbound packet socket is unaffected by links coming and going.
    const before = child.events.length;
    await child.send(vm0, mark(dhcp4Frame(67), 99));
    await child.waitFor((e) => e.ev === 'frame' && markerOf(e.hex) === 99 && e.ifindex === tap0, 'frame after delete', before);
  });

  it('a netlink overrun (ENOBUFS) re-dumps, and the socket keeps receiving (libuv POLLERR trap)', async () => {
    // A second child with the smallest netlink receive buffer the kernel allows.
    const small = new Child({ OLK_NETLINK_RCVBUF: '1' });
    try {
      await small.waitFor((e) => e.ev === 'ready', 'small-buffer child ready', 0, 20_000);
      const id = small.command({ cmd: 'block', ms: 2500 });
      await small.waitFor((e) => e.ev === 'blocking' && e.id === id, 'child blocking');
      const pairs = Array.from({ length: 20 }, (_, i) => `link add f${i} type veth peer name g${i}`);
      execFileSync('ip', ['-n', NS, '-batch', '-'], { input: `${pairs.join('\n')}\n`, timeout: 10_000 });
      await small.waitFor((e) => e.ev === 'unblocked' && e.id === id, 'unblocked');
      await small.waitFor((e) => e.ev === 'resync' && e.why === 'ENOBUFS', 'ENOBUFS resync');
      // The re-dump brings every link back into the table.
      await small.waitFor((e) => e.ev === 'link' && e.link.name === 'g19', 'g19 after resync');
      const lid = small.command({ cmd: 'links' });
      const { links } = await small.waitFor((e) => e.ev === 'links' && e.id === lid, 'links');
      const names = new Set(links.map((l: { name: string }) => l.name));
      for (let i = 0; i < 20; i++) expect(names.has(`f${i}`) && names.has(`g${i}`), `f${i}/g${i}`).toBe(true);
      // Not deaf after the error: a later change still arrives.
      const from = small.events.length;
      ipns('link', 'del', 'f0');
      await small.waitFor((e) => e.ev === 'unlink' && e.link.name === 'g0', 'unlink g0 after overrun', from);
    } finally {
      if (small.exitCode === undefined && small.proc.pid) process.kill(small.proc.pid, 'SIGKILL');
    }
  });

  it('kernel statistics count received frames and no drops', async () => {
    const id = child.command({ cmd: 'stats' });
    const s = await child.waitFor((e) => e.ev === 'stats' && e.id === id, 'stats');
    expect(s.stats.packets).toBeGreaterThanOrEqual(9);
    expect(s.stats.drops).toBe(0);
    expect(child.events.some((e) => e.ev === 'sockerror')).toBe(false);
  });

  it('after close() the child exits on its own: no poll handle is left behind', async () => {
    child.command({ cmd: 'exit' });
    await child.waitFor((e) => e.ev === 'bye', 'bye');
    expect(await child.exited(WAIT_MS)).toBe(0);
  });
});
