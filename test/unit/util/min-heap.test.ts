import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../../src/util/min-heap.js';

describe('MinHeap', () => {
  it('pops in ascending order of `at`, whatever the push order (and interleaved pushes)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), fc.array(fc.integer({ min: -1000, max: 1000 })), (a, b) => {
        const h = new MinHeap<{ at: number }>();
        for (const at of a) h.push({ at });
        const out: number[] = [];
        // Pop half, push the rest, pop all: still a sorted stream of what is in it.
        for (let i = 0; i < a.length / 2; i++) out.push(h.pop()!.at);
        const rest = [...a].sort((x, y) => x - y).slice(out.length);
        for (const at of b) h.push({ at });
        const tail: number[] = [];
        while (h.size > 0) tail.push(h.pop()!.at);
        expect(out).toEqual([...a].sort((x, y) => x - y).slice(0, out.length));
        expect(tail).toEqual([...rest, ...b].sort((x, y) => x - y));
      }),
    );
  });

  it('peek, empty pop, retain and clear', () => {
    const h = new MinHeap<{ at: number; id: string }>();
    expect(h.pop()).toBeUndefined();
    expect(h.peek()).toBeUndefined();
    for (const [at, id] of [[5, 'a'], [1, 'b'], [3, 'c'], [2, 'd']] as const) h.push({ at, id });
    expect(h.peek()).toEqual({ at: 1, id: 'b' });
    h.retain((e) => e.id !== 'b' && e.id !== 'c');
    expect(h.size).toBe(2);
    expect(h.pop()).toEqual({ at: 2, id: 'd' });
    h.clear();
    expect(h.size).toBe(0);
  });
});
