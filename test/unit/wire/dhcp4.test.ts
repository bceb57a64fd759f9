import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DHCP4_MIN_LENGTH,
  clientId,
  decodeDhcp4,
  encodeDhcp4,
  encodeDhcp4Into,
  getOption,
  hostname,
  leaseTime,
  maxMessageSize,
  messageType,
  parameterRequestList,
  requestedIp,
  serverId,
  summarizeDhcp4,
  vendorClass,
} from '../../../src/wire/dhcp4.js';
import { Dhcp4MessageType, type Dhcp4MessageSpec } from '../../../src/wire/dhcp4-types.js';
import { formatMac } from '../../../src/wire/addr.js';
import { decodeOptionArea } from '../../../src/wire/dhcp4-options.js';
import { concat, dhcp4Decoded, everyTruncation, expectError, garbage, hex, ip4, toHex, value, zeros } from './helpers.js';

/** BOOTP fixed header for a client request from aa:00:00:00:00:10 (236 octets + cookie). */
const DISCOVER_HEADER = concat(
  hex`
    01                 # op: BOOTREQUEST
    01                 # htype: Ethernet
    06                 # hlen
    00                 # hops
    39 03 f3 26        # xid
    00 00              # secs
    00 00              # flags
    00 00 00 00        # ciaddr
    00 00 00 00        # yiaddr
    00 00 00 00        # siaddr
    00 00 00 00        # giaddr
    aa 00 00 00 00 10  00 00 00 00 00 00 00 00 00 00  # chaddr (6 + 10 padding)`,
  zeros(64), // sname
  zeros(128), // file
  hex`63 82 53 63`, // magic cookie
);

// A DHCPDISCOVER as built by scapy (same bytes a dhclient sends, minus its padding to 300).
const DISCOVER = concat(
  DISCOVER_HEADER,
  hex`
    35 01 01                            # 53 message type: DISCOVER
    3d 07 01 aa 00 00 00 00 10          # 61 client id: type 1 + MAC
    32 04 cb 00 71 0a                   # 50 requested address 203.0.113.10
    0c 04 76 6d 31 30                   # 12 host name "vm10"
    37 08 01 03 06 0f 77 79 f9 fc       # 55 PRL: 1 3 6 15 119 121 249 252
    ff                                  # end`,
);

const ACK_MESSAGE: Dhcp4MessageSpec = {
  op: 2,
  htype: 1,
  hlen: 6,
  hops: 0,
  xid: 0x3903f326,
  secs: 0,
  flags: 0x8000,
  ciaddr: '0.0.0.0',
  yiaddr: '203.0.113.10',
  siaddr: '0.0.0.0',
  giaddr: '0.0.0.0',
  chaddr: 'aa:00:00:00:00:10',
  sname: '',
  file: '',
  options: [
    [53, hex`05`],
    [54, hex`cb 00 71 01`],
    [51, hex`00 01 51 80`],
    [58, hex`00 00 a8 c0`],
    [1, hex`ff ff ff 00`],
    [121, hex`10 a9 fe cb 00 71 01  00 cb 00 71 01`],
    [3, hex`cb 00 71 01`],
    [6, hex`08 08 08 08`],
    [15, hex`65 78 61 6d 70 6c 65 2e 6f 72 67`],
    [61, hex`01 aa 00 00 00 00 10`],
  ],
};

