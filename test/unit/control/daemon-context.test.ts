/**
 * The daemon adapter on a real store, state directory and directory
 * watcher: persist first, apply at once, and the watcher re-reading our own
 * write changes nothing.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { BindingDirectory } from '../../../src/bindings/directory.js';
import { nodeFs } from '../../../src/bindings/persist.js';
import { BindingStore } from '../../../src/bindings/store.js';
import { defaultSettings } from '../../../src/config/config.js';
import { settingsWith } from '../../helpers/settings.js';
import { createDaemonContext, type DaemonContextDeps } from '../../../src/control/daemon-context.js';
import { dispatch } from '../../../src/control/dispatch.js';
import { Stats } from '../../../src/runtime/stats.js';
import { TapTable, type LinkInfo, type LinkSource, type Tap } from '../../../src/runtime/tap-table.js';
import { ROOT, TAP10, binding } from './fake-context.js';
import { until } from '../../helpers/until.js';

class FakeLinks extends EventEmitter implements LinkSource {
  readonly byIdx = new Map<number, LinkInfo>();
  byName(name: string): LinkInfo | undefined {
    for (const l of this.byIdx.values()) if (l.name === name) return l;
    return undefined;
  }
  byIndex(i: number): LinkInfo | undefined {
    return this.byIdx.get(i);
  }
  links(): Iterable<LinkInfo> {
    return this.byIdx.values();
  }
  add(l: LinkInfo): void {
    this.byIdx.set(l.ifindex, l);
    this.emit('link', l);
  }
}

const silent = pino({ level: 'silent' });

describe('daemon context', () => {
  let dir: string;
  let store: BindingStore;
  let links: FakeLinks;
  let taps: TapTable;
  let stats: Stats;
  let bd: BindingDirectory | undefined;
  let sets: number;
  let removes: number;
  let announced: Tap[];

  function make(over: Partial<DaemonContextDeps> = {}) {
    return createDaemonContext({
      store,
      datapath: () => dir,
      stats,
      taps: () => taps,
      links: () => links,
      settings: () => defaultSettings(),
      announce: (t) => void announced.push(t),
      reload: () => ({ ok: true, source: '/etc/onlinkd/onlinkd.conf' }),
      startedAt: new Date('2026-01-01T00:00:00Z'),
      now: () => new Date('2026-01-01T01:00:05Z'),
      version: '1.2.3',
      pid: 4242,
      ...over,
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-ctx-'));
    store = new BindingStore();
    links = new FakeLinks();
    taps = new TapTable(store, links, silent);
    stats = new Stats();
    sets = 0;
    removes = 0;
    announced = [];
    store.on('set', () => sets++);
    store.on('removed', () => removes++);
  });
  afterEach(() => {
    bd?.close();
    bd = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('addBinding persists atomically, applies at once, and the watcher re-read is a no-op', async () => {
    const logs: Array<Record<string, unknown>> = [];
    bd = new BindingDirectory(dir, store, pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) }), { settleMs: 5 });
    await bd.start();
    const ctx = make();
    const b = binding('tap10', TAP10);
    const r = await ctx.addBinding(b);
    expect(r.previous).toBeUndefined();
    expect(store.get('tap10')).toEqual(b); // applied before any watcher event
    expect(sets).toBe(1);
    const text = readFileSync(join(dir, 'tap10'), 'utf8');
    expect(text).toBe(serializeBinding(b));
    expect(readdirSync(dir)).toEqual(['tap10']);
    // Let the watcher see the rename and read the file.
    await new Promise((res) => setTimeout(res, 150));
    await bd.rescan();
    expect(sets).toBe(1);
    expect(logs.filter((l) => /binding (loaded|updated)/.test(String(l.msg)))).toEqual([]);
    // The same binding again: no 'set' event (no re-attach), file rewritten.
    await ctx.addBinding(binding('tap10', TAP10));
    expect(sets).toBe(1);
  });

  it('a failed write changes neither the store nor the file', async () => {
    const ctx0 = make();
    const b = binding('tap10', TAP10);
    await ctx0.addBinding(b);
    const before = readFileSync(join(dir, 'tap10'), 'utf8');
    const ctx = make({
      persist: { fs: { ...nodeFs, rename: async () => Promise.reject(Object.assign(new Error('EROFS'), { code: 'EROFS' })) } },
    });
    const other = binding('tap10', TAP10.replace('203.0.113.10', '203.0.113.99'));
    await expect(ctx.addBinding(other)).rejects.toThrow(/read-only file system \(EROFS at rename\)/);
    expect(store.get('tap10')).toEqual(b);
    expect(readFileSync(join(dir, 'tap10'), 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['tap10']);
  });

  it('via dispatch: a persist failure is result 1 and nothing changes', async () => {
    const ctx = make({ persist: { fs: { ...nodeFs, open: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOSPC' })) } } });
    const r = await dispatch({ command: 'binding-add', arguments: { tap: 'tap10', mac: 'aa:00:00:00:00:10' } }, ctx, ROOT);
    expect(r.result).toBe(1);
    expect(r.text).toBe(`binding-add failed: cannot write binding file ${join(dir, 'tap10')}: no space left on device (ENOSPC at open)`);
    expect(store.size).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('concurrent adds of one tap end with the store equal to the file', async () => {
    const ctx = make();
    const ips = Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 10}`);
    await Promise.all(ips.map((ip) => ctx.addBinding(binding('tap10', TAP10.replace('203.0.113.10', ip)))));
    const file = parseBindingFile('tap10', readFileSync(join(dir, 'tap10'), 'utf8'));
    expect(file.ok && file.binding).toEqual(store.get('tap10'));
    expect(store.get('tap10')!.ip).toBe(ips.at(-1)); // serialised in request order
  });

  it('delBinding unlinks then removes; a bad-only file is removable; nothing → removed false', async () => {
    bd = new BindingDirectory(dir, store, silent, { settleMs: 5 });
    await bd.start();
    const ctx = make();
    await ctx.addBinding(binding('tap10', TAP10));
    const r = await ctx.delBinding('tap10');
    expect(r).toEqual({ removed: true, binding: expect.objectContaining({ tap: 'tap10' }) });
    expect(readdirSync(dir)).toEqual([]);
    expect(store.get('tap10')).toBeUndefined();
    expect(removes).toBe(1);
    await new Promise((res) => setTimeout(res, 100));
    expect(removes).toBe(1);

    writeFileSync(join(dir, 'tap11'), 'IP=nonsense\n');
    await until(() => store.entry('tap11')?.error !== undefined, 3000, 5);
    expect(await ctx.delBinding('tap11')).toEqual({ removed: true, binding: undefined });
    expect(store.entry('tap11')).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);

    expect(await ctx.delBinding('tap12')).toEqual({ removed: false, binding: undefined });
  });

  it('list/get join the store with live links, router MAC included', async () => {
    const ctx = make();
    await ctx.addBinding(binding('tap10', TAP10));
    await ctx.addBinding(binding('tap11', 'MAC=aa:00:00:00:00:11\n'));
    links.add({ ifindex: 7, name: 'tap10', mac: 'fe:54:00:00:00:01', up: true, running: false });
    const infos = [...ctx.listBindings()];
    expect(infos.map((i) => [i.tap, i.link])).toEqual([
      ['tap10', { ifindex: 7, up: true, running: false, serverMac: 'fe:54:00:00:00:01' }],
      ['tap11', undefined],
    ]);
    const view = await dispatch({ command: 'binding-get', arguments: { tap: 'tap10' } }, ctx, ROOT);
    expect(view.arguments!.link).toMatchObject({ routerLinkLocal: 'fe80::fc54:ff:fe00:1%tap10' });
    expect(ctx.getBinding('nope')).toBeUndefined();
  });

  it('announce: no binding, tap absent, sent, failing announcer, no announcer', async () => {
    const ctx = make();
    expect(await ctx.announce('tap10')).toMatchObject({ ok: false, reason: 'no-binding' });
    await ctx.addBinding(binding('tap10', TAP10));
    expect(await ctx.announce('tap10')).toMatchObject({ ok: false, reason: 'not-attached' });
    links.add({ ifindex: 7, name: 'tap10', mac: 'fe:54:00:00:00:01', up: true, running: true });
    expect(await ctx.announce('tap10')).toMatchObject({ ok: true, details: { ip: '203.0.113.10' } });
    expect(announced.map((t) => t.link.ifindex)).toEqual([7]);
    const failing = make({ announce: () => Promise.reject(new Error('ENETDOWN')) });
    expect(await failing.announce('tap10')).toEqual({ ok: false, reason: 'failed', message: 'announce on tap10 failed: ENETDOWN' });
    const planned = make({ announce: () => ({ frames: 5 }) });
    expect(await planned.announce('tap10')).toMatchObject({ ok: true, details: { frames: 5 } });
    const nothing = make({ announce: () => ({ frames: 0 }) });
    expect(await nothing.announce('tap10')).toMatchObject({ ok: false, reason: 'failed', message: expect.stringMatching(/^nothing to announce for tap10: no uplink/) });
    const none = make({ announce: undefined });
    expect(await none.announce('tap10')).toMatchObject({ ok: false, reason: 'unavailable' });
  });

  it('status and stats', async () => {
    const ctx = make();
    await ctx.addBinding(binding('tap10', TAP10));
    const bad = parseBindingFile('tap11', 'IP=x\n');
    if (bad.ok) throw new Error('expected a parse error');
    store.reject('tap11', bad.error);
    expect(ctx.status()).toEqual({
      version: '1.2.3', pid: 4242, startedAt: '2026-01-01T00:00:00.000Z', uptimeSeconds: 3605,
      bindings: 2, attached: 0, rejected: 1, datapath: dir, controlSocket: '/run/onlinkd/control.sock', controlGroup: null, notApplied: {},
    });
    // A reload changed the configuration: status reports the control socket in force, never the file's wish.
    const reloaded = settingsWith({ general: { controlSocket: '/run/elsewhere.sock', controlGroup: 'ops' } });
    const inForce = { controlSocket: '/run/onlinkd/control.sock', controlGroup: null, notApplied: { control_socket: 'needs a restart' } };
    expect(make({ settings: () => reloaded, control: () => inForce }).status()).toMatchObject(inForce);
    stats.request('tap10', 'dhcp-discover', Date.parse('2026-01-01T00:00:01Z'));
    stats.drop(undefined, 'no-binding');
    expect(ctx.stats()).toMatchObject({
      global: { frames: 0, drops: { 'no-binding': 1 } },
      taps: { tap10: { requests: { 'dhcp-discover': 1 }, replies: {}, drops: {}, lastSeen: '2026-01-01T00:00:01.000Z' } },
    });
    expect(ctx.stats('tap99').taps).toEqual({});
    // A snapshot: changing it does not change the counters.
    ctx.stats('tap10').taps.tap10!.requests['dhcp-discover'] = 99;
    expect(stats.tap('tap10')!.requests['dhcp-discover']).toBe(1);
  });
});
