import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TIMER_ERROR_LOG_INTERVAL_MS, runGuarded, safeInterval, safeTimeout, withTimeout } from '../../../src/util/timer.js';

describe('safe timers (issue 11: a throw in a timer is logged and survived)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('a throwing timeout is logged, not rethrown', () => {
    const errors: Array<Record<string, unknown>> = [];
    safeTimeout('t-once', () => { throw new Error('x'); }, 5, { error: (o) => void errors.push(o) });
    expect(() => vi.advanceTimersByTime(10)).not.toThrow();
    expect(errors).toEqual([expect.objectContaining({ timer: 't-once' })]);
  });

  it('a throwing interval keeps running; its throws are logged once a minute with the count in between', () => {
    const errors: Array<Record<string, unknown>> = [];
    let runs = 0;
    const t = safeInterval('t-every', () => { runs++; throw new Error('y'); }, 1000, { error: (o) => void errors.push(o) });
    vi.advanceTimersByTime(2 * TIMER_ERROR_LOG_INTERVAL_MS + 500);
    clearInterval(t);
    expect(runs).toBe(120);
    expect(errors).toHaveLength(2); // at 1 s and 61 s
    expect(errors[1]).toMatchObject({ timer: 't-every', suppressed: 59 });
  });

  it('runGuarded returns normally after a throw of a non-Error', () => {
    const errors: Array<Record<string, unknown>> = [];
    runGuarded('t-value', () => { throw 'plain string'; }, { error: (o) => void errors.push(o) });
    expect(errors[0]).toMatchObject({ timer: 't-value', err: 'plain string' });
  });
});

describe('withTimeout', () => {
  it('passes the promise through when it settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
  });

  it('rejects naming what timed out, once the time has passed', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'initial route dump')).rejects.toThrow('initial route dump timed out after 20 ms');
  });
});