// The same ACK built by scapy (BOOTP()/DHCP(options=[...])): 316 octets, no padding needed.
const ACK = concat(
  hex`
    02 01 06 00        # BOOTREPLY, Ethernet, hlen 6, hops 0
    39 03 f3 26        # xid
    00 00 80 00        # secs 0, flags BROADCAST
    00 00 00 00        # ciaddr
    cb 00 71 0a        # yiaddr 203.0.113.10
    00 00 00 00        # siaddr
    00 00 00 00        # giaddr
    aa 00 00 00 00 10  00 00 00 00 00 00 00 00 00 00  # chaddr`,
  zeros(64 + 128),
  hex`
    63 82 53 63                                   # magic cookie
    35 01 05                                      # 53 message type: ACK
    36 04 cb 00 71 01                             # 54 server id 203.0.113.1
    33 04 00 01 51 80                             # 51 lease time 86400
    3a 04 00 00 a8 c0                             # 58 T1 43200
    01 04 ff ff ff 00                             # 1 subnet mask /24
    79 0c 10 a9 fe cb 00 71 01 00 cb 00 71 01     # 121 169.254/16 + default, via 203.0.113.1
    03 04 cb 00 71 01                             # 3 router
    06 04 08 08 08 08                             # 6 DNS 8.8.8.8
    0f 0b 65 78 61 6d 70 6c 65 2e 6f 72 67        # 15 domain "example.org"
    3d 07 01 aa 00 00 00 00 10                    # 61 client id echoed (RFC 6842)
    ff                                            # end`,
);

function msg(options: Dhcp4MessageSpec['options'], over: Partial<Dhcp4MessageSpec> = {}): Dhcp4MessageSpec {
  return { ...ACK_MESSAGE, options, ...over };
}

function enc(m: Dhcp4MessageSpec, maxLength?: number): Uint8Array {
  return value(encodeDhcp4(m, maxLength === undefined ? undefined : { maxLength }));
}

