import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { defaultSettings, type SettingsOverrides } from '../../../src/config/config.js';
import { settingsWith } from '../../helpers/settings.js';
import { firstPeriodicDelayMs, initialBurstOffsetsMs, periodicIntervalMs } from '../../../src/protocols/ra-schedule.js';
import { INITIAL_SPACING_MS, MAX_INITIAL_DELAY_MS, RaScheduler } from '../../../src/runtime/ra-scheduler.js';
import type { Tap } from '../../../src/runtime/tap-table.js';

function tap(ifindex: number, up = true): Tap {
  const r = parseBindingFile(`tap${ifindex}`, `MAC=aa:00:00:00:00:10\nSUBNET6=2001:db8:10::/64\n`);
  if (!r.ok) throw new Error('binding');
  return { binding: r.binding, link: { ifindex, name: `tap${ifindex}`, mac: 'fe:00:00:00:00:01', up, running: up } };
}

describe('RA schedule (pure)', () => {
  it('draws periodic intervals within [0.33 × period, period]', () => {
    expect(periodicIntervalMs(300, () => 0)).toBe(99_000);
    expect(periodicIntervalMs(300, () => 0.999999)).toBeLessThanOrEqual(300_000);
    expect(periodicIntervalMs(4, () => 0)).toBe(3_000); // never closer than 3 s
  });

  it('spreads first periodic RAs of many taps evenly over one period', () => {
    // Deterministic pseudo-random sequence (LCG) for 4096 taps.
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const buckets = new Array(30).fill(0); // 10 s buckets over 300 s
    for (let i = 0; i < 4096; i++) buckets[Math.floor(firstPeriodicDelayMs(300, rnd) / 10_000)]++;
    const mean = 4096 / 30;
    for (const b of buckets) expect(Math.abs(b - mean)).toBeLessThan(mean * 0.35);
  });

  it('sends an initial burst of 3 within 16 s gaps', () => {
    const o = initialBurstOffsetsMs();
    expect(o).toHaveLength(3);
    expect(o[0]).toBe(0);
    for (let i = 1; i < o.length; i++) expect(o[i]! - o[i - 1]!).toBeLessThanOrEqual(16_000);
  });
});

