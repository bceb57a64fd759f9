import { describe, expect, it } from 'vitest';
import { ndpReplyFrame, type NdpDecision, type NdpReply } from '../../../src/protocols/ndp-frame.js';
import {
  buildRouterAdvertisement,
  defaultRouterLifetime,
  dnsOptionLifetime,
  finalRouterAdvertisement,
  otherConfigFlag,
  respondRouterSolicitation,
  routerLinkLocal,
  routerLinkLocalOctets,
  unsolicitedRouterAdvertisement,
} from '../../../src/protocols/router-advert.js';
import { decodeNdpFrame } from '../../../src/wire/frame6.js';
import type { NdpOption, RouterAdvertisement, RouterSolicitation } from '../../../src/wire/ndp.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { RA_FRAME, RS_FRAME } from '../wire/ipv6-golden.js';
import { ROUTER_LL, SERVER_MAC, VM_LL, VM_MAC, binding6, ipv6Settings, meta } from './ipv6-helpers.js';
import { decodedAddresses, ip6, mac48 } from '../wire/helpers.js';
import { formatIpv6Address } from '../../../src/wire/ipv6-address.js';

const RS: RouterSolicitation = { type: 133, code: 0, options: [{ kind: 'source-link-layer', mac: VM_MAC }] };

function reply(d: NdpDecision): NdpReply {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply;
}
const ra = (d: NdpDecision) => reply(d).message as RouterAdvertisement;
const opt = <K extends NdpOption['kind']>(m: RouterAdvertisement, kind: K) =>
  m.options.find((o): o is Extract<NdpOption, { kind: K }> => o.kind === kind);

