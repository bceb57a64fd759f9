/**
 * The per-tap Router Solicitation limiter ([ipv6] rs_burst, rs_rate): a
 * booting guest's 3 RS are answered at once, the rest at rs_rate per
 * second, counted as `rs-rate-limited`; the keys change it at run time.
 */
import { describe, expect, it } from 'vitest';
import { buildNdpFrame } from '../../../src/wire/frame6.js';
import { Icmpv6Type } from '../../../src/wire/icmpv6.js';
import { pathRig } from '../../helpers/path-rig.js';

const VM_MAC = 'aa:00:00:00:00:10';

function rs(): Uint8Array {
  return buildNdpFrame(
    { srcMac: VM_MAC, dstMac: '33:33:00:00:00:02', src: 'fe80::a800:ff:fe00:10', dst: 'ff02::2', hopLimit: 255 },
    { type: Icmpv6Type.RouterSolicitation, code: 0, options: [{ kind: 'source-link-layer', mac: VM_MAC }] },
  );
}

function setup() {
  const rig = pathRig({ guard: { rate: 1_000_000, burst: 1_000_000 } });
  rig.addTap('tap10', 7, 'fe:00:00:00:00:10', `MAC=${VM_MAC}\nSUBNET6=2001:db8:10::/64\nGATEWAY6=2001:db8:10::1\n`);
  const send = (n: number) => {
    for (let i = 0; i < n; i++) rig.path.handle({ ifindex: 7, data: rs(), checksumNotReady: false });
  };
  return { ...rig, send };
}

describe('RS limiter', () => {
  it('answers 3 at once, then 1 per second by default, counting the rest', () => {
    const { send, sent, stats, tick } = setup();
    send(10);
    expect(sent).toHaveLength(3);
    expect(stats.tap('tap10')!.drops['rs-rate-limited']).toBe(7);
    tick(1000);
    send(5);
    expect(sent).toHaveLength(4);
  });

  it('follows rs_burst and rs_rate, also when they change while running (reload)', () => {
    const { send, sent, reload, tick } = setup();
    reload({ ipv6: { rsBurst: 10, rsRate: 100 } });
    send(20);
    expect(sent).toHaveLength(10);
    tick(100); // 100/s: 10 more tokens
    send(20);
    expect(sent).toHaveLength(20);
  });
});
