/**
 * KernelDrops (issue 12): the kernel's per-tap drop counters are counted on
 * every read, for bindings that still exist, and logged at most once per
 * 10 s with every tap that lost frames since the previous line.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { BindingStore } from '../../../src/bindings/store.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { KERNEL_STATS_INTERVAL_MS, KernelDrops } from '../../../src/runtime/kernel-drops.js';
import { Stats } from '../../../src/runtime/stats.js';

function rig() {
  const store = new BindingStore();
  for (const [tap, mac] of [['tap10', 'aa:00:00:00:00:10'], ['tap11', 'aa:00:00:00:00:11']] as const) {
    const r = parseBindingFile(tap, `MAC=${mac}\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\n`);
    if (!r.ok) throw new Error(r.error.message);
    store.set(r.binding);
  }
  const stats = new Stats();
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
  let next = new Map<string, number>();
  let total = { packets: 0, drops: 0 };
  let now = 1_000_000;
  const reads = { n: 0 };
  const k = new KernelDrops({
    sockets: {
      readKernelStats: () => {
        reads.n++;
        const drops = next;
        next = new Map();
        return { total, drops };
      },
    },
    store,
    stats,
    log,
    now: () => now,
  });
  const kernel = (drops: Array<[string, number]>) => {
    next = new Map(drops);
    total = { packets: total.packets + 100, drops: total.drops + drops.reduce((a, [, n]) => a + n, 0) };
  };
  const warned = () => logs.filter((l) => l.level === 40);
  return { k, stats, store, warned, kernel, reads, tick: (ms: number) => void (now += ms) };
}

afterEach(() => vi.useRealTimers());

describe('KernelDrops', () => {
  it('counts drops per bound tap and the kernel totals on every read', () => {
    const r = rig();
    r.kernel([['tap10', 3]]);
    r.k.read();
    r.kernel([['tap10', 2], ['tap11', 1], ['gone', 5]]);
    r.k.read();
    expect(r.stats.tap('tap10')?.drops).toEqual({ 'kernel-buffer-full': 5 });
    expect(r.stats.tap('tap11')?.drops).toEqual({ 'kernel-buffer-full': 1 });
    expect(r.stats.tap('gone')).toBeUndefined(); // a removed binding's counters stay gone
    expect(r.stats.global.kernel).toEqual({ packets: 200, drops: 11 });
  });

  it('logs at most one line per 10 s, with every tap that lost frames since the last line', () => {
    const r = rig();
    r.k.read();
    expect(r.warned()).toEqual([]); // nothing lost: nothing said
    r.kernel([['tap10', 3]]);
    r.k.read();
    expect(r.warned()).toHaveLength(1);
    expect(r.warned()[0]).toMatchObject({ lost: 3, total: 3, taps: { tap10: 3 } });
    r.tick(1000);
    r.kernel([['tap10', 2]]);
    r.k.read();
    r.tick(1000);
    r.kernel([['tap11', 4], ['gone', 1]]);
    r.k.read();
    expect(r.warned()).toHaveLength(1); // within 10 s of the last line: kept for the next
    r.tick(KERNEL_STATS_INTERVAL_MS);
    r.k.read();
    expect(r.warned()).toHaveLength(2);
    expect(r.warned()[1]).toMatchObject({ lost: 7, total: 10, taps: { tap10: 2, tap11: 4, gone: 1 } });
    r.tick(KERNEL_STATS_INTERVAL_MS);
    r.k.read();
    expect(r.warned()).toHaveLength(2); // nothing new lost
  });

  it('a clock stepped back does not mute the warning for good', () => {
    const r = rig();
    r.kernel([['tap10', 1]]);
    r.k.read();
    r.tick(-3_600_000);
    r.kernel([['tap10', 1]]);
    r.k.read();
    r.tick(KERNEL_STATS_INTERVAL_MS);
    r.k.read();
    expect(r.warned().length).toBeGreaterThanOrEqual(2);
  });

  it('reads every 10 s once started, until stopped', () => {
    vi.useFakeTimers();
    const r = rig();
    r.k.start();
    r.k.start(); // once
    vi.advanceTimersByTime(KERNEL_STATS_INTERVAL_MS * 3);
    expect(r.reads.n).toBe(3);
    r.k.stop();
    vi.advanceTimersByTime(KERNEL_STATS_INTERVAL_MS * 3);
    expect(r.reads.n).toBe(3);
  });
});