describe('router advertisement contents', () => {
  it('answers the scapy RS with the scapy RA, byte for byte', () => {
    const rs = decodeNdpFrame(RS_FRAME);
    if (!rs.ok || rs.value.message.type !== 133) throw new Error('bad RS');
    const d = respondRouterSolicitation(rs.value.message as RouterSolicitation, rs.value.frame, binding6(), ipv6Settings(), SERVER_MAC);
    const f = ndpReplyFrame(reply(d), SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    expect(f.frame).toEqual(RA_FRAME);
    // The same bytes when built in the packet path's reused buffer, whatever it held.
    const scratch = new Uint8Array(64 * 1024).fill(0xee);
    const g = ndpReplyFrame(reply(d), SERVER_MAC, scratch);
    if (!g.ok) throw new Error(g.error);
    expect(g.frame.buffer).toBe(scratch.buffer);
    expect(new Uint8Array(g.frame)).toEqual(new Uint8Array(RA_FRAME));
  });

  it('says M=0, O=1, medium preference, 64 hops, lifetimes from ra_period, from the router link-local', () => {
    const b = buildRouterAdvertisement(binding6(), ipv6Settings(), SERVER_MAC);
    if (b.kind !== 'ra') throw new Error(b.reason);
    expect(formatIpv6Address(b.srcIp)).toBe(ROUTER_LL);
    expect(b.message).toEqual({
      type: 134,
      code: 0,
      curHopLimit: 64,
      managed: false,
      other: true,
      homeAgent: false,
      preference: 'medium', // scapy's default (and so nfdhcpd's) is high
      routerLifetime: 900, // 3 × 300
      reachableTime: 0,
      retransTimer: 0,
      options: [
        { kind: 'source-link-layer', mac: SERVER_MAC },
        { kind: 'mtu', mtu: 1500 },
        {
          kind: 'prefix',
          prefixLength: 64,
          onLink: true,
          autonomous: true,
          routerAddress: false,
          validLifetime: 86400,
          preferredLifetime: 14400,
          prefix: '2001:db8:10::',
        },
        { kind: 'rdnss', lifetime: 900, servers: ['2001:db8::53'] },
        { kind: 'dnssl', lifetime: 900, domains: ['example.test'] },
      ],
    });
  });

  it('derives the router address from the INDEV MAC (EUI-64 link-local)', () => {
    expect(routerLinkLocal('fe:00:00:00:00:01')).toBe('fe80::fc00:ff:fe00:1');
    expect(routerLinkLocal('52:54:00:12:34:56')).toBe('fe80::5054:ff:fe12:3456');
  });

  it('has the router address as octets too, derived once per INDEV MAC', () => {
    const o = routerLinkLocalOctets('fe:00:00:00:00:01');
    expect(formatIpv6Address(o)).toBe('fe80::fc00:ff:fe00:1');
    expect(routerLinkLocalOctets('fe:00:00:00:00:01')).toBe(o);
  });

  it.each([
    [4, 12],
    [300, 900],
    [600, 1800],
    [1800, 5400],
    [3000, 9000],
    [4000, 9000], // RFC 4861 cap
    [9000, 9000],
    [10000, 30000], // the period itself is past 9000: stay above it (RFC 8319)
    [30000, 65535],
  ])('router lifetime for ra_period %i is %i', (period, lifetime) => {
    expect(defaultRouterLifetime(period)).toBe(lifetime);
    expect(lifetime).toBeGreaterThanOrEqual(Math.min(period, 65535));
    expect(ra(unsolicitedRouterAdvertisement(binding6(), ipv6Settings({ raPeriod: period }), SERVER_MAC)).routerLifetime).toBe(lifetime);
  });

  it('RDNSS/DNSSL lifetime is 3 × ra_period (RFC 8106 §5.1), short of infinity', () => {
    expect(dnsOptionLifetime(4)).toBe(12);
    expect(dnsOptionLifetime(65535)).toBe(196605);
    expect(dnsOptionLifetime(0x7fffffff)).toBe(0xfffffffe);
  });

  it('O flag only when an Information-Request will be answered', () => {
    expect(otherConfigFlag(ipv6Settings())).toBe(true);
    expect(otherConfigFlag(ipv6Settings({ mode: 'slaac' }))).toBe(false);
    expect(otherConfigFlag(ipv6Settings({ enableDhcpv6: false }))).toBe(false);
    expect(ra(unsolicitedRouterAdvertisement(binding6(), ipv6Settings({ mode: 'slaac' }), SERVER_MAC)).other).toBe(false);
  });

  it('takes router lifetime, hop limit and prefix lifetimes from options; preferred never above valid', () => {
    const m = ra(
      unsolicitedRouterAdvertisement(binding6(), ipv6Settings(), SERVER_MAC, { routerLifetime: 1800, curHopLimit: 0, validLifetime: 3600, preferredLifetime: 7200 }),
    );
    expect(m.routerLifetime).toBe(1800);
    expect(m.curHopLimit).toBe(0);
    expect(opt(m, 'prefix')).toMatchObject({ validLifetime: 3600, preferredLifetime: 3600 });
  });

  it('MTU option only for an IPv6-sized MTU (≥ 1280)', () => {
    expect(opt(ra(unsolicitedRouterAdvertisement(binding6({ mtu: 9000 }), ipv6Settings(), SERVER_MAC)), 'mtu')).toEqual({ kind: 'mtu', mtu: 9000 });
    expect(opt(ra(unsolicitedRouterAdvertisement(binding6({ mtu: 1280 }), ipv6Settings(), SERVER_MAC)), 'mtu')).toBeDefined();
    expect(opt(ra(unsolicitedRouterAdvertisement(binding6({ mtu: 1279 }), ipv6Settings(), SERVER_MAC)), 'mtu')).toBeUndefined();
    expect(opt(ra(unsolicitedRouterAdvertisement(binding6({ mtu: undefined }), ipv6Settings(), SERVER_MAC)), 'mtu')).toBeUndefined();
  });

  it('prefix: masked to its length; A only for a /64', () => {
    const m = ra(unsolicitedRouterAdvertisement(binding6({ subnet6: { network: '2001:db8:10:ff00::', prefixLength: 56 } }), ipv6Settings(), SERVER_MAC));
    expect(opt(m, 'prefix')).toMatchObject({ prefix: '2001:db8:10:ff00::', prefixLength: 56, onLink: true, autonomous: false });
    const odd = ra(unsolicitedRouterAdvertisement(binding6({ subnet6: { network: '2001:db8:10::1', prefixLength: 64 } }), ipv6Settings(), SERVER_MAC));
    expect(opt(odd, 'prefix')?.prefix).toBe('2001:db8:10::');
  });

  it('DNS: binding DNS6 overrides [ipv6] nameservers; no RDNSS/DNSSL when there is nothing to say', () => {
    const m = ra(unsolicitedRouterAdvertisement(binding6({ dns6: ['2001:db8::1:53', '2001:db8::2:53'] }), ipv6Settings(), SERVER_MAC));
    expect(opt(m, 'rdnss')?.servers).toEqual(['2001:db8::1:53', '2001:db8::2:53']);
    const none = ra(unsolicitedRouterAdvertisement(binding6(), ipv6Settings({ nameservers: [], domains: [] }), SERVER_MAC));
    expect(none.options.map((o) => o.kind)).toEqual(['source-link-layer', 'mtu', 'prefix']);
    const emptyOverride = ra(unsolicitedRouterAdvertisement(binding6({ dns6: [] }), ipv6Settings(), SERVER_MAC));
    expect(opt(emptyOverride, 'rdnss')).toBeUndefined();
  });

  it('a binding without SUBNET6 gets no RA', () => {
    expect(buildRouterAdvertisement(binding6({ subnet6: undefined }), ipv6Settings(), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'no-subnet6' });
  });
});

describe('router solicitation decisions', () => {
  const b = binding6();
  const s = ipv6Settings();

  it('unicasts to the RS source at the frame’s source MAC', () => {
    expect(reply(respondRouterSolicitation(RS, meta(), b, s, SERVER_MAC))).toMatchObject(decodedAddresses({ srcIp: ROUTER_LL, dstIp: VM_LL, dstMac: VM_MAC }));
  });

  it('builds the RA once per binding, settings and INDEV MAC, and again when one of them is replaced', () => {
    const bb = binding6();
    const ss = ipv6Settings();
    const first = reply(respondRouterSolicitation(RS, meta(), bb, ss, SERVER_MAC)).message;
    expect(reply(respondRouterSolicitation(RS, meta({ src: 'fe80::1234' }), bb, ss, SERVER_MAC)).message).toBe(first);
    const other = reply(respondRouterSolicitation(RS, meta(), bb, ipv6Settings({ raPeriod: 100 }), SERVER_MAC)).message as RouterAdvertisement;
    expect(other).not.toBe(first);
    expect(other.routerLifetime).toBe(300);
    expect(reply(respondRouterSolicitation(RS, meta(), bb, ss, '52:54:00:12:34:56')).message).not.toBe(first);
    expect(reply(respondRouterSolicitation(RS, meta(), binding6({ mtu: 9000 }), ss, SERVER_MAC)).message).not.toBe(first);
  });

  it('answers an RS from a random-IID source on a tap whose binding MAC matches no EUI-64 derivation', () => {
    const guest = binding6({ mac: '52:54:00:9a:bc:de', eui64: undefined });
    const m = meta({ srcMac: '52:54:00:9a:bc:de', src: 'fe80::1c2b:7a9e:4d3f:8a61' });
    const rs: RouterSolicitation = { type: 133, code: 0, options: [{ kind: 'source-link-layer', mac: '52:54:00:9a:bc:de' }] };
    expect(reply(respondRouterSolicitation(rs, m, guest, s, SERVER_MAC))).toMatchObject(decodedAddresses({
      dstIp: 'fe80::1c2b:7a9e:4d3f:8a61',
      dstMac: '52:54:00:9a:bc:de',
    }));
    // Even when the source IID looks like the EUI-64 of some *other* MAC, the frame's source MAC wins.
    const other = meta({ srcMac: '52:54:00:9a:bc:de', src: 'fe80::a800:ff:fe00:99' });
    expect(reply(respondRouterSolicitation(rs, other, guest, s, SERVER_MAC)).dstMac).toBe(mac48('52:54:00:9a:bc:de'));
  });

  it('an RS from :: (no SLLAO) is answered to all nodes', () => {
    const rs: RouterSolicitation = { type: 133, code: 0, options: [] };
    expect(reply(respondRouterSolicitation(rs, meta({ src: '::' }), b, s, SERVER_MAC))).toMatchObject({
      dstIp: 'ff02::1',
      dstMac: '33:33:00:00:00:01',
    });
  });

  it.each([
    ['ipv6 disabled', RS, meta(), binding6(), ipv6Settings({ enable: false }), 'ipv6-disabled'],
    ['hop limit 254 (RFC 4861 §6.1.1)', RS, meta({ hopLimit: 254 }), binding6(), s, 'bad-hop-limit'],
    ['hop limit 1', RS, meta({ hopLimit: 1 }), binding6(), s, 'bad-hop-limit'],
    ['code 1', { ...RS, code: 1 }, meta(), binding6(), s, 'bad-code'],
    ['RS from :: carrying SLLAO (§6.1.1)', RS, meta({ src: '::' }), binding6(), s, 'unspecified-source-with-sllao'],
    ['RS from :: carrying a malformed SLLAO', { ...RS, options: [{ kind: 'raw' as const, type: 1, data: new Uint8Array(14) }] }, meta({ src: '::' }), binding6(), s, 'unspecified-source-with-sllao'],
    ['multicast source', RS, meta({ src: 'ff02::1' }), binding6(), s, 'bad-source'],
    ['unparsable source', RS, meta({ src: 'nope' }), binding6(), s, 'bad-source'],
    ['no SUBNET6 in the binding', RS, meta(), binding6({ subnet6: undefined }), s, 'no-subnet6'],
  ])('drops: %s', (_name, rs, m, bind, set, reason) => {
    expect(respondRouterSolicitation(rs as RouterSolicitation, m, bind, set, SERVER_MAC)).toEqual({ kind: 'drop', reason });
  });

  it('unsolicited RAs go to all nodes, and not when IPv6 is off', () => {
    expect(reply(unsolicitedRouterAdvertisement(b, s, SERVER_MAC))).toMatchObject({ srcIp: ip6(ROUTER_LL), dstIp: 'ff02::1', dstMac: '33:33:00:00:00:01' });
    expect(unsolicitedRouterAdvertisement(b, ipv6Settings({ enable: false }), SERVER_MAC)).toEqual({ kind: 'drop', reason: 'ipv6-disabled' });
  });

  it('the final RA withdraws the router, the prefix and the DNS options (RFC 4861 §6.2.5)', () => {
    const r = reply(finalRouterAdvertisement(b, s, SERVER_MAC));
    expect(r).toMatchObject({ dstIp: 'ff02::1', dstMac: '33:33:00:00:00:01', srcIp: ip6(ROUTER_LL) });
    const m = r.message as RouterAdvertisement;
    expect(m.routerLifetime).toBe(0);
    // RFC 9096 §3.3: preferred 0 (deprecated at once), valid the lower of valid_lifetime (86400) and two hours.
    expect(opt(m, 'prefix')).toMatchObject({ validLifetime: 7200, preferredLifetime: 0, autonomous: true });
    expect(opt(m, 'rdnss')?.lifetime).toBe(0);
    expect(opt(m, 'dnssl')?.lifetime).toBe(0);
    expect(finalRouterAdvertisement(binding6({ subnet6: undefined }), s, SERVER_MAC)).toEqual({ kind: 'drop', reason: 'no-subnet6' });
  });
});

describe('RA frames', () => {
  it('hop limit 255, checksummed, decodable', () => {
    const f = ndpReplyFrame(reply(unsolicitedRouterAdvertisement(binding6(), ipv6Settings(), SERVER_MAC)), SERVER_MAC);
    if (!f.ok) throw new Error(f.error);
    const d = decodeNdpFrame(f.frame);
    if (!d.ok) throw new Error(d.error.toString());
    expect(d.value.frame).toMatchObject(decodedAddresses({ hopLimit: 255, srcMac: SERVER_MAC, dstMac: '33:33:00:00:00:01', src: ROUTER_LL, dst: 'ff02::1' }));
    expect(d.value.message.type).toBe(134);
  });

  it('reports, not throws, what the types could not rule out', () => {
    const r = reply(unsolicitedRouterAdvertisement(binding6(), ipv6Settings(), SERVER_MAC));
    expect(ndpReplyFrame(r, 'not-a-mac')).toMatchObject({ ok: false, error: expect.stringMatching(/bad-mac/) });
    expect(ndpReplyFrame({ ...r, message: { ...r.message, code: 300 } }, SERVER_MAC)).toMatchObject({ ok: false });
    const big = ra(unsolicitedRouterAdvertisement(binding6(), ipv6Settings(), SERVER_MAC, { routerLifetime: 70000 }));
    expect(ndpReplyFrame({ ...r, message: big }, SERVER_MAC).ok).toBe(false);
  });
});

describe('RS captured from rdisc6 (test/fixtures/rdisc6-rs.pcap)', () => {
  it('decodes, and gets a unicast RA to the VM link-local at the VM MAC', () => {
    const d = decodeNdpFrame(fixtureFrame('rdisc6-rs.pcap'));
    if (!d.ok) throw new Error(d.error.toString());
    const { frame, message } = d.value;
    expect(frame).toMatchObject(decodedAddresses({ srcMac: VM_MAC, src: VM_LL, dst: 'ff02::2', hopLimit: 255 }));
    // rdisc6 sends a bare RS (no source link-layer option, whatever fixtures/README.md says) with a random flow label.
    expect(message).toEqual({ type: 133, code: 0, options: [] });
    expect(frame.flowLabel).not.toBe(0);
    const r = reply(respondRouterSolicitation(message as RouterSolicitation, frame, binding6(), ipv6Settings(), SERVER_MAC));
    expect(r).toMatchObject(decodedAddresses({ dstIp: VM_LL, dstMac: VM_MAC, srcIp: ROUTER_LL }));
    const built = ndpReplyFrame(r, SERVER_MAC);
    expect(built.ok && decodeNdpFrame(built.frame).ok).toBe(true);
  });
});
