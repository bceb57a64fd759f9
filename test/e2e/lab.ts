/**
 * A throw-away "hypervisor with VMs" built from network namespaces, for
 * end-to-end tests against real DHCP/ND clients (DESIGN.md, "Testing on one
 * machine").
 *
 *   hv namespace                      VM namespace (one per tap)
 *   ┌──────────────────────┐  veth    ┌──────────────────────┐
 *   │ tap10 (no addresses) ├──────────┤ eth0 aa:00:00:00:00:10│
 *   │ tap11                ├───── ... │                       │
 *   │ uplink0 (optional)   ├──┐       └──────────────────────┘
 *   └──────────────────────┘  │ veth  ┌──────────────────────┐
 *                             └───────┤ eth0  (uplink ns)     │
 *                                     └──────────────────────┘
 *
 * Safety rules, enforced here rather than left to each test:
 *  - every `ip` command carries `-n <one of our namespaces>` (or is
 *    `ip netns add/del` of one of ours), every other command runs under
 *    `ip netns exec <one of ours>`: nothing touches the root namespace;
 *  - namespace names are `olk-<pid>-<random>-...`, unique per lab;
 *  - every process is started in its own process group and killed by that
 *    group (SIGTERM, then SIGKILL after a bound), never by name;
 *  - every wait has a timeout; destroy() is idempotent and also runs,
 *    synchronously, when the Node process exits with a lab still alive.
 *
 * On each tap the hv kernel is kept quiet so a test sees only what the
 * daemon under test sends: no IPv6 address is generated on the tap
 * (addr_gen_mode=1, hence no RS/DAD/MLD of its own), no RA/DAD processing,
 * proxy_arp=0 and arp_ignore=8 (never answer ARP). The daemon will send
 * IPv6 from a link-local it does not own, over a packet socket; that needs
 * no address on the tap. VM namespaces keep the kernel defaults (a real
 * guest does DAD, sends RS and MLD reports).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants as fsConstants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { readPcap } from '../helpers/pcap.js';

/** PATH given to everything run inside the lab (root's PATH may lack the sbin directories). */
export const LAB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const TAP_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const DEFAULT_EXEC_TIMEOUT_MS = 10_000;
const DEFAULT_KILL_GRACE_MS = 2_000;
/** After the leader exits, how long to wait for helpers still holding its pipes before giving up on them. */
const PIPE_DRAIN_MS = 300;

// ---------------------------------------------------------------------------
// Binaries

