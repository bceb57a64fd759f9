/**
 * Clock jumps (issue 6 item 3). The per-tap flood guard and the solicited-RA
 * limit are token buckets on the wall clock the packet path is given: a
 * clock stepped back must neither throw nor add tokens nor lock a tap out,
 * and a clock stepped forward refills at most one burst.
 */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/util/token-bucket.js';

function drain(b: TokenBucket, now: number): number {
  let n = 0;
  while (b.take(now)) n++;
  return n;
}

describe('TokenBucket and clock jumps', () => {
  const T = Date.UTC(2030, 0, 1);

  it('starts full and refills at its rate', () => {
    const b = new TokenBucket(5, 10, T);
    expect(drain(b, T)).toBe(5);
    expect(drain(b, T + 100)).toBe(1);
    expect(drain(b, T + 600)).toBe(5);
  });

  it('a step back adds nothing and the rate continues from the new time', () => {
    const b = new TokenBucket(5, 10, T);
    expect(drain(b, T)).toBe(5);
    expect(drain(b, T - 3_600_000)).toBe(0); // one hour back: no credit, no exception
    expect(drain(b, T - 3_600_000 + 100)).toBe(1); // and not locked out until the clock catches up
    expect(drain(b, T - 3_600_000 + 300)).toBe(2);
  });

  it('a step forward refills at most one burst', () => {
    const b = new TokenBucket(5, 10, T);
    drain(b, T);
    expect(drain(b, T + 365 * 86_400_000)).toBe(5);
    expect(drain(b, T + 365 * 86_400_000)).toBe(0);
  });

  it('a time that is not a finite number neither unlocks nor locks the bucket', () => {
    const b = new TokenBucket(3, 1, T);
    drain(b, T);
    expect(b.take(Number.NaN)).toBe(false);
    expect(b.take(Number.POSITIVE_INFINITY)).toBe(false);
    expect(drain(b, T + 1000)).toBe(1); // the rate goes on from the last real time
    expect(drain(b, T + 2000)).toBe(1);
  });
});