describe('RaScheduler', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function make() {
    const sent: Array<[number, string]> = [];
    let s = defaultSettings();
    const sch = new RaScheduler({ settings: () => s, send: (t, k) => sent.push([t.link.ifindex, k]), random: () => 0.5 });
    /** A reload: the scheduler sees new settings from its next call on. */
    const reload = (o: SettingsOverrides) => void (s = settingsWith(o, s));
    return { sch, sent, reload };
  }

  it('bursts on attach to an up tap, then keeps sending periodically', () => {
    const { sch, sent } = make();
    sch.attach(tap(5));
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([[5, 'initial']]);
    vi.advanceTimersByTime(6_000);
    expect(sent.filter(([, k]) => k === 'initial')).toHaveLength(3);
    vi.advanceTimersByTime(150_000); // first periodic at 0.5 × 300 s
    expect(sent.filter(([, k]) => k === 'periodic')).toHaveLength(1);
    vi.advanceTimersByTime(199_500); // next at 99 s + 0.5 × 201 s = 199.5 s
    expect(sent.filter(([, k]) => k === 'periodic')).toHaveLength(2);
  });

  it('keeps every tap\'s RAs going after a send throws for one of them', () => {
    const sent: number[] = [];
    let fail = true;
    const s = defaultSettings();
    const sch = new RaScheduler({
      settings: () => s,
      send: (t) => {
        if (t.link.ifindex === 5 && fail) {
          fail = false;
          throw new Error('boom');
        }
        sent.push(t.link.ifindex);
      },
      random: () => 0.5,
      log: { error: () => undefined },
    });
    sch.attach(tap(5));
    sch.attach(tap(6));
    expect(() => vi.advanceTimersByTime(10)).not.toThrow(); // logged (see the test below), not thrown
    vi.advanceTimersByTime(400_000); // nothing re-arms the timer but the scheduler itself
    expect(sent.filter((i) => i === 5).length).toBeGreaterThanOrEqual(3); // 2 more initial + periodic
    expect(sent.filter((i) => i === 6).length).toBeGreaterThanOrEqual(4);
  });

  it('sends nothing while the tap is down, bursts when it comes up, stops on detach', () => {
    const { sch, sent } = make();
    const down = tap(6, false);
    sch.attach(down);
    vi.advanceTimersByTime(400_000);
    expect(sent).toEqual([]);
    sch.linkChanged(tap(6, true), false);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([[6, 'initial']]);
    sch.detach(6);
    vi.advanceTimersByTime(1_000_000);
    expect(sent).toEqual([[6, 'initial']]);
    expect(sch.size).toBe(0);
  });

  it('ignores bindings without SUBNET6 and a disabled IPv6', () => {
    const { sch, sent, reload } = make();
    const t = tap(7);
    t.binding = { ...t.binding, subnet6: undefined };
    sch.attach(t);
    reload({ ipv6: { enable: false } });
    sch.attach(tap(8));
    vi.advanceTimersByTime(1_000_000);
    expect(sent).toEqual([]);
  });

  it('stop() clears everything without sending a withdrawal', () => {
    const { sch, sent } = make();
    sch.attach(tap(9, false));
    sch.stop();
    vi.advanceTimersByTime(1_000_000);
    expect(sent).toEqual([]);
  });

  // Regression: a reload that changed ra_period marked every tap down, silencing periodic RAs.
  it('reschedule() keeps sending periodic RAs on up taps, without a new burst', () => {
    const { sch, sent, reload } = make();
    sch.attach(tap(11), false);
    reload({ ipv6: { raPeriod: 10 } });
    sch.reschedule();
    vi.advanceTimersByTime(20_000);
    expect(sent.filter(([, k]) => k === 'initial')).toEqual([]);
    expect(sent.filter(([, k]) => k === 'periodic').length).toBeGreaterThanOrEqual(2);
  });

  it('one schedule for thousands of taps: every tap sends about once per interval, and one timer is pending', () => {
    const sent = new Map<number, number>();
    const s = settingsWith({ ipv6: { raPeriod: 30 } });
    let x = 7;
    const random = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const sch = new RaScheduler({ settings: () => s, send: (t, k) => void (k === 'periodic' && sent.set(t.link.ifindex, (sent.get(t.link.ifindex) ?? 0) + 1)), random });
    for (let i = 1; i <= 2000; i++) sch.attach(tap(i), false);
    expect(vi.getTimerCount()).toBe(1);
    // First RA within one period (uniform in [0, 30 s)), then intervals in [9.9 s, 30 s]: over 120 s, 4..12 each.
    vi.advanceTimersByTime(120_000);
    expect(sent.size).toBe(2000);
    for (const n of sent.values()) {
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(13);
    }
    expect(vi.getTimerCount()).toBe(1);
  });

  it('spreads the initial bursts of many taps attaching at once; a lone tap starts at once', () => {
    const firsts: number[] = [];
    const s = defaultSettings();
    const seen = new Set<number>();
    const t0 = performance.now();
    const sch = new RaScheduler({
      settings: () => s,
      send: (t, k) => {
        if (k === 'initial' && !seen.has(t.link.ifindex)) {
          seen.add(t.link.ifindex);
          firsts.push(performance.now() - t0);
        }
      },
      random: () => 0.5,
    });
    for (let i = 1; i <= 4096; i++) sch.attach(tap(i));
    vi.advanceTimersByTime(20_000);
    expect(firsts).toHaveLength(4096);
    // Evenly: at most 100 ms / spacing (+1) first RAs in any 100 ms, all within MAX_INITIAL_DELAY_MS.
    const per100 = new Map<number, number>();
    for (const t of firsts) per100.set(Math.floor(t / 100), (per100.get(Math.floor(t / 100)) ?? 0) + 1);
    expect(Math.max(...per100.values())).toBeLessThanOrEqual(100 / INITIAL_SPACING_MS + 1);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(MAX_INITIAL_DELAY_MS);
    // Later, a lone tap (a VM booting) is not delayed behind anyone.
    const t1 = performance.now();
    let at = -1;
    const lone = new RaScheduler({ settings: () => s, send: () => void (at < 0 && (at = performance.now() - t1)), random: () => 0.5 });
    lone.attach(tap(5000));
    vi.advanceTimersByTime(5);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThanOrEqual(1);
  });

  it('never starts a burst later than MAX_INITIAL_DELAY_MS, however many taps attach', () => {
    const s = defaultSettings();
    let last = 0;
    const t0 = performance.now();
    const sch = new RaScheduler({ settings: () => s, send: (_t, k) => void (k === 'initial' && (last = performance.now() - t0)), random: () => 0.5, initialSpacingMs: 10 });
    for (let i = 1; i <= 3000; i++) sch.attach(tap(i)); // 30 s of slots at 10 ms
    vi.advanceTimersByTime(60_000);
    // The last burst starts by 16 s; its RAs follow at the burst's own offsets.
    expect(last).toBeLessThanOrEqual(MAX_INITIAL_DELAY_MS + initialBurstOffsetsMs().at(-1)!);
  });

  it('detached and re-attached taps leave no pile of stale entries', () => {
    const { sch, sent } = make();
    for (let round = 0; round < 200; round++) {
      for (let i = 1; i <= 50; i++) sch.attach(tap(i));
      for (let i = 1; i <= 50; i++) sch.detach(i);
      sch.attach(tap(1000));
    }
    expect(sch.size).toBe(1);
    expect(sch.pending).toBeLessThanOrEqual(2 * 4 * 51 + 1024 + 4);
    vi.advanceTimersByTime(400_000);
    expect(sent.every(([i]) => i === 1000 || i <= 50)).toBe(true);
    expect(sent.filter(([i, k]) => i !== 1000 && k === 'periodic')).toEqual([]); // detached taps never send periodic RAs
  });
});

describe('RaScheduler survives a throwing send (issue 11: no last-resort handler for timers)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('logs the throw, still sends the other taps\' RAs in the same turn, and keeps running', () => {
    const s = defaultSettings();
    const sent: Array<[number, string]> = [];
    const errors: Array<Record<string, unknown>> = [];
    const sch = new RaScheduler({
      settings: () => s,
      send: (t, k) => {
        if (t.link.ifindex === 5) throw new Error('boom on tap5');
        sent.push([t.link.ifindex, k]);
      },
      random: () => 0.5,
      initialSpacingMs: 0, // both bursts due in the same timer turn
      log: { error: (o) => void errors.push(o) },
    });
    sch.attach(tap(5));
    sch.attach(tap(6));
    // Before the fix the throw left the timer callback: an uncaught exception (the process ends).
    expect(() => vi.advanceTimersByTime(10)).not.toThrow();
    expect(sent).toEqual([[6, 'initial']]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ timer: 'ra-scheduler send' });
    expect(String(errors[0]!.err)).toContain('boom on tap5');
    vi.advanceTimersByTime(400_000);
    expect(sent.filter(([i, k]) => i === 6 && k === 'initial')).toHaveLength(3);
    expect(sent.filter(([i, k]) => i === 6 && k === 'periodic').length).toBeGreaterThanOrEqual(1);
    expect(sch.size).toBe(2);
  });
});