function findBinary(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of LAB_PATH.split(':')) {
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const IP = findBinary('ip') ?? '/usr/sbin/ip';

// ---------------------------------------------------------------------------
// Processes

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExecOptions {
  /** Hard bound; the process group is killed when it expires. Default 10 s. */
  timeoutMs?: number;
  /** Written to stdin, then stdin is closed. */
  input?: string;
  /** Replaces the environment (default: PATH=LAB_PATH, LANG=C). */
  env?: Record<string, string>;
  cwd?: string;
}

export interface ExecResult extends ExitStatus {
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Keep stdin open as a pipe (write with `handle.child.stdin`). Default: /dev/null. */
  stdin?: boolean;
}

export type LineMatcher = RegExp | string | ((line: string) => boolean);

export interface WaitForLineOptions {
  timeoutMs?: number;
  stream?: 'stdout' | 'stderr' | 'both';
}

function matches(m: LineMatcher, line: string): boolean {
  if (typeof m === 'string') return line.includes(m);
  if (m instanceof RegExp) return m.test(line);
  return m(line);
}

function defaultEnv(): Record<string, string> {
  return { PATH: LAB_PATH, LANG: 'C' };
}

/**
 * A process started inside a lab namespace, leader of its own process group.
 * Output is kept line by line; `lines()` replays from the first line.
 */
export class LabProcess {
  readonly pid: number;
  readonly ns: string;
  readonly argv: readonly string[];
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  /** Resolves when the leader has exited and its pipes are closed (or stopped draining). */
  readonly exited: Promise<ExitStatus>;
  readonly child: ChildProcess;
  private stdoutText = '';
  private stderrText = '';
  private partial = { stdout: '', stderr: '' };
  private status: ExitStatus | undefined;
  private leaderGone = false;
  private listeners = new Set<() => void>();

  constructor(child: ChildProcess, ns: string, argv: readonly string[]) {
    if (child.pid === undefined) throw new Error(`lab: could not start ${argv.join(' ')} in ${ns}`);
    this.child = child;
    this.pid = child.pid;
    this.ns = ns;
    this.argv = argv;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.onData('stdout', d));
    child.stderr?.on('data', (d: string) => this.onData('stderr', d));
    this.exited = new Promise<ExitStatus>((resolve) => {
      let drainTimer: NodeJS.Timeout | undefined;
      const finish = (st: ExitStatus): void => {
        if (this.status) return;
        if (drainTimer) clearTimeout(drainTimer);
        this.flushPartial('stdout');
        this.flushPartial('stderr');
        this.status = st;
        this.notify();
        resolve(st);
      };
      child.once('error', (err) => {
        this.stderrLines.push(`lab: spawn error: ${err.message}`);
        this.leaderGone = true;
        finish({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => {
        this.leaderGone = true;
        // Helpers that inherited the pipes (dhcpcd) can keep them open forever: stop waiting after a moment.
        drainTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish({ code, signal });
        }, PIPE_DRAIN_MS);
        drainTimer.unref();
      });
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => finish({ code, signal }));
    });
  }

  /** Exit status once known. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  private onData(stream: 'stdout' | 'stderr', chunk: string): void {
    if (stream === 'stdout') this.stdoutText += chunk;
    else this.stderrText += chunk;
    const text = this.partial[stream] + chunk;
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    const target = stream === 'stdout' ? this.stdoutLines : this.stderrLines;
    for (const p of parts) target.push(p.replace(/\r$/, ''));
    if (parts.length) this.notify();
  }

  private flushPartial(stream: 'stdout' | 'stderr'): void {
    if (this.partial[stream] !== '') {
      (stream === 'stdout' ? this.stdoutLines : this.stderrLines).push(this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Wait for the next line or the exit, at most `ms`. */
  private nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.listeners.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.listeners.add(done);
    });
  }

  /** Lines of a stream from the first one, then live ones, until the process exits. */
  async *lines(stream: 'stdout' | 'stderr' = 'stdout'): AsyncGenerator<string, void, undefined> {
    const src = stream === 'stdout' ? this.stdoutLines : this.stderrLines;
    let i = 0;
    for (;;) {
      while (i < src.length) yield src[i++]!;
      if (this.status) return;
      await this.nextChange(1_000);
    }
  }

  /**
   * First line (already printed or coming) that matches. Rejects with the
   * process's recent output when the timeout expires or the process exits first.
   */
  async waitForLine(match: LineMatcher, opts: WaitForLineOptions = {}): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? 5_000;
    const stream = opts.stream ?? 'stdout';
    const deadline = Date.now() + timeoutMs;
    const seen = { stdout: 0, stderr: 0 };
    for (;;) {
      for (const s of ['stdout', 'stderr'] as const) {
        if (stream !== 'both' && stream !== s) continue;
        const src = s === 'stdout' ? this.stdoutLines : this.stderrLines;
        for (; seen[s] < src.length; seen[s]++) {
          const line = src[seen[s]]!;
          if (matches(match, line)) return line;
        }
      }
      const left = deadline - Date.now();
      if (this.status || left <= 0) {
        const why = this.status ? `exited (code ${this.status.code}, signal ${this.status.signal})` : `timed out after ${timeoutMs} ms`;
        throw new Error(`lab: ${this.argv.join(' ')} in ${this.ns} ${why} before printing ${String(match)}\n` +
          `--- stdout (tail)\n${this.stdoutLines.slice(-15).join('\n')}\n--- stderr (tail)\n${this.stderrLines.slice(-15).join('\n')}`);
      }
      await this.nextChange(Math.min(left, 1_000));
    }
  }

  /** The exit status, or null when the process is still running after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<ExitStatus | null> {
    if (this.status) return this.status;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send a signal to the whole process group (no-op once it is gone). */
  signal(sig: NodeJS.Signals): void {
    if (this.leaderGone) {
      this.sweepGroup(sig);
      return;
    }
    try {
      process.kill(-this.pid, sig);
    } catch {
      /* ESRCH: already gone */
    }
  }

  /**
   * After the leader has been reaped its group id can only be reused by a
   * new process whose pid equals it; members left behind (helpers of
   * dhcpcd) keep the id. Signal the group only while no such process exists.
   */
  private sweepGroup(sig: NodeJS.Signals): void {
    if (existsSync(`/proc/${this.pid}`)) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      /* ESRCH: group empty */
    }
  }

  /**
   * SIGTERM to the process group, SIGKILL after `graceMs`, then SIGKILL to
   * whatever is left in the group (helpers whose leader already exited).
   */
  async kill(graceMs = DEFAULT_KILL_GRACE_MS): Promise<ExitStatus> {
    if (!this.leaderGone) {
      this.signal('SIGTERM');
      if (!(await this.waitExit(graceMs))) {
        this.signal('SIGKILL');
        await this.waitExit(5_000);
      }
    }
    await this.waitExit(5_000);
    this.sweepGroup('SIGKILL');
    // Wait (bounded) until the group's last member is gone, zombies included.
    const deadline = Date.now() + 3_000;
    while (processGroupMembers(this.pid).length > 0 && Date.now() < deadline) await sleep(25);
    return this.status ?? { code: null, signal: 'SIGKILL' };
  }

  /** Synchronous last resort used at process exit. */
  killNow(): void {
    if (!this.leaderGone) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    } else {
      this.sweepGroup('SIGKILL');
    }
  }
}

