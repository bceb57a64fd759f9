/**
 * An in-process packet path for unit tests: a fake interface table, a real
 * BindingStore/TapTable/PacketPath, a send function that records frames and
 * a clock the test moves.
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { parseBindingFile } from '../../src/bindings/binding-file.js';
import { BindingStore } from '../../src/bindings/store.js';
import type { Settings, SettingsOverrides } from '../../src/config/config.js';
import { PacketPath, type FrameOut, type PacketPathDeps } from '../../src/packet/path.js';
import { Stats } from '../../src/runtime/stats.js';
import { TapTable, type LinkInfo } from '../../src/runtime/tap-table.js';
import { settingsWith } from './settings.js';

export class FakeLinks extends EventEmitter {
  readonly map = new Map<number, LinkInfo>();
  byName(name: string) {
    return [...this.map.values()].find((l) => l.name === name);
  }
  byIndex(i: number) {
    return this.map.get(i);
  }
  links() {
    return this.map.values();
  }
  add(l: LinkInfo) {
    this.map.set(l.ifindex, l);
    this.emit('link', l);
  }
  del(i: number) {
    const l = this.map.get(i)!;
    this.map.delete(i);
    this.emit('unlink', l);
  }
}

export function pathRig(
  overrides: SettingsOverrides = {},
  deps: { pause?: FrameOut['pause']; events?: PacketPathDeps['events']; observeReply?: PacketPathDeps['observeReply'] } = {},
  logLevel: pino.Level | 'silent' = 'silent',
) {
  /** Every log line the path wrote (parsed), when `logLevel` is not silent. */
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: logLevel }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const store = new BindingStore();
  const links = new FakeLinks();
  const taps = new TapTable(store, links, log);
  const stats = new Stats();
  const sent: Array<{ ifindex: number; frame: Uint8Array }> = [];
  let settings: Settings = settingsWith(overrides);
  /** A reload: the path sees the new settings from the next frame on. */
  const reload = (o: SettingsOverrides) => void (settings = settingsWith(o, settings));
  let clock = 0;
  const path = new PacketPath({
    taps,
    settings: () => settings,
    out: {
      send: (ifindex, frame) => {
        // A copy: the path builds replies in a scratch buffer that is valid only during the call.
        sent.push({ ifindex, frame: frame.slice() });
        return { ok: true };
      },
      pause: deps.pause ?? (() => undefined),
    },
    stats,
    log,
    now: () => clock,
    serverDuid: Uint8Array.of(0, 3, 0, 1, 2, 0, 0, 0, 0, 1),
    events: deps.events,
    observeReply: deps.observeReply,
  });
  /** Adds an up interface and a binding (binding-file text) for it. */
  const addTap = (name: string, ifindex: number, mac: string, bindingText: string) => {
    const r = parseBindingFile(name, bindingText);
    if (!r.ok) throw new Error(r.error.message);
    links.add({ ifindex, name, mac, up: true, running: true });
    store.set(r.binding);
  };
  return { path, sent, logs, stats, links, store, taps, reload, addTap, tick: (ms: number) => void (clock += ms) };
}
