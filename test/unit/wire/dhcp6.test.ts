import { describe, expect, it } from 'vitest';
import {
  Dhcp6Option,
  clientIdentifier,
  decodeDhcp6,
  dhcp6MessageTypeName,
  elapsedTime,
  encodeDhcp6,
  encodeDhcp6Into,
  getDhcp6Option,
  getDhcp6Options,
  hasDhcp6Option,
  hasIdentityAssociation,
  informationRefreshTime,
  optionRequestList,
  serverIdentifier,
  summarizeDhcp6,
  type Dhcp6Message,
} from '../../../src/wire/dhcp6.js';
import {
  Dhcp6Status,
  dnsServersOption,
  domainListOption,
  duidOption,
  elapsedTimeOption,
  informationRefreshTimeOption,
  optionRequestOption,
  statusCodeOption,
} from '../../../src/wire/dhcp6-options.js';
import { decodeDuid, duidLlFromMac, duidTime, encodeDuid, formatDuid, type Duid } from '../../../src/wire/duid.js';
import { buildDhcp6Frame, decodeDhcp6Frame } from '../../../src/wire/frame6.js';
import { EncodeError } from '../../../src/wire/result.js';
import { concat, everyTruncation, expectError, garbage, hex, value } from './helpers.js';
import { decodedAddresses } from './helpers.js';
import { IR_FRAME, REPLY_FRAME, ROUTER_LL, SERVER_MAC, VM_LL, VM_MAC } from './ipv6-golden.js';

const CLIENT_DUID = hex`00 01 00 01 2a 2a 2a 2a aa 00 00 00 00 10`;