/** Pids whose process group is `pgid` (from /proc; zombies included until reaped). */
export function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may contain spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) out.push(Number(e));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Commands outside any namespace: only `ip netns add|del` and `ip -n <ours>`.

async function runHost(argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: defaultEnv(),
  });
  const p = new LabProcess(child, '(host)', argv);
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  const st = await p.waitExit(opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
  if (!st) {
    const killed = await p.kill(500);
    return { ...killed, stdout: p.stdout, stderr: p.stderr, timedOut: true };
  }
  return { ...st, stdout: p.stdout, stderr: p.stderr, timedOut: false };
}

function describeFailure(argv: readonly string[], r: ExecResult): string {
  const why = r.timedOut ? 'timed out' : `exited with ${r.code ?? r.signal}`;
  return `${argv.join(' ')} ${why}: ${r.stderr.trim() || r.stdout.trim()}`;
}

// ---------------------------------------------------------------------------
// The lab

export interface VmSpec {
  /** Hypervisor-side interface name (<= 15 chars), e.g. `tap10`. */
  tap: string;
  /** MAC of the VM's eth0, e.g. `aa:00:00:00:00:10`. */
  mac: string;
  /** MAC of the hypervisor-side end (random when omitted). */
  tapMac?: string;
  /** The hypervisor namespace the tap is in: `hv` (default) or one made by addHypervisor(). */
  hv?: string;
  /**
   * IPv6 on the tap as a real hypervisor's is (the kernel's defaults: a
   * link-local, DAD, MLD), not silenced: the routed setup, where the hv
   * kernel resolves the VM's address on the tap itself.
   */
  kernelIpv6?: boolean;
}

export interface LabOptions {
  vms?: readonly VmSpec[];
  /** Add an `uplink` namespace linked to hv by a veth (`uplink0` in hv, `eth0` there). */
  uplink?: boolean;
  /**
   * IPv6 on the hypervisor's taps: `no-address` (default: enabled, no
   * addresses, silent) or `disabled` (disable_ipv6=1: the hv kernel also
   * drops IPv6 it receives; packet sockets still see everything).
   */
  hvIpv6?: 'no-address' | 'disabled';
}

export interface LabVm {
  readonly tap: string;
  readonly mac: string;
  /** Name of the VM's network namespace. */
  readonly ns: string;
  /** Interface inside the VM namespace: always `eth0`. */
  readonly iface: string;
}