describe('dhcp4 decode', () => {
  it('decodes the golden DISCOVER', () => {
    const m = value(decodeDhcp4(DISCOVER));
    expect(m).toEqual(dhcp4Decoded({
      op: 1,
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: 0x3903f326,
      secs: 0,
      flags: 0,
      ciaddr: '0.0.0.0',
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: 'aa:00:00:00:00:10',
      sname: '',
      file: '',
      options: [
        [53, hex`01`],
        [61, hex`01 aa 00 00 00 00 10`],
        [50, hex`cb 00 71 0a`],
        [12, hex`76 6d 31 30`],
        [55, hex`01 03 06 0f 77 79 f9 fc`],
      ],
    }));
  });

  it('accessors give typed values', () => {
    const m = value(decodeDhcp4(DISCOVER));
    expect(messageType(m)).toBe(Dhcp4MessageType.Discover);
    expect(requestedIp(m)).toBe(ip4('203.0.113.10'));
    expect(hostname(m)).toBe('vm10');
    expect(parameterRequestList(m)).toEqual([1, 3, 6, 15, 119, 121, 249, 252]);
    expect(clientId(m)).toEqual(hex`01 aa 00 00 00 00 10`);
    expect(serverId(m)).toBeUndefined();
    expect(maxMessageSize(m)).toBeUndefined();
    expect(vendorClass(m)).toBeUndefined();
    expect(leaseTime(m)).toBeUndefined();
    expect(summarizeDhcp4(m)).toBe(
      'DHCPDISCOVER xid=0x3903f326 chaddr=aa:00:00:00:00:10 requested=203.0.113.10 hostname="vm10" options=53,61,50,12,55',
    );
  });

  it('accessors fail open per option: malformed or out of range gives undefined', () => {
    const m = msg([
      [53, hex`09`], // not one of RFC 2132's eight
      [50, hex`cb 00 71`],
      [54, hex`cb 00 71 01 02`],
      [55, new Uint8Array(0)],
      [57, hex`02 3f`], // 575 < 576
      [61, hex`01`],
      [60, hex`00`],
      [12, new Uint8Array(0)],
      [51, hex`00 01`],
    ]);
    for (const get of [messageType, requestedIp, serverId, parameterRequestList, maxMessageSize, clientId, vendorClass, hostname, leaseTime]) {
      expect(get(m)).toBeUndefined();
    }
    const good = msg([
      [53, hex`08`],
      [54, hex`cb 00 71 01`],
      [57, hex`05 dc`],
      [60, hex`4d 53 46 54 20 35 2e 30`],
      [51, hex`ff ff ff ff`],
    ]);
    expect(messageType(good)).toBe(Dhcp4MessageType.Inform);
    expect(serverId(good)).toBe(ip4('203.0.113.1'));
    expect(maxMessageSize(good)).toBe(1500);
    expect(vendorClass(good)).toBe('MSFT 5.0');
    expect(leaseTime(good)).toBe(0xffffffff);
    expect(getOption(good, 99)).toBeUndefined();
  });

  it('reads sname and file as strings up to NUL', () => {
    const b = DISCOVER.slice();
    b.set(new TextEncoder().encode('boot.example'), 44);
    b.set(new TextEncoder().encode('pxelinux.0'), 108);
    b[108 + 20] = 0x41; // after the NUL: ignored
    const m = value(decodeDhcp4(b));
    expect(m.sname).toBe('boot.example');
    expect(m.file).toBe('pxelinux.0');
    // A field filled to the brim (no NUL) is read whole.
    b.fill(0x61, 44, 108);
    expect(value(decodeDhcp4(b)).sname).toBe('a'.repeat(64));
  });

  it('chaddr is hlen octets (0..16)', () => {
    const b = DISCOVER.slice();
    b[2] = 16;
    const chaddr = (): string => {
      const c = value(decodeDhcp4(b)).chaddr;
      return formatMac(c, 0, c.length);
    };
    expect(chaddr()).toBe('aa:00:00:00:00:10:00:00:00:00:00:00:00:00:00:00');
    b[2] = 0;
    expect(chaddr()).toBe('');
    b[1] = 32; // InfiniBand: hlen 0 (RFC 4390), chaddr empty
    expect(value(decodeDhcp4(b)).htype).toBe(32);
  });

  it('refuses broken messages with typed errors', () => {
    const mut = (i: number, v: number) => {
      const b = DISCOVER.slice();
      b[i] = v;
      return b;
    };
    expectError(decodeDhcp4(DISCOVER.slice(0, 239)), 'dhcp4', 'truncated');
    expectError(decodeDhcp4(mut(0, 3)), 'dhcp4', 'bad-op');
    expectError(decodeDhcp4(mut(0, 0)), 'dhcp4', 'bad-op');
    expectError(decodeDhcp4(mut(2, 17)), 'dhcp4', 'bad-hlen');
    expectError(decodeDhcp4(mut(239, 0x64)), 'dhcp4', 'bad-magic');
    expectError(decodeDhcp4(mut(DISCOVER.length - 10, 0x20)), 'dhcp4', 'truncated-option'); // PRL length 32 runs past the end
  });

  it('accepts a message with the cookie and no options (BOOTP), and one without End', () => {
    expect(value(decodeDhcp4(DISCOVER_HEADER)).options).toEqual([]);
    expect(value(decodeDhcp4(DISCOVER.slice(0, DISCOVER.length - 1))).options.length).toBe(5);
  });

  it('never throws on any truncation', () => {
    const reasons = everyTruncation(DISCOVER, decodeDhcp4);
    expect(reasons).toEqual(new Set(['dhcp4/truncated', 'dhcp4/truncated-option']));
    everyTruncation(ACK, decodeDhcp4);
  });
});

