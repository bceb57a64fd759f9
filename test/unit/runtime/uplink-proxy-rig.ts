/**
 * The fakes the uplink proxy's runtime tests share (uplink-proxy.test.ts,
 * uplink-proxy-frames.test.ts): the links (FakeLinks), the bound taps (a
 * map), the sockets (open() records them; a test delivers frames and reads
 * what was sent) and the deferral (a queue the test flushes, standing for
 * setImmediate).
 */
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import type { Settings } from '../../../src/config/settings.js';
import type { SendResult } from '../../../src/io/packet-socket.js';
import { UplinkProxy, type UplinkSocket } from '../../../src/runtime/uplink-proxy.js';
import { Stats } from '../../../src/runtime/stats.js';
import type { LinkInfo, Tap } from '../../../src/runtime/tap-table.js';
import { testBinding } from '../../helpers/binding.js';
import { FakeLinks } from '../../helpers/path-rig.js';

export const UPLINK_MAC = 'fe:00:00:00:00:40';
export const ROUTER_MAC = 'aa:00:00:00:00:10';
export const VM4 = '203.0.113.40';
export const VM6 = '2001:db8:40:0:a800:ff:fe00:40';

export const uplinkLink = (ifindex = 2, name = 'uplink0', mac = UPLINK_MAC): LinkInfo => ({ ifindex, name, mac, up: true, running: true });

export class FakeSocket implements UplinkSocket {
  readonly sent: Uint8Array[] = [];
  closed = false;
  sendResult: SendResult = { ok: true, bytes: 60 };
  #handler: ((f: { data: Uint8Array; vlanTci?: number }) => void) | undefined;
  constructor(readonly ifindex: number) {}
  onFrame(cb: (f: { data: Uint8Array; vlanTci?: number }) => void): void {
    this.#handler = cb;
  }
  sendBound(frame: Uint8Array): SendResult {
    this.sent.push(frame.slice());
    return this.sendResult;
  }
  close(): void {
    this.closed = true;
  }
  /** A frame read from the uplink. */
  deliver(data: Uint8Array, vlanTci?: number): void {
    this.#handler!(vlanTci === undefined ? { data } : { data, vlanTci });
  }
}

export function rig(o: { uplink?: string; uplink6?: string; manage?: boolean } = {}) {
  const links = new FakeLinks();
  links.add(uplinkLink());
  const bindings = new Map<string, Binding>();
  const tapUp = new Map<string, boolean>();
  const stats = new Stats();
  const logs: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const logAt = (level: string) => (obj: Record<string, unknown>, msg: string) => void logs.push({ level, obj, msg });
  const sockets: FakeSocket[] = [];
  let openError: Error | undefined;
  let opens = 0;
  const queue: Array<() => void> = [];
  let bindingReads = 0;
  let settings: Pick<Settings, 'routing' | 'announce'> = {
    routing: { ...defaultSettings().routing, manage: o.manage ?? true },
    announce: { ...defaultSettings().announce, uplink: o.uplink ?? 'uplink0', uplink6: o.uplink6 ?? 'uplink0' },
  };
  const proxy = new UplinkProxy({
    bindings: () => (bindingReads++, bindings.values()),
    tap: (name): Tap | undefined => {
      const b = bindings.get(name);
      const up = tapUp.get(name);
      return b && up !== undefined ? { binding: b, link: { ifindex: 100 + Number(name.slice(3)), name, mac: 'fe:00:00:00:00:99', up, running: up } } : undefined;
    },
    links,
    settings: () => settings,
    open: (ifindex) => {
      opens++;
      if (openError) throw openError;
      const s = new FakeSocket(ifindex);
      sockets.push(s);
      return s;
    },
    stats,
    log: { info: logAt('info'), warn: logAt('warn'), error: logAt('error'), debug: logAt('debug') } as never,
    defer: (fn) => void queue.push(fn),
  });
  return {
    proxy, links, stats, logs, sockets, queue,
    get opens() { return opens; },
    get bindingReads() { return bindingReads; },
    failOpen: (e: Error | undefined) => void (openError = e),
    setSettings: (s: typeof settings) => void (settings = s),
    /** Bind a VM on its tap (present and up unless said) and tell the proxy, as the tap lifecycle does. */
    bind(b: Binding, up = true) {
      bindings.set(b.tap, b);
      tapUp.set(b.tap, up);
      proxy.changed();
    },
    unbind(tap: string) {
      bindings.delete(tap);
      proxy.changed();
    },
    setUp(tap: string, up: boolean) {
      tapUp.set(tap, up);
      proxy.changed();
    },
    /** The end of the event-loop turn: run what was deferred. */
    flush() {
      for (let fn = queue.shift(); fn; fn = queue.shift()) fn();
    },
    /** The socket open now for `ifindex`. */
    open(ifindex = 2): FakeSocket {
      const s = sockets.filter((x) => x.ifindex === ifindex && !x.closed);
      if (s.length !== 1) throw new Error(`${s.length} open sockets on ${ifindex}`);
      return s[0]!;
    },
    counters: () => stats.tap('uplink0') ?? { replies: {}, drops: {} },
  };
}

export const vm40 = (over: Partial<Binding> = {}): Binding => testBinding({ tap: 'tap40', indev: 'tap40', mac: 'aa:00:00:00:00:40', ip: VM4, eui64: VM6, ...over });