/** A namespace: `'hv'`, `'uplink'`, a tap name (its VM), a LabVm, or a namespace name of this lab. */
export type NsRef = string | LabVm;

export interface Capture {
  readonly file: string;
  readonly process: LabProcess;
  /** Stop tcpdump (SIGTERM, which flushes the file) and wait for it. Idempotent. */
  stop(): Promise<void>;
  /** Frames written so far (stop() first for a complete file). */
  frames(): Uint8Array[];
}

export interface TcpdumpOptions {
  /** Exit after this many packets (`-c`). */
  count?: number;
  /** How long to wait for tcpdump to report it is listening. Default 5 s. */
  startTimeoutMs?: number;
  /** stop() first waits this long for frames still in flight. Default 100 ms. */
  settleMs?: number;
}

const liveLabs = new Set<Lab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lab of [...liveLabs]) lab.destroySync();
  });
}

export class Lab {
  /** `olk-<pid>-<random>`: prefix of every namespace of this lab. */
  readonly id: string;
  /** Private directory for state files (leases, scripts, captures); removed by destroy(). */
  readonly dir: string;
  readonly hvNs: string;
  readonly uplinkNs: string | undefined;
  private readonly hvIpv6: 'no-address' | 'disabled';
  private readonly vmMap = new Map<string, LabVm>();
  private readonly namespaces = new Set<string>();
  private readonly processes = new Set<LabProcess>();
  private destroyed: Promise<void> | undefined;

