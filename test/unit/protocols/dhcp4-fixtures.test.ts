/**
 * The DHCPv4 codec and responder on frames captured from real clients
 * (test/fixtures/README.md says how each was captured).
 */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import { respondDhcp4 } from '../../../src/protocols/dhcp4.js';
import { decodeDhcp4, encodeDhcp4, getOption, messageType, parameterRequestList, requestedIp } from '../../../src/wire/dhcp4.js';
import { decodeUdpFrame } from '../../../src/wire/frame.js';
import { formatMac, formatMac48, numberToIpv4 } from '../../../src/wire/addr.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { testBinding } from '../../helpers/binding.js';

function request(name: string) {
  const f = decodeUdpFrame(fixtureFrame(name), { verifyChecksum: true });
  if (!f.ok) throw new Error(`${name}: ${f.error}`);
  const m = decodeDhcp4(f.value.payload);
  if (!m.ok) throw new Error(`${name}: ${m.error}`);
  return { frame: f.value, msg: m.value };
}

/** The binding for the frame's source MAC (decoded as a 48-bit number; bindings speak text). */
const bindingFor = (mac: number): Binding => testBinding({ mac: formatMac48(mac) });

const settings = { ...defaultSettings().dhcp, leaseRebinding: 529200 };

describe('DHCPv4 on captured client frames', () => {
  for (const name of ['dhclient-discover.pcap', 'udhcpc-discover.pcap', 'dhcpcd-discover.pcap', 'windows10-discover.pcap']) {
    it(`${name}: decodes, re-encodes to the same message, and gets an OFFER`, () => {
      const { frame, msg } = request(name);
      expect(messageType(msg)).toBe(1);
      expect(formatMac(msg.chaddr, 0, msg.chaddr.length)).toBe(formatMac48(frame.srcMac));
      const again = encodeDhcp4(msg, { maxLength: 1500 });
      if (!again.ok) throw new Error(again.error.toString());
      const re = decodeDhcp4(again.value);
      expect(re.ok && re.value).toEqual(msg);
      const d = respondDhcp4(msg, bindingFor(frame.srcMac), settings, frame.srcMac);
      expect(d.kind).toBe('reply');
      if (d.kind === 'reply') expect(numberToIpv4(d.reply.message.yiaddr)).toBe('203.0.113.10');
    });
  }

  it('dhclient asks for 121 and gets only the default route in it', () => {
    const { frame, msg } = request('dhclient-discover.pcap');
    expect(parameterRequestList(msg)).toContain(121);
    const d = respondDhcp4(msg, bindingFor(frame.srcMac), settings, frame.srcMac);
    if (d.kind !== 'reply') throw new Error('no reply');
    expect(getOption(d.reply.message, 121)).toEqual(Uint8Array.of(0, 203, 0, 113, 1));
    expect(getOption(d.reply.message, 249)).toBeUndefined();
  });

  it('the Windows 10 DISCOVER gets identical 121 and 249 with 169.254.0.0/16, and its client id back', () => {
    const { frame, msg } = request('windows10-discover.pcap');
    const d = respondDhcp4(msg, bindingFor(frame.srcMac), settings, frame.srcMac);
    if (d.kind !== 'reply') throw new Error('no reply');
    const r121 = getOption(d.reply.message, 121);
    expect(r121).toEqual(Uint8Array.of(16, 169, 254, 203, 0, 113, 1, 0, 203, 0, 113, 1));
    expect(getOption(d.reply.message, 249)).toEqual(r121);
    expect(getOption(d.reply.message, 61)).toEqual(getOption(msg, 61));
  });

  it("dhclient's INIT-REBOOT REQUEST is ACKed for the right address and NAKed for another", () => {
    const { frame, msg } = request('dhclient-init-reboot-request.pcap');
    expect(messageType(msg)).toBe(3);
    const askedIp = requestedIp(msg)!;
    expect(askedIp).toBeDefined();
    const asked = numberToIpv4(askedIp);
    const b = bindingFor(frame.srcMac);
    const ack = respondDhcp4(msg, { ...b, ip: asked, subnet: { network: asked.replace(/\.\d+$/, '.0'), prefixLength: 24 }, gateway: undefined }, settings, frame.srcMac);
    expect(ack.kind === 'reply' && ack.reply.type).toBe(5);
    const other = asked === '203.0.113.10' ? '203.0.113.11' : '203.0.113.10';
    const nak = respondDhcp4(msg, { ...b, ip: other }, settings, frame.srcMac);
    expect(nak.kind === 'reply' && nak.reply.type).toBe(6);
  });

  it('every truncation of every captured DHCP frame decodes to a value or a typed error', () => {
    for (const name of ['dhclient-discover.pcap', 'udhcpc-discover.pcap', 'dhcpcd-discover.pcap', 'windows10-discover.pcap', 'dhclient-init-reboot-request.pcap']) {
      const full = fixtureFrame(name);
      for (let n = 0; n < full.length; n++) {
        const r = decodeUdpFrame(full.subarray(0, n), { verifyChecksum: false });
        if (r.ok) decodeDhcp4(r.value.payload); // must not throw
        else expect(r.error.layer).toMatch(/ethernet|ipv4|udp/);
      }
    }
  });
});
