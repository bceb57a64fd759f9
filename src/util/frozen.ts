/**
 * Immutable plain data: a type that says so, and the freeze that makes it
 * true at run time. Values built once and then shared (bindings, settings)
 * are keyed on identity by caches (WeakMaps of encoded options, views):
 * that is only sound if nobody can change them in place, which `Frozen`
 * rules out at compile time and `deepFreeze` at run time.
 */

/** `T` with every property and array, at every depth, read-only. */
export type Frozen<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<Frozen<U>>
    : T extends object
      ? { readonly [K in keyof T]: Frozen<T[K]> }
      : T;

/** Freezes `o` and everything it holds (plain objects and arrays); returns it. */
export function deepFreeze<T>(o: T): Frozen<T> {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o as Frozen<T>;
}