  private constructor(opts: LabOptions) {
    this.id = `olk-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.hvNs = `${this.id}-hv`;
    this.uplinkNs = opts.uplink ? `${this.id}-up` : undefined;
    this.hvIpv6 = opts.hvIpv6 ?? 'no-address';
    this.dir = mkdtempSync(join(tmpdir(), `${this.id}-`));
    // Privilege-separated helpers (dhcpcd runs some as its own user) must be able to traverse it.
    chmodSync(this.dir, 0o755);
    liveLabs.add(this);
    installExitHook();
  }

  /** Build the namespaces and links; on any failure everything created is removed and the error rethrown. */
  static async create(opts: LabOptions = {}): Promise<Lab> {
    for (const vm of opts.vms ?? []) validateSpec(vm);
    const lab = new Lab(opts);
    try {
      await lab.addNamespace(lab.hvNs);
      await lab.ipBatch(lab.hvNs, ['link set lo up']);
      if (lab.uplinkNs) {
        await lab.addNamespace(lab.uplinkNs);
        await lab.ipChecked(['-n', lab.hvNs, 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.uplinkNs]);
        await lab.sysctl('hv', lab.quietIpv6('uplink0'));
        await lab.ipBatch(lab.uplinkNs, ['link set lo up', 'link set eth0 up']);
        await lab.ipBatch(lab.hvNs, ['link set uplink0 up']);
      }
      for (const vm of opts.vms ?? []) await lab.addVm(vm);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** VMs in creation order. */
  get vms(): LabVm[] {
    return [...this.vmMap.values()];
  }

  /** The VM behind a tap; throws when there is none. */
  vm(tap: string): LabVm {
    const vm = this.vmMap.get(tap);
    if (!vm) throw new Error(`lab: no VM on tap ${tap}`);
    return vm;
  }

  /** Namespace name for a reference; throws unless it is one of this lab's namespaces. */
  nsName(ref: NsRef): string {
    if (typeof ref !== 'string') return this.vm(ref.tap).ns;
    if (ref === 'hv') return this.hvNs;
    if (ref === 'uplink') {
      if (!this.uplinkNs) throw new Error('lab: created without an uplink');
      return this.uplinkNs;
    }
    const vm = this.vmMap.get(ref);
    if (vm) return vm.ns;
    if (this.namespaces.has(ref)) return ref;
    throw new Error(`lab: ${ref} is not a namespace of lab ${this.id}`);
  }

  /** A path inside the lab's private directory. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Run argv inside a namespace, bounded; never throws for a non-zero exit. */
  async exec(ns: NsRef, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const p = this.spawn(ns, argv, { env: opts.env, cwd: opts.cwd, stdin: opts.input !== undefined });
    if (opts.input !== undefined) p.child.stdin?.end(opts.input);
    const st = await p.waitExit(opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
    this.processes.delete(p);
    if (!st) {
      const killed = await p.kill(1_000);
      return { ...killed, stdout: p.stdout, stderr: p.stderr, timedOut: true };
    }
    p.kill(0).catch(() => undefined); // sweep helpers left in the group, if any
    return { ...st, stdout: p.stdout, stderr: p.stderr, timedOut: false };
  }

  /** Like exec() but throws unless the command exits 0; returns stdout. */
  async run(ns: NsRef, argv: readonly string[], opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(ns, argv, opts);
    if (r.timedOut || r.code !== 0) throw new Error(`lab (${this.nsName(ns)}): ${describeFailure(argv, r)}`);
    return r.stdout;
  }

  /** Start argv inside a namespace in its own process group; destroy() kills it if still running. */
  spawn(ns: NsRef, argv: readonly string[], opts: SpawnOptions = {}): LabProcess {
    if (this.destroyed) throw new Error('lab: already destroyed');
    if (argv.length === 0) throw new Error('lab: empty argv');
    const name = this.nsName(ns);
    const child = spawn(IP, ['netns', 'exec', name, ...argv], {
      detached: true,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: opts.env ?? defaultEnv(),
      cwd: opts.cwd ?? this.dir,
    });
    const p = new LabProcess(child, name, argv);
    this.processes.add(p);
    return p;
  }

  /** Write sysctls inside a namespace (`net/ipv4/conf/tap10/arp_ignore` or dotted keys). */
  async sysctl(ns: NsRef, settings: Record<string, string | number>): Promise<void> {
    const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    if (args.length === 0) return;
    await this.run(ns, ['sysctl', '-q', '-w', ...args]);
  }

  /** Add a VM: its namespace, the veth pair (tap in hv, eth0 in the VM), both up. */
  async addVm(spec: VmSpec): Promise<LabVm> {
    validateSpec(spec);
    if (this.vmMap.has(spec.tap)) throw new Error(`lab: tap ${spec.tap} already exists`);
    const vm: LabVm = { tap: spec.tap, mac: spec.mac.toLowerCase(), ns: `${this.id}-vm-${spec.tap}`, iface: 'eth0' };
    await this.addNamespace(vm.ns);
    this.vmMap.set(vm.tap, vm);
    const hv = this.nsName(spec.hv ?? 'hv');
    await this.ipChecked(['-n', hv, 'link', 'add', vm.tap, ...(spec.tapMac ? ['address', spec.tapMac] : []),
      'type', 'veth', 'peer', 'name', vm.iface, 'address', vm.mac, 'netns', vm.ns]);
    // Before the tap goes up, so the hv kernel never generates a link-local on it (unless asked to).
    await this.sysctl(hv, {
      ...(spec.kernelIpv6 ? {} : this.quietIpv6(vm.tap)),
      [`net/ipv4/conf/${vm.tap}/proxy_arp`]: 0,
      [`net/ipv4/conf/${vm.tap}/arp_ignore`]: 8,
    });
    await this.ipBatch(vm.ns, ['link set lo up', `link set ${vm.iface} up`]);
    await this.ipBatch(hv, [`link set ${vm.tap} up`]);
    return vm;
  }

  /**
   * A second hypervisor namespace (`<lab id>-<name>`, lo up), for tests that
   * move a VM between hosts; give it taps with addVm({hv}) and an uplink
   * with link(). Returns its namespace name (a valid NsRef).
   */
  async addHypervisor(name: string): Promise<string> {
    if (!/^[a-z0-9]{1,8}$/.test(name)) throw new Error(`lab: bad hypervisor name ${JSON.stringify(name)}`);
    const ns = `${this.id}-${name}`;
    await this.addNamespace(ns);
    await this.ipBatch(ns, ['link set lo up']);
    return ns;
  }

  /** A veth pair between two of the lab's namespaces, `ifA` in `a` and `ifB` in `b`, both up. */
  async link(a: NsRef, ifA: string, b: NsRef, ifB: string): Promise<void> {
    const nsA = this.nsName(a);
    const nsB = this.nsName(b);
    if (!TAP_RE.test(ifA) || !TAP_RE.test(ifB)) throw new Error(`lab: bad interface name ${ifA} / ${ifB}`);
    await this.ipChecked(['-n', nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    await this.ipBatch(nsA, [`link set ${ifA} up`]);
    await this.ipBatch(nsB, [`link set ${ifB} up`]);
  }

  /**
   * Remove a tap the way a VM shutdown does: the hv-side link disappears
   * (and with it the VM's eth0). Processes running in the VM namespace are
   * killed and the namespace deleted unless `keepVm`.
   */
  async removeTap(tap: string, opts: { keepVm?: boolean } = {}): Promise<void> {
    const vm = this.vm(tap);
    await this.ipChecked(['-n', this.hvNs, 'link', 'del', tap]);
    if (opts.keepVm) return;
    await Promise.all([...this.processes].filter((p) => p.ns === vm.ns).map(async (p) => {
      await p.kill(1_000);
      this.processes.delete(p);
    }));
    this.vmMap.delete(tap);
    await this.deleteNamespace(vm.ns);
  }

  /** Set the hv side of a tap up or down (carrier changes seen by the daemon). */
  async setTapUp(tap: string, up: boolean): Promise<void> {
    this.vm(tap);
    await this.ipBatch(this.hvNs, [`link set ${tap} ${up ? 'up' : 'down'}`]);
  }

  /** Pids of the processes living in a namespace (`ip netns pids`). */
  async pids(ns: NsRef): Promise<number[]> {
    const r = await runHost([IP, 'netns', 'pids', this.nsName(ns)], { timeoutMs: 5_000 });
    return r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
  }

  /** The VM's link-local address once DAD has finished (bounded). */
  async waitLinkLocal(vmRef: NsRef, timeoutMs = 5_000): Promise<string> {
    const ns = this.nsName(vmRef);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.exec(ns, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'], { timeoutMs: 2_000 });
      for (const line of r.stdout.split('\n')) {
        const m = /inet6 (fe80::[0-9a-f:]+)\/\d+/.exec(line);
        if (m && !/tentative|dadfailed/.test(line)) return m[1]!;
      }
      if (Date.now() >= deadline) throw new Error(`lab: no usable link-local on eth0 in ${ns} after ${timeoutMs} ms:\n${r.stdout}`);
      await sleep(100);
    }
  }

  /**
   * Start tcpdump writing `file` (packet-buffered), resolved once it is
   * listening. `filter` is a pcap filter expression ('' for everything).
   */
  async tcpdump(ns: NsRef, iface: string, filter: string, file: string, opts: TcpdumpOptions = {}): Promise<Capture> {
    // --immediate-mode: frames reach the file as they arrive (otherwise TPACKET_V3 holds them in a block and a
    // SIGTERM drops them); -U: the file is flushed per packet; -Z root: keep the right to write into the lab dir.
    const argv = ['tcpdump', '-i', iface, '-n', '--immediate-mode', '-U', '-Z', 'root', '-w', file,
      ...(opts.count !== undefined ? ['-c', String(opts.count)] : []),
      ...(filter.trim() ? [filter] : [])];
    const p = this.spawn(ns, argv);
    try {
      await p.waitForLine(/listening on/, { stream: 'stderr', timeoutMs: opts.startTimeoutMs ?? 5_000 });
    } catch (err) {
      await p.kill(500);
      throw err;
    }
    let stopped: Promise<void> | undefined;
    return {
      file,
      process: p,
      stop: () => (stopped ??= sleep(opts.settleMs ?? 100).then(() => p.kill(3_000)).then(() => undefined)),
      frames: () => (existsSync(file) ? readPcap(new Uint8Array(readFileSync(file))).frames.map((f) => f.data) : []),
    };
  }

  /** Kill everything started in the lab, delete its namespaces and directory. Idempotent. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      await Promise.all([...this.processes].map((p) => p.kill(1_000).catch(() => undefined)));
      this.processes.clear();
      // Deleting a namespace removes its veths too; the VMs first, then hv and uplink.
      const order = [...this.namespaces].sort((a, b) => Number(a === this.hvNs) - Number(b === this.hvNs));
      for (const ns of order) await this.deleteNamespace(ns).catch(() => undefined);
      this.removeDir();
      liveLabs.delete(this);
    })();
    return this.destroyed;
  }

  /** Synchronous destroy for process exit: SIGKILL to every group, `ip netns del`, rm -r. */
  destroySync(): void {
    for (const p of this.processes) p.killNow();
    this.processes.clear();
    for (const ns of this.namespaces) spawnSync(IP, ['netns', 'del', ns], { timeout: 5_000, stdio: 'ignore' });
    this.namespaces.clear();
    this.removeDir();
    liveLabs.delete(this);
  }

  private removeDir(): void {
    if (process.env.OLK_KEEP_LAB_DIR) {
      process.stderr.write(`lab ${this.id}: keeping ${this.dir} (OLK_KEEP_LAB_DIR)\n`);
      return;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private quietIpv6(iface: string): Record<string, number> {
    const base = `net/ipv6/conf/${iface}`;
    return {
      [`${base}/addr_gen_mode`]: 1,
      [`${base}/accept_ra`]: 0,
      [`${base}/autoconf`]: 0,
      [`${base}/accept_dad`]: 0,
      [`${base}/dad_transmits`]: 0,
      [`${base}/router_solicitations`]: 0,
      ...(this.hvIpv6 === 'disabled' ? { [`${base}/disable_ipv6`]: 1 } : {}),
    };
  }

  private async addNamespace(ns: string): Promise<void> {
    if (!ns.startsWith(`${this.id}-`)) throw new Error(`lab: refusing namespace ${ns}`);
    this.namespaces.add(ns);
    const r = await runHost([IP, 'netns', 'add', ns]);
    if (r.code !== 0) {
      this.namespaces.delete(ns);
      throw new Error(`lab: ${describeFailure(['ip', 'netns', 'add', ns], r)}`);
    }
  }

  private async deleteNamespace(ns: string): Promise<void> {
    if (!this.namespaces.has(ns)) return;
    const r = await runHost([IP, 'netns', 'del', ns]);
    this.namespaces.delete(ns);
    if (r.code !== 0 && existsSync(`/run/netns/${ns}`)) throw new Error(`lab: ${describeFailure(['ip', 'netns', 'del', ns], r)}`);
  }

  /** `ip -n <ours> ...`, throwing on failure. */
  private async ipChecked(args: readonly string[]): Promise<void> {
    if (args[0] !== '-n' || !this.namespaces.has(args[1] ?? '')) throw new Error(`lab: refusing ip ${args.join(' ')}`);
    const r = await runHost([IP, ...args]);
    if (r.code !== 0) throw new Error(`lab: ${describeFailure(['ip', ...args], r)}`);
  }

  private async ipBatch(ns: string, commands: readonly string[]): Promise<void> {
    if (!this.namespaces.has(ns)) throw new Error(`lab: refusing ip -n ${ns}`);
    const r = await runHost([IP, '-n', ns, '-batch', '-'], { input: commands.join('\n') + '\n' });
    if (r.code !== 0) throw new Error(`lab: ${describeFailure(['ip', '-n', ns, '-batch', ...commands], r)}`);
  }
}

function validateSpec(spec: VmSpec): void {
  if (!TAP_RE.test(spec.tap)) throw new Error(`lab: bad tap name ${JSON.stringify(spec.tap)}`);
  if (!MAC_RE.test(spec.mac)) throw new Error(`lab: bad MAC ${JSON.stringify(spec.mac)}`);
  if (spec.tapMac !== undefined && !MAC_RE.test(spec.tapMac)) throw new Error(`lab: bad tap MAC ${JSON.stringify(spec.tapMac)}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `fn` every 200 ms until it gives a value; bounded: throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------
// Preconditions

export type LabAvailability = { ok: true } | { ok: false; reason: string };

/**
 * Binaries the client runners need (a test can ask for fewer or more);
 * busybox (ping, arping: the routed and ARP suites) comes with udhcpc.
 */
export const LAB_BINARIES: readonly string[] = [
  'ip', 'sysctl', 'tcpdump', 'unshare', 'env', 'sh', 'dhclient', 'udhcpc', 'busybox', 'dhcpcd', 'rdisc6', 'ndisc6',
];

export interface LabAvailabilityOptions {
  binaries?: readonly string[];
  /** Also require /usr/bin/python3 with scapy importable. */
  scapy?: boolean;
}

const availabilityCache = new Map<string, LabAvailability>();

/**
 * Can a lab be built here? Linux, root, `ip netns add/del` working (checked
 * by creating and deleting a probe namespace) and the binaries present.
 * Synchronous so it can gate `describe` at collection time; cached.
 */
export function labAvailable(opts: LabAvailabilityOptions = {}): LabAvailability {
  const binaries = opts.binaries ?? LAB_BINARIES;
  const key = JSON.stringify([binaries, !!opts.scapy]);
  const cached = availabilityCache.get(key);
  if (cached) return cached;
  const result = checkAvailability(binaries, !!opts.scapy);
  availabilityCache.set(key, result);
  return result;
}

function checkAvailability(binaries: readonly string[], scapy: boolean): LabAvailability {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux network namespaces (platform is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: `needs root to create network namespaces (uid ${process.getuid?.()})` };
  const missing = binaries.filter((b) => !findBinary(b));
  if (missing.length) return { ok: false, reason: `missing binaries: ${missing.join(', ')} (Debian: iproute2 tcpdump isc-dhcp-client udhcpc dhcpcd-base ndisc6)` };
  const probe = `olk-${process.pid}-${randomBytes(3).toString('hex')}-probe`;
  const add = spawnSync(IP, ['netns', 'add', probe], { timeout: 5_000, encoding: 'utf8' });
  if (add.status !== 0) {
    return { ok: false, reason: `'ip netns add' failed: ${(add.stderr || add.error?.message || '').trim()}` };
  }
  const inside = spawnSync(IP, ['netns', 'exec', probe, 'ip', 'link', 'show', 'lo'], { timeout: 5_000, encoding: 'utf8', env: defaultEnv() });
  const del = spawnSync(IP, ['netns', 'del', probe], { timeout: 5_000, encoding: 'utf8' });
  if (inside.status !== 0) return { ok: false, reason: `'ip netns exec' failed: ${(inside.stderr || '').trim()}` };
  if (del.status !== 0) return { ok: false, reason: `'ip netns del' failed: ${(del.stderr || '').trim()}` };
  if (scapy) {
    const py = spawnSync('/usr/bin/python3', ['-c', 'import scapy.all'], { timeout: 20_000, encoding: 'utf8' });
    if (py.status !== 0) return { ok: false, reason: `/usr/bin/python3 cannot import scapy (Debian: python3-scapy): ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}` };
  }
  return { ok: true };
}

/**
 * `describe` for suites that need a lab. When the lab cannot be built the
 * reason is printed loudly; under CI (process.env.CI set) the suite then
 * FAILS with that reason, elsewhere it is skipped with the reason as the
 * test name. It never skips silently.
 */
export function describeLab(name: string, fn: () => void, opts: LabAvailabilityOptions = {}): void {
  const av = labAvailable(opts);
  if (av.ok) {
    describe(name, fn);
    return;
  }
  const reason = av.reason;
  const ci = !!process.env.CI;
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n!! e2e suite "${name}" ${ci ? 'FAILS (CI is set)' : 'is SKIPPED'}: lab unavailable\n!! ${reason}\n${bar}\n\n`);
  describe(name, () => {
    if (ci) {
      it('lab preconditions', () => {
        throw new Error(`lab unavailable: ${reason}`);
      });
    } else {
      it.skip(`SKIPPED, lab unavailable: ${reason}`, () => undefined);
    }
  });
}