describe('dhcp6 messages (scapy golden frames)', () => {
  it('decodes dhclient-style Information-Request: type, 3-octet transaction id, options in order', () => {
    const d = value(decodeDhcp6Frame(IR_FRAME));
    expect(d.frame).toMatchObject(decodedAddresses({ srcMac: VM_MAC, src: VM_LL, dst: 'ff02::1:2', hopLimit: 1 }));
    expect(d.srcPort).toBe(546);
    expect(d.dstPort).toBe(547);
    expect(d.message).toEqual({
      msgType: 11,
      transactionId: 0x123456,
      options: [
        [1, CLIENT_DUID],
        [6, hex`00 17 00 18 00 20`],
        [8, hex`00 00`],
      ],
    });
    const m = d.message;
    expect(clientIdentifier(m)).toEqual(CLIENT_DUID);
    expect(serverIdentifier(m)).toBeUndefined();
    expect(optionRequestList(m)).toEqual([23, 24, 32]);
    expect(elapsedTime(m)).toBe(0);
    expect(hasIdentityAssociation(m)).toBe(false);
    expect(summarizeDhcp6(m)).toBe('information-request xid=0x123456 client=llt:1:707406378:aa:00:00:00:00:10 options=[1,6,8]');
  });

  it('builds the Reply frame byte-identical to scapy (UDP checksum included)', () => {
    const reply: Dhcp6Message = {
      msgType: 7,
      transactionId: 0x123456,
      options: [
        [Dhcp6Option.ClientId, CLIENT_DUID],
        [Dhcp6Option.ServerId, duidLlFromMac('02:00:00:00:00:01')],
        [Dhcp6Option.DnsServers, dnsServersOption.encode(['2001:db8::53'])],
        [Dhcp6Option.DomainList, domainListOption.encode(['example.test'])],
        [Dhcp6Option.InformationRefreshTime, informationRefreshTimeOption.encode(86400)],
      ],
    };
    const frame = buildDhcp6Frame({ srcMac: SERVER_MAC, dstMac: VM_MAC, src: ROUTER_LL, dst: VM_LL, hopLimit: 64, srcPort: 547, dstPort: 546 }, reply);
    expect(frame).toEqual(REPLY_FRAME);
    const back = value(decodeDhcp6Frame(REPLY_FRAME));
    expect(back.message).toEqual(reply);
    expect(informationRefreshTime(back.message)).toBe(86400);
  });

  it('decodeDhcp6Frame says which layer refused', () => {
    const bad = IR_FRAME.slice();
    bad[60] = bad[60]! ^ 1; // UDP checksum
    expectError(decodeDhcp6Frame(bad), 'udp', 'bad-checksum');
    expect(decodeDhcp6Frame(bad, { verifyChecksum: false }).ok).toBe(true);
    const icmp = IR_FRAME.slice();
    icmp[20] = 58;
    expectError(decodeDhcp6Frame(icmp), 'ipv6', 'not-udp');
  });

  it('keeps duplicates and unknown options, in order; accessors read the first', () => {
    const m = value(
      decodeDhcp6(
        hex`0b 00 00 01
            00 02 00 03 00 03 01       # server id (malformed DUID, kept raw)
            ff 00 00 02 be ef          # unknown option 65280
            00 02 00 0a 00 03 00 01 02 00 00 00 00 01
            00 03 00 00                # IA_NA, empty (presence is what counts)`,
      ),
    );
    expect(getDhcp6Options(m, 2)).toEqual([hex`00 03 01`, hex`00 03 00 01 02 00 00 00 00 01`]);
    expect(serverIdentifier(m)).toEqual(hex`00 03 01`);
    expect(getDhcp6Option(m, 0xff00)).toEqual(hex`be ef`);
    expect(hasDhcp6Option(m, 3)).toBe(true);
    expect(hasIdentityAssociation(m)).toBe(true);
    expect(encodeDhcp6(m)).toEqual(hex`0b 00 00 01 00 02 00 03 00 03 01 ff 00 00 02 be ef 00 02 00 0a 00 03 00 01 02 00 00 00 00 01 00 03 00 00`);
    for (const code of [3, 4, 25]) expect(hasIdentityAssociation({ options: [[code, new Uint8Array(12)]] })).toBe(true);
  });

  it('accessors give undefined on malformed values, not an error', () => {
    const m: Dhcp6Message = { msgType: 11, transactionId: 1, options: [[6, hex`00 17 00`], [8, hex`00`], [32, hex`01`]] };
    expect(optionRequestList(m)).toBeUndefined();
    expect(elapsedTime(m)).toBeUndefined();
    expect(informationRefreshTime(m)).toBeUndefined();
  });

  it('refuses relay messages, truncated headers and options past the end', () => {
    expectError(decodeDhcp6(hex`0c 00 00 01`), 'dhcp6', 'relay-message');
    expectError(decodeDhcp6(hex`0d 00`), 'dhcp6', 'truncated');
    expectError(decodeDhcp6(hex`0d 00 00 00`), 'dhcp6', 'relay-message');
    expectError(decodeDhcp6(hex`0b 00 00`), 'dhcp6', 'truncated');
    expectError(decodeDhcp6(hex`0b 00 00 01 00 08 00 03 00 00`), 'dhcp6', 'truncated-option');
    expectError(decodeDhcp6(hex`0b 00 00 01 00 08 00`), 'dhcp6', 'truncated-option');
    expect(value(decodeDhcp6(hex`0b ff ff ff`))).toEqual({ msgType: 11, transactionId: 0xffffff, options: [] });
  });

  it('every truncation is a value or a typed dhcp6 error', () => {
    const payload = IR_FRAME.subarray(62);
    expect(everyTruncation(payload, decodeDhcp6)).toEqual(new Set(['dhcp6/truncated', 'dhcp6/truncated-option']));
    const frame = everyTruncation(IR_FRAME, (b) => decodeDhcp6Frame(b));
    expect([...frame].every((r) => /^(ethernet|ipv6|udp|dhcp6)\//.test(r))).toBe(true);
  });

  it('encodes every octet and refuses bad fields', () => {
    const m = value(decodeDhcp6Frame(IR_FRAME)).message;
    const out = garbage(IR_FRAME.length);
    const n = encodeDhcp6Into(m, out, 3);
    expect(out.subarray(3, 3 + n)).toEqual(IR_FRAME.subarray(62));
    expect(() => encodeDhcp6({ ...m, transactionId: 0x1000000 })).toThrow(EncodeError);
    expect(() => encodeDhcp6({ ...m, msgType: 12 })).toThrow(/relay-message/);
    expect(() => encodeDhcp6({ ...m, options: [[0x10000, new Uint8Array(0)]] })).toThrow(EncodeError);
    expect(() => encodeDhcp6({ ...m, options: [[1, new Uint8Array(0x10000)]] })).toThrow(/too-big/);
    expect(() => encodeDhcp6Into(m, new Uint8Array(5))).toThrow(/buffer-too-small/);
    expect(dhcp6MessageTypeName(11)).toBe('information-request');
    expect(dhcp6MessageTypeName(99)).toBe('type-99');
  });
});

describe('DUIDs (RFC 8415 §11, RFC 6355)', () => {
  const cases: Array<[string, Uint8Array, Duid]> = [
    ['LLT', CLIENT_DUID, { type: 'llt', hardwareType: 1, time: 0x2a2a2a2a, linkLayerAddress: hex`aa 00 00 00 00 10` }],
    ['EN', hex`00 02 00 00 00 09 0a 0b 0c`, { type: 'en', enterpriseNumber: 9, identifier: hex`0a 0b 0c` }],
    ['LL', hex`00 03 00 01 02 00 00 00 00 01`, { type: 'll', hardwareType: 1, linkLayerAddress: hex`02 00 00 00 00 01` }],
    ['UUID', concat(hex`00 04`, hex`00112233445566778899aabbccddeeff`), { type: 'uuid', uuid: hex`00112233445566778899aabbccddeeff` }],
    ['unknown type', hex`00 05 01`, { type: 'unknown', code: 5, data: hex`01` }],
  ];

  it.each(cases)('decodes and re-encodes DUID-%s', (_n, bytes, duid) => {
    expect(value(decodeDuid(bytes))).toEqual(duid);
    expect(encodeDuid(duid)).toEqual(bytes);
    expect(value(duidOption.decode(bytes))).toEqual(duid);
  });

  it('enforces 3..130 octets and each type’s fixed part', () => {
    expectError(decodeDuid(hex`00 03`), 'duid', 'bad-length');
    expectError(decodeDuid(concat(hex`00 02 00 00 00 09`, new Uint8Array(125))), 'duid', 'bad-length'); // 131
    expect(decodeDuid(concat(hex`00 02 00 00 00 09`, new Uint8Array(124))).ok).toBe(true); // 130
    expectError(decodeDuid(hex`00 01 00 01 00 00 00 00`), 'duid', 'bad-length');
    expectError(decodeDuid(hex`00 02 00 00 00 09`), 'duid', 'bad-length');
    expectError(decodeDuid(hex`00 03 00 01`), 'duid', 'bad-length');
    expectError(decodeDuid(concat(hex`00 04`, new Uint8Array(15))), 'duid', 'bad-length');
    expect(() => encodeDuid({ type: 'uuid', uuid: new Uint8Array(15) })).toThrow(EncodeError);
    expect(() => encodeDuid({ type: 'll', hardwareType: 1, linkLayerAddress: new Uint8Array(0) })).toThrow(EncodeError);
    expect(() => encodeDuid({ type: 'll', hardwareType: 1, linkLayerAddress: new Uint8Array(127) })).toThrow(EncodeError);
    expect(() => encodeDuid({ type: 'unknown', code: 3, data: hex`01` })).toThrow(/known type/);
    expect(() => encodeDuid({ type: 'llt', hardwareType: 1, time: -1, linkLayerAddress: hex`01` })).toThrow(EncodeError);
  });

  it('makes DUID-LL of a MAC, times DUID-LLT from 2000-01-01, and formats for logs', () => {
    expect(duidLlFromMac('02:00:00:00:00:01')).toEqual(hex`00 03 00 01 02 00 00 00 00 01`);
    expect(() => duidLlFromMac('02:00')).toThrow(EncodeError);
    expect(duidTime(new Date('2000-01-01T00:00:00Z'))).toBe(0);
    expect(duidTime(new Date('2000-01-02T00:00:01Z'))).toBe(86401);
    expect(duidTime(new Date('2136-02-07T06:28:16Z'))).toBe(0); // 2^32 s later wraps
    expect(duidTime(new Date('1999-12-31T23:59:59Z'))).toBe(0xffffffff);
    expect(formatDuid(hex`00 03 00 01 02 00 00 00 00 01`)).toBe('ll:1:02:00:00:00:00:01');
    expect(formatDuid(hex`00 02 00 00 00 09 0a 0b`)).toBe('en:9:0a0b');
    expect(formatDuid(hex`00 05 01`)).toBe('type5:01');
    expect(formatDuid(hex`00`)).toBe('invalid:00');
  });
});

describe('dhcp6 option codecs', () => {
  it('round-trip their values', () => {
    expect(value(optionRequestOption.decode(optionRequestOption.encode([23, 24, 32])))).toEqual([23, 24, 32]);
    expect(value(optionRequestOption.decode(new Uint8Array(0)))).toEqual([]);
    expect(value(elapsedTimeOption.decode(elapsedTimeOption.encode(0xffff)))).toBe(0xffff);
    expect(value(statusCodeOption.decode(statusCodeOption.encode({ code: Dhcp6Status.NoAddrsAvail, message: 'no addresses — sorry' })))).toEqual({
      code: 2,
      message: 'no addresses — sorry',
    });
    expect(value(statusCodeOption.decode(hex`00 00`))).toEqual({ code: 0, message: '' });
    expect(value(dnsServersOption.decode(dnsServersOption.encode(['2001:db8::53', 'fd00::1'])))).toEqual(['2001:db8::53', 'fd00::1']);
    expect(value(domainListOption.decode(domainListOption.encode(['example.test', 'a.b.c'])))).toEqual(['example.test', 'a.b.c']);
  });

  it('refuse malformed values', () => {
    expectError(optionRequestOption.decode(hex`00`), 'dhcp6-option', 'bad-length');
    expectError(elapsedTimeOption.decode(hex`00 00 00`), 'dhcp6-option', 'bad-length');
    expectError(informationRefreshTimeOption.decode(hex`00 00 00`), 'dhcp6-option', 'bad-length');
    expectError(statusCodeOption.decode(hex`00`), 'dhcp6-option', 'bad-length');
    expectError(dnsServersOption.decode(new Uint8Array(0)), 'dhcp6-option', 'bad-length');
    expectError(dnsServersOption.decode(new Uint8Array(17)), 'dhcp6-option', 'bad-length');
    expectError(domainListOption.decode(new Uint8Array(0)), 'dhcp6-option', 'empty');
    expectError(domainListOption.decode(hex`01 61 c0 00`), 'dns-name', 'compressed'); // RFC 8415 §10: no compression
    expectError(domainListOption.decode(hex`03 61 62`), 'dns-name', 'truncated');
    expect(() => dnsServersOption.encode([])).toThrow(/empty/);
    expect(() => dnsServersOption.encode(['198.51.100.1'])).toThrow(/bad-address/);
    expect(() => domainListOption.encode([])).toThrow(/empty/);
    expect(() => optionRequestOption.encode([0x10000])).toThrow(EncodeError);
    expect(() => informationRefreshTimeOption.encode(-1)).toThrow(EncodeError);
  });
});
