/**
 * Natural order of names such as interface names: tap2 before tap10,
 * vm10-0 before vm10-1; digit runs compare by value, everything else by
 * code unit. Hand-written (no Intl.Collator): a total, locale-free order
 * that costs nothing to set up on the daemon's event loop.
 */

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ie = i;
      while (ie < a.length && isDigit(a.charCodeAt(ie))) ie++;
      let je = j;
      while (je < b.length && isDigit(b.charCodeAt(je))) je++;
      let is = i;
      while (is < ie - 1 && a.charCodeAt(is) === 48) is++;
      let js = j;
      while (js < je - 1 && b.charCodeAt(js) === 48) js++;
      if (ie - is !== je - js) return ie - is - (je - js);
      for (let k = 0; k < ie - is; k++) {
        const d = a.charCodeAt(is + k) - b.charCodeAt(js + k);
        if (d !== 0) return d;
      }
      i = ie;
      j = je;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0) return rest;
  return a < b ? -1 : a > b ? 1 : 0; // "tap01" vs "tap1": equal by value, still ordered
}

/** Index of the first item whose name sorts after `from` (binary search; `items` are sorted by name). */
export function firstAfter<T>(items: readonly T[], name: (item: T) => string, from: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNatural(name(items[mid]!), from) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
