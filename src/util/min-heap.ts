/**
 * A binary min-heap of items ordered by a numeric key (`at`): O(log n) push
 * and pop, the smallest on top. The RA scheduler keeps every tap's next RA
 * in one, so 4096 taps need one timer, not 4096.
 */
export class MinHeap<T extends { at: number }> {
  readonly #h: T[] = [];

  get size(): number {
    return this.#h.length;
  }

  /** The item with the smallest `at`, or undefined when empty. */
  peek(): T | undefined {
    return this.#h[0];
  }

  push(e: T): void {
    const h = this.#h;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  /** Removes and returns the smallest, or undefined when empty. */
  pop(): T | undefined {
    const h = this.#h;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }

  /** Keeps only the items `keep` accepts (rebuilt in O(n log n)). */
  retain(keep: (e: T) => boolean): void {
    const kept = this.#h.filter(keep);
    this.#h.length = 0;
    for (const e of kept) this.push(e);
  }

  clear(): void {
    this.#h.length = 0;
  }
}
