/**
 * The connection limits (issue 11, defect 5) as a pure decision: root's
 * reserve, the per-uid limit, the total.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, admit } from '../../../src/control/access.js';

describe('admit', () => {
  const l = { max: 10, rootReserve: 2, perUid: 3 };

  it('lets root use every slot, reserve included, and no more', () => {
    expect(admit(0, 9, 9, l)).toEqual({ ok: true });
    expect(admit(0, 10, 10, l)).toEqual({ ok: false, reason: 'too many connections (limit 10); try again' });
  });

  it('keeps the reserve from everyone else', () => {
    expect(admit(1000, 7, 0, l)).toEqual({ ok: true });
    expect(admit(1000, 8, 0, l)).toEqual({ ok: false, reason: 'too many connections (the last 2 of 10 are kept for root); try again' });
  });

  it('limits each other uid on its own', () => {
    expect(admit(1000, 5, 2, l)).toEqual({ ok: true });
    expect(admit(1000, 5, 3, l)).toEqual({ ok: false, reason: 'too many connections for uid 1000 (limit 3); try again' });
    expect(admit(1001, 5, 0, l)).toEqual({ ok: true });
  });

  it('defaults: 64 in all, 4 for root, 16 per uid', () => {
    expect(DEFAULT_LIMITS).toEqual({ max: 64, rootReserve: 4, perUid: 16 });
  });
});
