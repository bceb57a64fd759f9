/**
 * Clock jumps (issue 6 item 3): the "uplink missing" warning is limited to
 * one per minute per tap and uplink on the wall clock; a clock stepped back
 * must not mute it until the clock catches up.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Announcer } from '../../../src/runtime/announcer.js';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { settingsWith } from '../../helpers/settings.js';
import { Stats } from '../../../src/runtime/stats.js';
import type { Tap } from '../../../src/runtime/tap-table.js';

afterEach(() => vi.useRealTimers());

describe('Announcer warnings and clock jumps', () => {
  it('warns again after a step back instead of staying silent for the size of the step', () => {
    vi.useFakeTimers();
    const T = Date.UTC(2030, 0, 1);
    vi.setSystemTime(T);
    const settings = settingsWith({ announce: { uplink: 'uplink0', arpCount: 1 } });
    const warnings: unknown[] = [];
    const log = { info: () => undefined, debug: () => undefined, error: () => undefined, warn: (o: unknown) => warnings.push(o) };
    const stats = new Stats();
    const a = new Announcer({
      settings: () => settings,
      links: { byName: () => undefined }, // the uplink is missing
      send: () => ({ ok: true }),
      stats,
      log: log as never,
    });
    const r = parseBindingFile('tap10', 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\n');
    if (!r.ok) throw new Error('binding');
    const tap: Tap = { binding: r.binding, link: { ifindex: 7, name: 'tap10', mac: 'fe:00:00:00:00:10', up: true, running: true } };

    a.announce(tap, 'command');
    vi.advanceTimersByTime(10_000);
    expect(warnings).toHaveLength(1);
    a.announce(tap, 'command');
    vi.advanceTimersByTime(10_000);
    expect(warnings).toHaveLength(1); // within the minute: counted, not logged
    vi.setSystemTime(T - 3_600_000); // one hour back
    a.announce(tap, 'command');
    vi.advanceTimersByTime(10_000);
    expect(warnings).toHaveLength(2);
    expect(stats.tap('tap10')!.drops['garp-uplink-unavailable']).toBe(3);
  });
});
