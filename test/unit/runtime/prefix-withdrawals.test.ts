/** Issue 14, item 5: a withdrawn prefix's valid lifetime counts down in real time (RFC 9096 §3.3), then it is gone. */
import { describe, expect, it } from 'vitest';
import { PrefixWithdrawals } from '../../../src/runtime/prefix-withdrawals.js';

describe('PrefixWithdrawals', () => {
  it('counts the valid lifetime down, drops it at 0, and not while the binding advertises it again', () => {
    let now = 1000;
    const w = new PrefixWithdrawals(() => now);
    expect(w.of('tap10')).toBeUndefined();
    w.withdraw('tap10', '2001:db8:10::', 64, 7200);
    expect(w.of('tap10', { network: '2001:db8:20::', prefixLength: 64 })).toEqual([{ prefix: '2001:db8:10::', prefixLength: 64, validLifetime: 7200 }]);
    now += 3_600_500;
    expect(w.of('tap10')?.[0]?.validLifetime).toBe(3600);
    expect(w.of('tap11')).toBeUndefined();
    now += 3_600_000;
    expect(w.of('tap10')).toBeUndefined();
    expect(w.size).toBe(0);
    w.withdraw('tap10', '2001:db8:10::', 64, 7200);
    expect(w.of('tap10', { network: '2001:db8:10::', prefixLength: 64 })).toBeUndefined(); // back: its own PIO says valid
    w.withdraw('tap10', '2001:db8:10::', 64, 7200);
    w.withdraw('tap10', '2001:db8:30::', 64, 100); // one per tap: the last one left
    expect(w.of('tap10')).toEqual([{ prefix: '2001:db8:30::', prefixLength: 64, validLifetime: 100 }]);
    w.forget('tap10');
    expect(w.size).toBe(0);
    w.withdraw('tap12', '2001:db8:10::', 64, 0);
    expect(w.size).toBe(0);
  });
});