describe('dhcp4 encode', () => {
  it('reproduces the golden ACK (scapy-built)', () => {
    expect(toHex(enc(ACK_MESSAGE))).toBe(toHex(ACK));
    expect(value(decodeDhcp4(ACK))).toEqual(dhcp4Decoded(ACK_MESSAGE));
  });

  it('writes every octet into a garbage-filled buffer, at an offset', () => {
    const out = garbage(7 + ACK.length + 5);
    expect(value(encodeDhcp4Into(ACK_MESSAGE, out, 7))).toBe(ACK.length);
    expect(toHex(out.subarray(7, 7 + ACK.length))).toBe(toHex(ACK));
    expect(out.subarray(0, 7).every((x) => x === 0xa5)).toBe(true);
    expect(out.subarray(7 + ACK.length).every((x) => x === 0xa5)).toBe(true);
    expectError(encodeDhcp4Into(ACK_MESSAGE, new Uint8Array(ACK.length - 1)), 'dhcp4', 'buffer-too-small');
  });

  it('pads to the BOOTP minimum of 300 octets with zeros after End', () => {
    const nak = msg([
      [53, hex`06`],
      [54, hex`cb 00 71 01`],
    ]);
    const out = garbage(DHCP4_MIN_LENGTH);
    expect(value(encodeDhcp4Into(nak, out))).toBe(300);
    expect(toHex(out.subarray(236, 250))).toBe('63 82 53 63 35 01 06 36 04 cb 00 71 01 ff');
    expect(out.subarray(250).every((x) => x === 0)).toBe(true);
    expect(enc(nak).length).toBe(300);
  });

  it('writes sname, file and a 16-octet chaddr', () => {
    const m = msg([[53, hex`02`]], { sname: 'srv', file: 'pxelinux.0', siaddr: '192.0.2.9', hlen: 16, chaddr: '00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f' });
    const b = enc(m);
    expect(toHex(b.subarray(28, 44))).toBe('00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f');
    expect(toHex(b.subarray(44, 48))).toBe('73 72 76 00');
    expect(value(decodeDhcp4(b))).toEqual(dhcp4Decoded(m));
  });

  it('RFC 3396: a 300-octet option is split 255 + 45, and decodes joined', () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const m = msg([
      [53, hex`05`],
      [249, big],
    ]);
    const b = enc(m, 1500);
    expect(toHex(b.subarray(240, 245))).toBe('35 01 05 f9 ff');
    expect(toHex(b.subarray(243 + 257, 243 + 259))).toBe('f9 2d');
    expect(b.length).toBe(240 + 3 + 304 + 1);
    expect(getOption(value(decodeDhcp4(b)), 249)).toEqual(big);
  });

  it('option overload: spills into file (option 52 = 1) when the options field is full', () => {
    // 576 − 28 − 240 = 308 octets for options + End; these need 3 + 6 × 52 + 1 = 316.
    const opts: Dhcp4MessageSpec['options'] = [[53, hex`05`]];
    for (let c = 200; c < 206; c++) opts.push([c, new Uint8Array(50).fill(c)]);
    const m = msg(opts);
    const b = enc(m);
    expect(b.length).toBeLessThanOrEqual(548);
    // Options field: 53, five 52-octet options, then 52 = 1, End.
    const main = value(decodeOptionArea(b.subarray(240)));
    expect(main.map(([c]) => c)).toEqual([53, 200, 201, 202, 203, 204, 52]);
    expect(main[6]![1]).toEqual(hex`01`);
    // file: the sixth option whole (not split), End, zeros.
    expect(b[108]).toBe(205);
    expect(b[109]).toBe(50);
    expect(b[108 + 52]).toBe(0xff);
    expect(b.subarray(108 + 53, 236).every((x) => x === 0)).toBe(true);
    // Decoded back: same options, same order, option 52 consumed, file reads as ''.
    expect(value(decodeDhcp4(b))).toEqual(dhcp4Decoded(m));
  });

  it('option overload: file then sname (52 = 3), long options split across fields', () => {
    // options field: 3 (53) + 257 + 44 (121, 255 + 42) + 3 (52) + End = 308; file: 2 + 125 + End; sname: 2 + 48 + End.
    const big = Uint8Array.from({ length: 470 }, (_, i) => i & 0xff);
    const m = msg([
      [53, hex`05`],
      [121, big],
    ]);
    const b = enc(m);
    expect(b.length).toBe(548);
    expect(toHex(b.subarray(108, 110))).toBe('79 7d');
    expect(toHex(b.subarray(44, 46))).toBe('79 30');
    const d = value(decodeDhcp4(b));
    expect(d).toEqual(dhcp4Decoded(m));
    const main = value(decodeOptionArea(b.subarray(240)));
    expect(main.find(([c]) => c === 52)?.[1]).toEqual(hex`03`);
    expect(b[44]).toBe(121); // sname carries the tail
  });

  it('option overload uses sname only when file is taken (52 = 2)', () => {
    const opts: Dhcp4MessageSpec['options'] = [[53, hex`05`]];
    for (let c = 200; c < 206; c++) opts.push([c, new Uint8Array(50).fill(c)]);
    const m = msg(opts, { file: 'pxelinux.0' });
    const b = enc(m);
    expect(value(decodeOptionArea(b.subarray(240))).find(([c]) => c === 52)?.[1]).toEqual(hex`02`);
    expect(b[44]).toBe(205);
    expect(value(decodeDhcp4(b))).toEqual(dhcp4Decoded(m));
  });

  it('too big even with overload: a typed error, no packet', () => {
    const m = msg([
      [53, hex`05`],
      [121, new Uint8Array(600)],
    ]);
    expectError(encodeDhcp4(m), 'dhcp4', 'too-big');
    expectError(encodeDhcp4(msg([[121, new Uint8Array(600)]], { file: 'x', sname: 'y' })), 'dhcp4', 'too-big');
    // ... but fits a client that allows 1500-octet datagrams, without overload.
    const b = enc(m, 1500);
    expect(value(decodeOptionArea(b.subarray(240))).some(([c]) => c === 52)).toBe(false);
  });

  it('maxLength is the IP datagram size: floor 576, DHCP message at most maxLength − 28', () => {
    const opts: Dhcp4MessageSpec['options'] = [[53, hex`05`]];
    for (let c = 200; c < 220; c++) opts.push([c, new Uint8Array(60).fill(c)]);
    const m = msg(opts);
    for (const max of [undefined, NaN, -1, 100, 576, 600, 800, 1500]) {
      const r = encodeDhcp4(m, max === undefined ? undefined : { maxLength: max });
      if (r.ok) {
        expect(r.value.length).toBeLessThanOrEqual(Math.max(576, Number.isFinite(max) ? max! : 576) - 28);
        expect(value(decodeDhcp4(r.value))).toEqual(dhcp4Decoded(m));
      } else {
        expect(r.error.reason).toBe('too-big');
      }
    }
    expect(encodeDhcp4(m, { maxLength: 1500 }).ok).toBe(true);
    expect(encodeDhcp4(m, { maxLength: 100 }).ok).toBe(false);
  });

  it('refuses bad fields and options with typed errors (never throws)', () => {
    const bad: Array<Partial<Dhcp4MessageSpec>> = [
      { op: 3 as 1 },
      { htype: 256 },
      { hlen: 17 },
      { xid: -1 },
      { secs: 65536 },
      { flags: 1.5 },
      { ciaddr: '1.2.3' },
      { chaddr: 'aa:00:00:00:00' },
      { chaddr: 'aa:00:00:00:00:zz' },
      { sname: 'x'.repeat(65) },
      { file: 'a\u0000b' },
      { options: [[0, hex`00`]] },
      { options: [[255, hex`00`]] },
      { options: [[52, hex`01`]] },
      { options: [[12, 'x' as unknown as Uint8Array]] },
    ];
    for (const over of bad) expectError(encodeDhcp4({ ...ACK_MESSAGE, ...over }), 'dhcp4', 'bad-field');
  });
});

