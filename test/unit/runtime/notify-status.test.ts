/**
 * NotifyStatus (issue 12): what systemd is told. Status changes are
 * coalesced into at most one STATUS per second, and none under no systemd.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotifyStatus, STATUS_DELAY_MS, statusLine } from '../../../src/runtime/notify-status.js';

function rig(enabled = true, readyError?: string) {
  const calls: string[] = [];
  const warned: Array<Record<string, unknown>> = [];
  let attached = 0;
  const s = new NotifyStatus({
    notify: {
      enabled,
      ready: (st) => (calls.push(`READY ${st}`), readyError),
      status: (st) => void calls.push(`STATUS ${st}`),
      reloading: () => void calls.push('RELOADING'),
      reloaded: (st) => void calls.push(`RELOADED ${st}`),
      stopping: () => void calls.push('STOPPING'),
    },
    line: () => statusLine(attached, 5),
    log: { warn: (o) => void warned.push(o), error: () => undefined },
  });
  return { s, calls, warned, attach: () => void attached++ };
}

afterEach(() => vi.useRealTimers());

describe('NotifyStatus', () => {
  it('coalesces changes into one STATUS within a second, with the line as it is then', () => {
    vi.useFakeTimers();
    const r = rig();
    r.s.ready();
    expect(r.calls).toEqual(['READY serving 0 of 5 bindings']);
    for (let i = 0; i < 3; i++) {
      r.attach();
      r.s.changed();
    }
    vi.advanceTimersByTime(STATUS_DELAY_MS - 1);
    expect(r.calls).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(r.calls).toEqual(['READY serving 0 of 5 bindings', 'STATUS serving 3 of 5 bindings']);
    r.attach();
    r.s.changed();
    vi.advanceTimersByTime(STATUS_DELAY_MS);
    expect(r.calls.at(-1)).toBe('STATUS serving 4 of 5 bindings');
    expect(r.calls).toHaveLength(3);
  });

  it('arms no timer without systemd', () => {
    vi.useFakeTimers();
    const r = rig(false);
    r.s.changed();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stopping drops a pending STATUS; reload is RELOADING then READY with the line', () => {
    vi.useFakeTimers();
    const r = rig();
    r.s.reloading();
    r.s.reloaded();
    r.s.changed();
    r.s.stopping();
    vi.advanceTimersByTime(STATUS_DELAY_MS * 2);
    expect(r.calls).toEqual(['RELOADING', 'RELOADED serving 0 of 5 bindings', 'STOPPING']);
  });

  it('a failed READY is a warning', () => {
    const r = rig(true, 'ECONNREFUSED');
    r.s.ready();
    expect(r.warned).toEqual([{ err: 'ECONNREFUSED' }]);
  });
});
