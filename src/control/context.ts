/**
 * What the control commands work on: the ControlContext (daemon-context.ts
 * adapts the running daemon; tests pass a fake), who is asking, and what
 * deserves a log line (AuditEvent, handed to the server's `audit`).
 */
import type { EventSink } from '../runtime/events.js';
import type { Binding } from '../bindings/binding.js';
import type { BindingEntry } from '../bindings/store.js';
import type { TapCounters } from '../runtime/stats.js';

/** Who is asking (SO_PEERCRED / SO_PEERGROUPS) and what the policy lets them do. */
export interface Peer {
  uid: number;
  gid: number;
  /** Supplementary groups (may be empty when the kernel cannot say). */
  groups: readonly number[];
  pid?: number;
  /** Whether mutating commands are allowed (see server.ts `authorize`). */
  mayMutate: boolean;
}

/** The interface a binding is attached to, when it exists. */
export interface BindingLink {
  ifindex: number;
  up: boolean;
  running: boolean;
  /** MAC onlinkd answers with on this tap (INDEV's), when known. */
  serverMac: string | undefined;
}

export interface BindingInfo {
  tap: string;
  /** Last good binding (undefined when the file never parsed). */
  binding: Binding | undefined;
  /** Error of the last load attempt, if it failed (the last good binding stays in force). */
  error: BindingEntry['error'];
  link: BindingLink | undefined;
  /** Why its interface is refused (never bound: loopback, uplink) or looks unlike a VM's tap (src/runtime/tap-table.ts). */
  problem?: { refused: boolean; message: string } | undefined;
  /** What is wrong with the binding under the settings in force, though it parses (protocols/ipv6-mode.ts mode6Warning). */
  warnings?: string[] | undefined;
}

export interface StatusSnapshot {
  version: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  /** Store entries (good bindings plus files that never parsed). */
  bindings: number;
  /** Bindings whose tap exists. */
  attached: number;
  /** Entries whose last load failed. */
  rejected: number;
  datapath: string;
  controlSocket: string;
  /** `control_group` in force (null: root and the daemon's user only). */
  controlGroup: string | null;
  /** Configuration a reload asked for that is not in force (key → why); empty when all is applied. */
  notApplied: Record<string, string>;
}

/** The control socket's part of a status snapshot: what is in force (ControlServer.status). */
export type ControlSocketStatus = Pick<StatusSnapshot, 'controlSocket' | 'controlGroup' | 'notApplied'>;

export interface StatsView {
  /** Counters not tied to a bound tap (see src/runtime/stats.ts), passed through as they are. */
  global: Record<string, unknown>;
  taps: Record<string, TapCounters>;
}

export type AnnounceOutcome =
  | { ok: true; text?: string; details?: Record<string, unknown> }
  | { ok: false; reason: 'no-binding' | 'not-attached' | 'unavailable' | 'failed'; message: string };

export type ReloadOutcome = { ok: true; source?: string } | { ok: false; message: string };

/** One route onlinkd keeps to a tap (runtime/route-manager.ts, proto 183). */
export interface ManagedRouteView {
  family: 'ipv4' | 'ipv6';
  /** `ADDRESS/LENGTH`. */
  destination: string;
  /** Next hop (PREFIX6 via IP6); absent for a device route. */
  gateway?: string | undefined;
  table: number;
  /** The interface the route leads to, by name (absent when the link is not known) and index. */
  oif?: string | undefined;
  ifindex: number;
}

/** A policy rule `iif TAP lookup TABLE` onlinkd keeps (`[routing] rule`, src/io/rule-netlink.ts). */
export interface ManagedRuleView {
  family: 'ipv4' | 'ipv6';
  /** Input interface name; '' for a stale rule of ours without one. */
  iif: string;
  table: number;
  priority: number;
}

/**
 * What onlinkd's routing keeps for one tap. Each kind of kernel state it
 * manages is a list of its own (`routes`, `rules`; empty when none): a
 * client reads the lists it knows, so a new kind breaks none.
 */
export interface ManagedTapView {
  tap: string;
  routes: ManagedRouteView[];
  rules: ManagedRuleView[];
}

/** One uplink the proxy answers ARP requests / NSs on for routed VMs (src/runtime/uplink-proxy.ts): how many addresses, and whether its socket is open. */
export interface UplinkProxyView {
  uplink: string;
  ipv4Addresses: number;
  ipv6Addresses: number;
  listening: boolean;
}

export interface RoutingView {
  /** `[routing] manage` in force (a binding's ROUTED= may still route its tap when it is off). */
  manage: boolean;
  /** `[routing] table` in force. */
  table: number;
  /** `[routing] rule` in force. */
  rule: boolean;
  taps: ManagedTapView[];
  /** Uplinks the proxy answers on (natural order); empty before it starts or with nothing routed. */
  uplinks: UplinkProxyView[];
}

export interface ControlContext {
  readonly version: string;
  /** Cheap snapshot: counts and paths, no I/O. */
  status(): StatusSnapshot;
  /** Every store entry; must not do per-entry I/O (4096 bindings answer in milliseconds). */
  listBindings(): Iterable<BindingInfo>;
  getBinding(tap: string): BindingInfo | undefined;
  /**
   * Why this binding may not be added (its interface is the loopback or an
   * uplink, or it names its own tap as uplink: src/runtime/interface-policy.ts), or
   * undefined. Omitted: every valid binding is accepted.
   */
  refuseBinding?(binding: Binding): { key: string | undefined; detail: string } | undefined;
  /**
   * Persists the binding atomically in the state directory, then applies it
   * to the store. `fileText` is the binding's file (binding-add made it
   * once, checking it reads back unchanged); omitted, it is serialised here.
   * Throws (clear message) when it cannot be written; the previous binding
   * and file stay as they were.
   */
  addBinding(binding: Binding, fileText?: string): Promise<{ previous: Binding | undefined }>;
  /** Unlinks the binding file, then removes the binding; `removed: false` when there was none. */
  delBinding(tap: string): Promise<{ removed: boolean; binding: Binding | undefined }>;
  announce(tap: string): Promise<AnnounceOutcome>;
  /** Counters; with `tap`, `taps` holds at most that tap. */
  stats(tap?: string): StatsView;
  reload(): Promise<ReloadOutcome>;
  /** What the routing manages now, per tap (no I/O); omitted: `route-list` is unsupported. */
  routing?(): RoutingView;
  /** Streams events to `sink` until the returned function is called (runtime/events.ts); omitted: `subscribe` is unsupported. */
  subscribe?(sink: EventSink): () => void;
}

/** What the server turns into log lines. */
export type AuditEvent =
  | { event: 'binding-added'; tap: string; mac: string; ip: string | undefined; replaced: boolean; uid: number }
  | { event: 'binding-removed'; tap: string; mac: string | undefined; ip: string | undefined; uid: number }
  | { event: 'announced'; tap: string; uid: number }
  | { event: 'config-reloaded'; ok: boolean; uid: number; reason?: string }
  | { event: 'denied'; command: string; uid: number; gid: number }
  | { event: 'bad-request'; command: string | undefined; reason: string; uid: number }
  | { event: 'failed'; command: string; reason: string; uid: number };

export interface DispatchHooks {
  audit?: (e: AuditEvent) => void;
}