describe('dhcp4 overload decode (hand-built)', () => {
  // Options field: 53, part 1 of 119, option 52 = 3. file: part 2 of 119, 15. sname: 12.
  const b = concat(
    hex`02 01 06 00  00 00 00 01  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00`,
    hex`aa 00 00 00 00 10`,
    zeros(10),
    // sname (64): 12 host name "vm10", End
    hex`0c 04 76 6d 31 30 ff`,
    zeros(64 - 7),
    // file (128): 119 part 2 "com" + root, 52 (ignored here), 15 domain "ex", End
    hex`77 05 03 63 6f 6d 00  34 01 01  0f 02 65 78  ff`,
    zeros(128 - 15),
    hex`
      63 82 53 63             # cookie
      35 01 02                # 53 OFFER
      77 04 03 66 6f 6f       # 119 part 1: "foo"
      34 01 03                # 52 overload: file + sname
      ff`,
  );

  it('reads options, then file, then sname, joining across fields', () => {
    const m = value(decodeDhcp4(b));
    expect(m.sname).toBe('');
    expect(m.file).toBe('');
    expect(m.options).toEqual([
      [53, hex`02`],
      [119, hex`03 66 6f 6f 03 63 6f 6d 00`],
      [15, hex`65 78`],
      [12, hex`76 6d 31 30`],
    ]);
    // ... and re-encodes to a message that decodes the same.
    expect(value(decodeDhcp4(enc(m)))).toEqual(m);
  });

  it('ignores a malformed option 52 (fields are then strings)', () => {
    const c = b.slice();
    c[240 + 3 + 6 + 2] = 4; // overload value 4
    const m = value(decodeDhcp4(c));
    expect(m.options.map(([k]) => k)).toEqual([53, 119]);
    expect(m.sname).toBe('\u000c\u0004vm10\u00ff');
  });

  it('refuses an option running past the file field', () => {
    const c = b.slice();
    c[108 + 10 + 1] = 200; // 15's length runs past file
    expectError(decodeDhcp4(c), 'dhcp4', 'truncated-option');
  });

  it('never throws on any truncation or single-octet corruption', () => {
    everyTruncation(b, decodeDhcp4);
    for (let i = 0; i < b.length; i++) {
      for (const v of [0x00, 0x01, 0x34, 0xff]) {
        const c = b.slice();
        c[i] = v;
        const r = decodeDhcp4(c);
        if (r.ok) expect(value(decodeDhcp4(enc(r.value, 1500)))).toEqual(r.value);
      }
    }
  });
});

