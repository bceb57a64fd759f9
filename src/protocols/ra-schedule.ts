/**
 * When to send unsolicited Router Advertisements (RFC 4861 §6.2.4), pure:
 * the caller supplies randomness so tests are deterministic.
 *
 * - Periodic: each interval is drawn uniformly from [MinRtrAdvInterval,
 *   MaxRtrAdvInterval] with Max = ra_period and Min = 0.33 × Max (the RFC's
 *   default), so taps drift apart instead of firing together.
 * - First periodic RA of a tap: uniformly anywhere in [0, Max), which
 *   spreads thousands of taps loaded at start evenly over one period.
 * - Initial burst when a binding appears on an up tap (or the tap comes up):
 *   MAX_INITIAL_RTR_ADVERTISEMENTS = 3, spaced well under
 *   MAX_INITIAL_RTR_ADVERT_INTERVAL = 16 s, so a booting guest configures fast.
 */

export const MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
/** Gaps of the initial burst after the first, immediate RA (ms); each ≤ 16 s. */
export const INITIAL_RA_GAPS_MS = [2_000, 4_000];

export function periodicIntervalMs(raPeriodSec: number, random: () => number): number {
  const max = raPeriodSec * 1000;
  const min = Math.max(3_000, 0.33 * max);
  return Math.round(min + random() * (max - min));
}

export function firstPeriodicDelayMs(raPeriodSec: number, random: () => number): number {
  return Math.round(random() * raPeriodSec * 1000);
}

/** Offsets (ms from now) of the initial burst: immediately, then the gaps. */
export function initialBurstOffsetsMs(): number[] {
  const out = [0];
  for (const g of INITIAL_RA_GAPS_MS.slice(0, MAX_INITIAL_RTR_ADVERTISEMENTS - 1)) out.push(out.at(-1)! + g);
  return out;
}
