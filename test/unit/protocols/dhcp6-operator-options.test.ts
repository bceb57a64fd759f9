/**
 * Operator-set DHCPv6 options (OPTION6_<n>, [dhcp6-options]) in the Reply
 * to an Information-Request: sent when the ORO asks or always:, the
 * binding's winning, option 24 replacing [ipv6] domains; without any, the
 * Reply is what it was.
 */
import { describe, expect, it } from 'vitest';
import { makeServerDuid, respondInformationRequest, type Dhcp6Decision, type Dhcp6FrameMeta } from '../../../src/protocols/dhcp6.js';
import { optionSettings, parseOptionSetting, type OptionSettings } from '../../../src/protocols/option-settings.js';
import { DHCP6_CATALOG } from '../../../src/wire/dhcp6-option-catalog.js';
import type { Dhcp6Message } from '../../../src/wire/dhcp6.js';
import { hex } from '../wire/helpers.js';
import { SERVER_MAC, binding6, ipv6Settings, meta } from './ipv6-helpers.js';

const SERVER_DUID = makeServerDuid('02:00:00:00:00:01');

function set(lines: Record<number, string>): OptionSettings {
  return optionSettings(Object.entries(lines).map(([code, text]) => {
    const r = parseOptionSetting(DHCP6_CATALOG, Number(code), text);
    if (!r.ok) throw new Error(r.error);
    return r.setting;
  }));
}

function ir(oro: number[]): Dhcp6Message {
  const o = new Uint8Array(2 * oro.length);
  oro.forEach((c, i) => { o[2 * i] = c >> 8; o[2 * i + 1] = c & 255; });
  return { msgType: 11, transactionId: 1, options: [[1, hex`00 03 00 01 aa 00 00 00 00 10`], [6, o], [8, hex`00 00`]] };
}
const irMeta: Dhcp6FrameMeta = { ...meta({ dst: 'ff02::1:2', hopLimit: 1 }), srcPort: 546 };

function options(d: Dhcp6Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${d.kind}`);
  return d.reply.message.options.map(([c, v]) => [c, Buffer.from(v).toString('hex')] as const);
}

describe('operator DHCPv6 options in the Reply', () => {
  const b = binding6({ dhcp6Options: set({ 31: '2001:db8::123', 41: 'always:text:CET-1CEST' }) });
  const s = ipv6Settings({ dhcp6Options: set({ 31: '2001:db8::999', 82: '3600' }) });

  it('sends what the ORO asks for and always: ones; the binding wins per code', () => {
    const none = options(respondInformationRequest(ir([23]), irMeta, b, s, SERVER_DUID, SERVER_MAC));
    expect(none.map(([c]) => c)).toEqual([1, 2, 23, 24, 32, 41]);
    const asked = options(respondInformationRequest(ir([23, 31, 82]), irMeta, b, s, SERVER_DUID, SERVER_MAC));
    expect(asked.map(([c]) => c)).toEqual([1, 2, 23, 24, 32, 31, 41, 82]);
    expect(asked.find(([c]) => c === 31)![1]).toBe('20010db8000000000000000000000123');
    expect(asked.find(([c]) => c === 82)![1]).toBe('00000e10');
    expect(asked.find(([c]) => c === 41)![1]).toBe(Buffer.from('CET-1CEST').toString('hex'));
  });

  it('option 24 from the operator replaces [ipv6] domains', () => {
    const over = options(respondInformationRequest(ir([24]), irMeta, binding6({ dhcp6Options: set({ 24: 'lab.example' }) }), s, SERVER_DUID, SERVER_MAC));
    expect(over.filter(([c]) => c === 24)).toEqual([[24, '036c6162076578616d706c6500']]);
  });

  it('without operator options the Reply is unchanged', () => {
    expect(options(respondInformationRequest(ir([23, 24, 31]), irMeta, binding6(), ipv6Settings(), SERVER_DUID, SERVER_MAC)).map(([c]) => c)).toEqual([1, 2, 23, 24, 32]);
  });
});