const arbMessage: fc.Arbitrary<Dhcp4MessageSpec> = fc
  .record({
    op: fc.constantFrom(1 as const, 2 as const),
    htype: fc.nat(255),
    chaddrBytes: fc.uint8Array({ maxLength: 16 }),
    hops: fc.nat(255),
    xid: fc.nat(0xffffffff),
    secs: fc.nat(0xffff),
    flags: fc.nat(0xffff),
    addrs: fc.array(fc.nat(0xffffffff), { minLength: 4, maxLength: 4 }),
    sname: fc.string({ maxLength: 64, unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)) }),
    file: fc.string({ maxLength: 128, unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)) }),
    options: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52), fc.uint8Array({ maxLength: 300 })), {
      selector: ([c]) => c,
      maxLength: 12,
    }),
  })
  .map((r) => {
    const ip = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    return {
      op: r.op,
      htype: r.htype,
      hlen: r.chaddrBytes.length,
      hops: r.hops,
      xid: r.xid,
      secs: r.secs,
      flags: r.flags,
      ciaddr: ip(r.addrs[0]!),
      yiaddr: ip(r.addrs[1]!),
      siaddr: ip(r.addrs[2]!),
      giaddr: ip(r.addrs[3]!),
      chaddr: Array.from(r.chaddrBytes, (x) => x.toString(16).padStart(2, '0')).join(':'),
      sname: r.sname,
      file: r.file,
      options: r.options,
    };
  });

describe('dhcp4 properties', () => {
  it('decode(encode(m)) = m, or a too-big error; never longer than the limit', () => {
    fc.assert(
      fc.property(arbMessage, fc.constantFrom(576, 1024, 1500, 9000), (m, maxLength) => {
        const r = encodeDhcp4(m, { maxLength });
        if (!r.ok) {
          expect(r.error.reason).toBe('too-big');
          return;
        }
        expect(r.value.length).toBeGreaterThanOrEqual(300);
        expect(r.value.length).toBeLessThanOrEqual(maxLength - 28);
        expect(value(decodeDhcp4(r.value))).toEqual(dhcp4Decoded(m));
      }),
      { numRuns: 300 },
    );
  });
});
