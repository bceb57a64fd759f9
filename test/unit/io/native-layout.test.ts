/**
 * The receive ring's layout is written down once, in C (src/native/ring.h),
 * and exported as the addon's `ringLayout`; native.ts reads it at load into
 * the RECV_* constants the packet path uses. These check that the constants
 * are the addon's, that a layout native.ts cannot use is refused, and that
 * rows written by C read back right through the constants (in a fresh
 * process: a thread has one receive group).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  RECV_DROPPED, RECV_META, RECV_META_FIELDS, RECV_TRUNCATED, loadNative, ringLayoutProblem, type RingLayout,
} from '../../../src/io/native.js';

const ADDON = fileURLToPath(new URL('../../../build/Release/onlinkd_native.node', import.meta.url));
const layout = loadNative().ringLayout;

describe('native addon: ring layout', () => {
  it("native.ts's constants are the addon's ringLayout", () => {
    expect(RECV_META_FIELDS).toBe(layout.metaFields);
    expect(RECV_META).toEqual(layout.meta);
    expect(RECV_TRUNCATED).toBe(layout.truncated);
    expect(RECV_DROPPED).toBe(layout.dropped);
    expect(ringLayoutProblem(layout)).toBeUndefined();
    expect(Object.isFrozen(layout) && Object.isFrozen(layout.meta)).toBe(true);
  });

  it('refuses a layout it cannot read rows with', () => {
    const bad = (change: Record<string, unknown>, meta: Record<string, unknown> = {}): string | undefined =>
      ringLayoutProblem({ ...layout, ...change, meta: { ...layout.meta, ...meta } } as RingLayout);
    expect(ringLayoutProblem(undefined)).toMatch(/missing/);
    expect(bad({ metaFields: 0 })).toMatch(/metaFields/);
    expect(bad({}, { fd: layout.meta.offset })).toMatch(/meta\.fd/); // two fields in one column
    expect(bad({}, { flags: layout.metaFields })).toMatch(/meta\.flags/); // outside the row
    expect(bad({ truncated: 3 })).toMatch(/bits/);
    expect(bad({ dropped: layout.truncated })).toMatch(/bits/);
    expect(bad({ slotMin: layout.slotMax + 1 })).toMatch(/slot/);
  });

  it('rows written by C read back through the constants: offsets, lengths, sockets, truncated and dropped flags; slot bounds', () => {
    const L = { fields: RECV_META_FIELDS, m: RECV_META, truncated: RECV_TRUNCATED, dropped: RECV_DROPPED };
    const script = `
      const n = require(${JSON.stringify(ADDON)});
      const L = ${JSON.stringify(L)}, slot = ${layout.slotMin};
      const codes = [];
      for (const s of [slot - 1, ${layout.slotMax + 1}]) {
        try { n.setRecvGroup(new Uint8Array(${layout.slotMax * 2}), new Int32Array(L.fields), s, () => {}); codes.push('set'); }
        catch (e) { codes.push(e.code); }
      }
      const sender = n.socket(1, 2, 0);
      const rs = [0, 1].map((i) => {
        const fd = n.socket(1, 2, 0), name = '@onlinkd-layout-' + process.pid + '-' + i;
        n.bindUnix(fd, name);
        return { fd, name };
      });
      const ring = new Uint8Array(slot * 8), meta = new Int32Array(L.fields * 8);
      const rows = [];
      n.setRecvGroup(ring, meta, slot, (count) => {
        for (let i = 0; i < count; i++) {
          const r = meta.subarray(i * L.fields, (i + 1) * L.fields);
          rows.push({
            who: rs.findIndex((s) => s.fd === r[L.m.fd]), offset: r[L.m.offset], length: r[L.m.length],
            truncated: (r[L.m.flags] & L.truncated) !== 0, dropped: (r[L.m.flags] & L.dropped) !== 0,
            ifindex: r[L.m.ifindex], text: Buffer.from(ring.buffer, r[L.m.offset], r[L.m.length]).toString(),
          });
          if (i === 0) n.close(rs[1].fd); // the other socket's frames, already read, are flagged dropped
        }
      });
      n.sendToUnix(sender, rs[0].name, Buffer.from('first'));
      n.sendToUnix(sender, rs[0].name, Buffer.alloc(slot + 10, 0x41));
      n.sendToUnix(sender, rs[1].name, Buffer.from('other'));
      for (const s of rs) n.startRecvGroup(s.fd);
      setTimeout(() => { console.log(JSON.stringify({ codes, rows })); process.exit(0); }, 100);`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { timeout: 10_000 }).toString()) as {
      codes: string[];
      rows: Array<{ who: number; offset: number; length: number; truncated: boolean; dropped: boolean; ifindex: number; text: string }>;
    };
    expect(out.codes).toEqual(['EINVAL', 'EINVAL']);
    const slot = layout.slotMin;
    expect(out.rows).toEqual([
      { who: 0, offset: 0, length: 5, truncated: false, dropped: false, ifindex: 0, text: 'first' },
      { who: 0, offset: slot, length: slot, truncated: true, dropped: false, ifindex: 0, text: 'A'.repeat(slot) },
      { who: 1, offset: 2 * slot, length: 5, truncated: false, dropped: true, ifindex: 0, text: 'other' },
    ]);
  });
});
