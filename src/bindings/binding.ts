/**
 * A binding: what onlinkd knows about one VM interface (one tap), from its
 * binding file or a control-socket `binding-add`. Its fields are the keys of
 * the binding schema (schema.ts), plus the tap and the keys onlinkd does not
 * know.
 *
 * Immutable: read-only at every depth by type, frozen when built
 * (binding-build.ts). A change replaces the object, so caches keyed on a
 * binding's identity (encoded reply options, views) are safe.
 */
import type { BindingFamilyFields, BindingFields } from './schema.js';

export type { Ipv4Subnet, Ipv6Subnet } from './binding-values.js';

export interface Binding extends BindingFields, BindingFamilyFields {
  /** Tap interface name; also the binding file's name. */
  readonly tap: string;
  /** Keys onlinkd does not know, kept so a rewrite does not lose them (nfdhcpd compatibility). */
  readonly extra: Readonly<Record<string, string>>;
}

/** IFNAMSIZ is 16 with the NUL: names are at most 15 bytes, no '/', no whitespace, not '.' or '..'. */
export function isValidInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.:@-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/**
 * Whether two bindings say the same (every field, extra keys included):
 * a reload or binding-add that changes nothing emits nothing.
 */
export function sameBinding(a: Binding, b: Binding): boolean {
  return a === b || sameValue(a, b);
}

/** Structural equality of plain data (objects, arrays, primitives), as bindings hold. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
