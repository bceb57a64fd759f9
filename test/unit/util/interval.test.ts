/**
 * The "at most once every N ms" check the rate-limited log lines share
 * (packet path, announcer, control server): within the interval it mutes,
 * and a clock stepped back (issue 6 item 3) never mutes.
 */
import { describe, expect, it } from 'vitest';
import { OncePerInterval, withinInterval } from '../../../src/util/interval.js';

describe('withinInterval', () => {
  const T = Date.UTC(2030, 0, 1);

  it('is within from the last time up to, not including, last + ms', () => {
    expect(withinInterval(T, T, 10_000)).toBe(true);
    expect(withinInterval(T + 9_999, T, 10_000)).toBe(true);
    expect(withinInterval(T + 10_000, T, 10_000)).toBe(false);
    expect(withinInterval(T + 3_600_000, T, 10_000)).toBe(false);
  });

  it('a clock stepped back is never within, however small the step', () => {
    expect(withinInterval(T - 1, T, 10_000)).toBe(false);
    expect(withinInterval(T - 3_600_000, T, 10_000)).toBe(false);
  });

  it('a time that is not a number is never within (logs rather than mutes)', () => {
    expect(withinInterval(Number.NaN, T, 10_000)).toBe(false);
  });
});

describe('OncePerInterval', () => {
  const T = Date.UTC(2030, 0, 1);

  it('lets each key through once per interval, keys independent', () => {
    const o = new OncePerInterval();
    expect(o.take('a', T, 60_000)).toBe(true);
    expect(o.take('a', T + 59_999, 60_000)).toBe(false);
    expect(o.take('b', T + 1, 60_000)).toBe(true);
    expect(o.take('a', T + 60_000, 60_000)).toBe(true);
    expect(o.take('a', T + 60_001, 60_000)).toBe(false); // the interval starts again at the last time let through
  });

  it('a clock stepped back lets the key through and restarts the interval from the new time', () => {
    const o = new OncePerInterval();
    expect(o.take('a', T, 60_000)).toBe(true);
    expect(o.take('a', T - 3_600_000, 60_000)).toBe(true);
    expect(o.take('a', T - 3_600_000 + 1_000, 60_000)).toBe(false);
  });

  it('the interval is per call: a shorter one lets the key through sooner', () => {
    const o = new OncePerInterval();
    expect(o.take('a', T, 60_000)).toBe(true);
    expect(o.take('a', T + 10_000, 60_000)).toBe(false);
    expect(o.take('a', T + 10_000, 10_000)).toBe(true);
  });

  it('forgets every key once more than maxKeys are held (bounded under churn)', () => {
    const o = new OncePerInterval(3);
    for (const k of ['a', 'b', 'c', 'd']) expect(o.take(k, T, 60_000)).toBe(true);
    expect(o.take('a', T, 60_000)).toBe(false); // four held, none forgotten yet
    expect(o.take('e', T, 60_000)).toBe(true); // more than three: all forgotten, then 'e' kept
    expect(o.take('a', T, 60_000)).toBe(true);
    expect(o.take('e', T, 60_000)).toBe(false);
  });
});
