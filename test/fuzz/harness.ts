/**
 * What every fuzz suite shares: the run count and seed from the environment
 * (FUZZ_RUNS scales a run — `npm run fuzz` uses 1,000,000 — and FUZZ_SEED
 * replays one), byte-level mutations of valid seed messages, and the one
 * allowed outcome of a decoder: a value or a typed DecodeError.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { DecodeError, type Decoded } from '../../src/wire/result.js';

export const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 250));
export const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** fast-check parameters; `numRuns` defaults to RUNS. */
export const fuzzParams = (numRuns = RUNS) => (SEED === undefined ? { numRuns } : { numRuns, seed: SEED });
/** A test timeout that grows with the run count (`perRunMs` per input), never below 30 s. */
export const fuzzTimeout = (perRunMs = 20) => Math.max(30_000, RUNS * perRunMs);

type Mutation = { kind: number; pos: number; val: number; len: number };

function mutationOf(interesting: readonly number[]): fc.Arbitrary<Mutation> {
  return fc.record({
    kind: fc.nat(5),
    pos: fc.nat(),
    val: fc.oneof(fc.nat(255), fc.constantFrom(...interesting)),
    len: fc.integer({ min: 1, max: 16 }),
  });
}

/** Overwrite, flip a bit, truncate, insert a run, or delete a run. */
function mutate(seed: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = seed.slice();
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.pos % b.length;
    switch (m.kind) {
      case 0:
      case 1: // overwrite (twice as likely: the common case)
        if (b.length) b[at] = m.val;
        break;
      case 2: // flip one bit
        if (b.length) b[at]! ^= 1 << (m.val & 7);
        break;
      case 3: // truncate
        b = b.slice(0, at);
        break;
      case 4: // insert
        b = Uint8Array.from([...b.subarray(0, at), ...new Array<number>(m.len).fill(m.val), ...b.subarray(at)]);
        break;
      default: // delete
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.len)]);
    }
  }
  return b;
}

/**
 * Inputs for a decoder: one in four purely random, the rest mutations of a
 * valid seed. `interesting` are byte values worth trying in this protocol
 * (lengths, types, flags).
 */
export function fuzzInput(seeds: Uint8Array[], maxLength: number, interesting: readonly number[] = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...seeds), fc.array(mutationOf(interesting), { minLength: 1, maxLength: 6 }))
        .map(([s, m]) => mutate(s, m)),
    },
  );
}

/** A Decoded, never a throw; returns the value or undefined. */
export function outcome<T>(f: () => Decoded<T>): T | undefined {
  const r = f();
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) return r.value;
  expect(r.error).toBeInstanceOf(DecodeError);
  expect(r.error.layer.length).toBeGreaterThan(0);
  expect(r.error.reason.length).toBeGreaterThan(0);
  return undefined;
}
