/**
 * The prefixes a tap's binding advertised and then left (issue 14, item 5):
 * its SUBNET6 changed while the tap lives, or the binding went away (the
 * final RA deprecated it) and may come back. Every RA sent on the tap
 * afterwards — the new binding's initial burst, periodic and solicited
 * RAs — carries the old prefix with preferred lifetime 0 and a valid
 * lifetime counted down in real time from at most two hours (RFC 9096
 * §3.3; protocols/ra-extras.ts), until it reaches 0: a guest that missed
 * the first RAs still learns it, and none is ever told to keep the address
 * longer than it had it.
 *
 * One prefix per tap, the last one left: the RA's room for a deprecated
 * prefix is one PIO (protocols/reply-limits.ts). A prefix left earlier has
 * had its deprecation in the RAs since (at least the initial burst).
 */
import type { DeprecatedPrefix } from '../protocols/ra-extras.js';

interface Withdrawn {
  prefix: string;
  prefixLength: number;
  validLifetime: number;
  /** Monotonic milliseconds when it was withdrawn. */
  since: number;
}

export class PrefixWithdrawals {
  readonly #byTap = new Map<string, Withdrawn>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** `tap`'s binding no longer advertises this prefix (its network text, masked). */
  withdraw(tap: string, prefix: string, prefixLength: number, validLifetime: number): void {
    if (validLifetime > 0) this.#byTap.set(tap, { prefix, prefixLength, validLifetime, since: this.#now() });
  }

  /**
   * What `tap`'s RAs deprecate now (undefined: nothing, the usual case, so
   * the RA caches apply). A prefix the binding advertises again (`current`)
   * is not deprecated: the binding's own PIO says it is valid.
   */
  of(tap: string, current?: { readonly network: string; readonly prefixLength: number }): readonly DeprecatedPrefix[] | undefined {
    const w = this.#byTap.get(tap);
    if (!w) return undefined;
    const left = w.validLifetime - Math.floor((this.#now() - w.since) / 1000);
    if (left <= 0 || (current && current.network === w.prefix && current.prefixLength === w.prefixLength)) {
      this.#byTap.delete(tap);
      return undefined;
    }
    return [{ prefix: w.prefix, prefixLength: w.prefixLength, validLifetime: left }];
  }

  /** The tap went away: its guest with it. */
  forget(tap: string): void {
    this.#byTap.delete(tap);
  }

  get size(): number {
    return this.#byTap.size;
  }
}
