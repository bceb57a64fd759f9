/**
 * An in-memory ControlContext for dispatcher and server tests: records what
 * the dispatcher asked for, and can be told to fail or to be slow.
 */
import type { Binding } from '../../../src/bindings/binding.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import type {
  AnnounceOutcome, BindingInfo, ControlContext, Peer, ReloadOutcome, RoutingView, StatsView, StatusSnapshot,
} from '../../../src/control/dispatch.js';
import type { TapCounters } from '../../../src/runtime/stats.js';
import { EventBus, type EventSink } from '../../../src/runtime/events.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControlServer } from '../../../src/control/server.js';

export const ROOT: Peer = { uid: 0, gid: 0, groups: [], pid: 1, mayMutate: true };
export const READER: Peer = { uid: 1000, gid: 1000, groups: [4242], pid: 2, mayMutate: false };

export function binding(tap: string, text: string): Binding {
  const r = parseBindingFile(tap, text);
  if (!r.ok) throw r.error;
  return r.binding;
}

export const TAP10 = `MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\nSUBNET6=2001:db8:10::/64\nGATEWAY6=2001:db8:10::1\nEUI64=2001:db8:10::a800:ff:fe00:10\nHOSTNAME=vm10\n`;

export class FakeContext implements ControlContext {
  readonly version = '9.9.9';
  readonly infos = new Map<string, BindingInfo>();
  readonly counters = new Map<string, TapCounters>();
  readonly calls: string[] = [];
  addError: Error | undefined;
  reloadResult: ReloadOutcome = { ok: true, source: '/etc/onlinkd/onlinkd.conf' };
  announceResult: AnnounceOutcome | undefined;
  /** Delay of addBinding, to test ordering of pipelined requests. */
  addDelayMs = 0;
  /** What `subscribe` attaches to; events carry a fixed time. */
  readonly bus = new EventBus(() => Date.UTC(2026, 0, 1));

  constructor(bindings: Binding[] = []) {
    for (const b of bindings) this.infos.set(b.tap, { tap: b.tap, binding: b, error: undefined, link: undefined });
  }

  status(): StatusSnapshot {
    this.calls.push('status');
    return {
      version: this.version, pid: 42, startedAt: '2026-01-01T00:00:00.000Z', uptimeSeconds: 3725,
      bindings: this.infos.size, attached: [...this.infos.values()].filter((i) => i.link).length,
      rejected: [...this.infos.values()].filter((i) => i.error).length,
      datapath: '/var/lib/onlinkd', controlSocket: '/run/onlinkd/control.sock', controlGroup: null, notApplied: {},
    };
  }

  subscribe(sink: EventSink): () => void {
    this.calls.push('subscribe');
    return this.bus.subscribe(sink);
  }

  listBindings(): Iterable<BindingInfo> {
    this.calls.push('list');
    return this.infos.values();
  }

  getBinding(tap: string): BindingInfo | undefined {
    return this.infos.get(tap);
  }

  async addBinding(b: Binding): Promise<{ previous: Binding | undefined }> {
    this.calls.push(`add ${b.tap}`);
    if (this.addDelayMs) await new Promise((r) => setTimeout(r, this.addDelayMs));
    if (this.addError) throw this.addError;
    const previous = this.infos.get(b.tap)?.binding;
    this.infos.set(b.tap, { tap: b.tap, binding: b, error: undefined, link: this.infos.get(b.tap)?.link });
    return { previous };
  }

  async delBinding(tap: string): Promise<{ removed: boolean; binding: Binding | undefined }> {
    this.calls.push(`del ${tap}`);
    const i = this.infos.get(tap);
    this.infos.delete(tap);
    return { removed: i !== undefined, binding: i?.binding };
  }

  async announce(tap: string): Promise<AnnounceOutcome> {
    this.calls.push(`announce ${tap}`);
    if (this.announceResult) return this.announceResult;
    if (!this.infos.get(tap)?.binding) return { ok: false, reason: 'no-binding', message: `no binding for tap "${tap}"` };
    return { ok: true };
  }

  stats(tap?: string): StatsView {
    const taps: Record<string, TapCounters> = {};
    for (const [k, v] of this.counters) if (tap === undefined || k === tap) taps[k] = v;
    return { global: { frames: 7, drops: { 'no-binding': 7 } }, taps };
  }

  routing(): RoutingView {
    this.calls.push('routing');
    return { manage: false, table: 254, rule: false, taps: [], uplinks: [] };
  }

  async reload(): Promise<ReloadOutcome> {
    this.calls.push('reload');
    return this.reloadResult;
  }
}

/** A control server with a silent log, its socket `control.sock` in a fresh temporary directory. */
export interface TestServer {
  readonly dir: string;
  readonly path: string;
  readonly server: ControlServer;
  /** Closes the server and removes the directory. */
  close(): Promise<void>;
}

export async function startTestServer(context: ControlContext, prefix: string): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'control.sock');
  const server = await ControlServer.start({ path, context, log: pino({ level: 'silent' }) });
  return {
    dir, path, server,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
