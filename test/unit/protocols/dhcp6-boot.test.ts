/**
 * BOOTFILE6 in stateless DHCPv6 replies (protocols/dhcp6-boot.ts): option
 * 59 (RFC 5970 §3.1) exactly when the client's Option Request option lists
 * it and the binding has the key; the Reply is otherwise unchanged.
 */
import { describe, expect, it } from 'vitest';
import { makeServerDuid, respondInformationRequest, type Dhcp6Decision, type Dhcp6FrameMeta } from '../../../src/protocols/dhcp6.js';
import { oroHas } from '../../../src/protocols/dhcp6-boot.js';
import { getDhcp6Option, type Dhcp6Message } from '../../../src/wire/dhcp6.js';
import { hex } from '../wire/helpers.js';
import { SERVER_MAC, binding6, ipv6Settings, meta } from './ipv6-helpers.js';

const SERVER_DUID = makeServerDuid('02:00:00:00:00:01');
const URL6 = 'http://[2001:db8::1]:8080/boot.ipxe';

function ir(oro: Uint8Array): Dhcp6Message {
  return { msgType: 11, transactionId: 0xabcdef, options: [[1, hex`00 03 00 01 aa 00 00 00 00 10`], [6, oro], [8, hex`00 00`]] };
}
const irMeta: Dhcp6FrameMeta = { ...meta({ dst: 'ff02::1:2', hopLimit: 1 }), srcPort: 546 };

function options(d: Dhcp6Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply.message;
}

describe('BOOTFILE6 (DHCPv6 option 59)', () => {
  const s = ipv6Settings();

  it('is sent when the ORO lists 59, as the URL octets', () => {
    const m = options(respondInformationRequest(ir(hex`00 17 00 3b`), irMeta, binding6({ bootfile6: URL6 }), s, SERVER_DUID, SERVER_MAC));
    expect(Buffer.from(getDhcp6Option(m, 59)!).toString('latin1')).toBe(URL6);
  });

  it('is not sent unasked, nor without the key; the Reply is then the same as without the key', () => {
    const unasked = options(respondInformationRequest(ir(hex`00 17 00 18`), irMeta, binding6({ bootfile6: URL6 }), s, SERVER_DUID, SERVER_MAC));
    expect(getDhcp6Option(unasked, 59)).toBeUndefined();
    const without = options(respondInformationRequest(ir(hex`00 17 00 18`), irMeta, binding6(), s, SERVER_DUID, SERVER_MAC));
    expect(unasked).toEqual(without);
    const noKey = options(respondInformationRequest(ir(hex`00 17 00 3b`), irMeta, binding6(), s, SERVER_DUID, SERVER_MAC));
    expect(getDhcp6Option(noKey, 59)).toBeUndefined();
  });

  it('reads the ORO as 16-bit codes (an odd trailing octet or 0x3b00 is not 59)', () => {
    expect(oroHas(ir(hex`00 3b`), 59)).toBe(true);
    expect(oroHas(ir(hex`3b 00`), 59)).toBe(false);
    expect(oroHas(ir(hex`00 17 3b`), 59)).toBe(false);
    expect(oroHas({ options: [] }, 59)).toBe(false);
  });
});
