/**
 * Network boot in DHCPv4 replies (protocols/dhcp4-boot.ts, issue 13 item
 * 2): which boot file each kind of client gets (PXE BIOS, PXE UEFI by
 * option 93, iPXE by user class 77 or by option 175), how it is carried
 * (file, siaddr, 66/67 as asked), through the reply templates too, and
 * that without boot keys every captured client's reply is byte for byte
 * what it was before these keys existed.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../../src/bindings/binding.js';
import { defaultSettings } from '../../../src/config/config.js';
import { dhcp4ReplyFrame } from '../../../src/protocols/dhcp4-frame.js';
import { respondDhcp4, type Dhcp4Decision } from '../../../src/protocols/dhcp4.js';
import { BOOT_IPXE, BOOT_UEFI, bootClient, clientArchitecture, isIpxeRequest } from '../../../src/protocols/dhcp4-boot.js';
import { formatMac48, numberToIpv4 } from '../../../src/wire/addr.js';
import { decodeDhcp4, getOption } from '../../../src/wire/dhcp4.js';
import { decodeUdpFrame } from '../../../src/wire/frame.js';
import type { Dhcp4Message } from '../../../src/wire/dhcp4-types.js';
import { testBinding } from '../../helpers/binding.js';
import { peekDhcp4 } from '../../helpers/frame-peek.js';
import { fixtureFrame } from '../../helpers/pcap.js';
import { dhcp4Decoded, mac48 } from '../wire/helpers.js';

const MAC = 'aa:00:00:00:00:10';
const MAC48 = mac48(MAC);
const SERVER_MAC = 'fe:00:00:00:00:01';
const settings = { ...defaultSettings().dhcp, leaseRebinding: 529200 };
const text = (s: string) => new TextEncoder().encode(s);
const latin1 = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('latin1'));

const BOOT = {
  bootfile: 'undionly.kpxe',
  bootfileEfi: 'ipxe.efi',
  ipxeBootfile: 'http://203.0.113.1/boot.ipxe',
  nextServer: '203.0.113.1',
};

const PXE_BIOS: Array<[number, Uint8Array]> = [[60, text('PXEClient:Arch:00000:UNDI:002001')], [93, Uint8Array.of(0, 0)], [55, Uint8Array.of(1, 3, 6, 66, 67)]];
const PXE_EFI: Array<[number, Uint8Array]> = [[60, text('PXEClient:Arch:00007:UNDI:003016')], [93, Uint8Array.of(0, 7)], [55, Uint8Array.of(1, 3, 6, 66, 67)]];
const IPXE_77: Array<[number, Uint8Array]> = [[77, text('iPXE')], [93, Uint8Array.of(0, 0)], [55, Uint8Array.of(1, 3, 6, 67)]];
const IPXE_175: Array<[number, Uint8Array]> = [[175, Uint8Array.of(0xb1, 1, 1)], [55, Uint8Array.of(1, 3, 6)]];

function request(opts: Array<[number, Uint8Array]>, type = 1, xid = 0x12345678): Dhcp4Message {
  return dhcp4Decoded({
    op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: MAC, sname: '', file: '', options: [[53, Uint8Array.of(type)], ...opts],
  });
}

function reply(d: Dhcp4Decision) {
  if (d.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(d)}`);
  return d.reply;
}

const offer = (opts: Array<[number, Uint8Array]>, b: Binding) => reply(respondDhcp4(request(opts), b, settings, MAC48)).message;

describe('boot client kind', () => {
  it('iPXE by user class "iPXE" (raw or RFC 3004 list) or option 175; UEFI by option 93', () => {
    expect(isIpxeRequest(request(IPXE_77))).toBe(true);
    expect(isIpxeRequest(request(IPXE_175))).toBe(true);
    expect(isIpxeRequest(request([[77, Uint8Array.of(4, ...text('iPXE'))]]))).toBe(true);
    expect(isIpxeRequest(request([[77, text('iPX')]]))).toBe(false);
    expect(isIpxeRequest(request(PXE_BIOS))).toBe(false);
    expect(bootClient(request(PXE_BIOS))).toBe(0);
    expect(bootClient(request(PXE_EFI))).toBe(BOOT_UEFI);
    expect(bootClient(request([[93, Uint8Array.of(0, 11)], [175, Uint8Array.of(1)]]))).toBe(BOOT_UEFI | BOOT_IPXE);
    // Malformed 93 (odd length, empty): no architecture, never a throw.
    expect(clientArchitecture(request([[93, Uint8Array.of(7)]]))).toBeUndefined();
    expect(clientArchitecture(request([[93, new Uint8Array(0)]]))).toBeUndefined();
    expect(clientArchitecture(request([[93, Uint8Array.of(0, 9, 0, 0)]]))).toBe(9);
  });
});

describe('DHCPv4 replies with boot keys', () => {
  const b = testBinding(BOOT);

  it('PXE BIOS: BOOTFILE in file, siaddr = NEXT_SERVER, 66 and 67 as it asked', () => {
    const m = offer(PXE_BIOS, b);
    expect(m.file).toBe('undionly.kpxe');
    expect(numberToIpv4(m.siaddr)).toBe('203.0.113.1');
    expect(latin1(getOption(m, 67))).toBe('undionly.kpxe');
    expect(latin1(getOption(m, 66))).toBe('203.0.113.1');
  });

  it('PXE UEFI (option 93 = 7): BOOTFILE_EFI; BOOTFILE when BOOTFILE_EFI is unset', () => {
    expect(offer(PXE_EFI, b).file).toBe('ipxe.efi');
    expect(latin1(getOption(offer(PXE_EFI, b), 67))).toBe('ipxe.efi');
    expect(offer(PXE_EFI, testBinding({ ...BOOT, bootfileEfi: undefined })).file).toBe('undionly.kpxe');
  });

  it('iPXE by option 77: IPXE_BOOTFILE (67 as asked, no 66 unasked)', () => {
    const m = offer(IPXE_77, b);
    expect(m.file).toBe('http://203.0.113.1/boot.ipxe');
    expect(latin1(getOption(m, 67))).toBe('http://203.0.113.1/boot.ipxe');
    expect(getOption(m, 66)).toBeUndefined();
  });

  it('iPXE by option 175 alone: IPXE_BOOTFILE, no 66/67 when not asked; unset IPXE_BOOTFILE falls back by architecture', () => {
    const m = offer(IPXE_175, b);
    expect(m.file).toBe('http://203.0.113.1/boot.ipxe');
    expect(getOption(m, 67)).toBeUndefined();
    expect(getOption(m, 66)).toBeUndefined();
    const noIpxe = testBinding({ ...BOOT, ipxeBootfile: undefined });
    expect(offer(IPXE_175, noIpxe).file).toBe('undionly.kpxe');
    expect(offer([...IPXE_175, [93, Uint8Array.of(0, 7)]], noIpxe).file).toBe('ipxe.efi');
  });

  it('a name longer than the file field goes in option 67 only, asked or not', () => {
    const long = `http://203.0.113.1/${'x'.repeat(150)}`;
    const m = offer(IPXE_175, testBinding({ ipxeBootfile: long }));
    expect(m.file).toBe('');
    expect(latin1(getOption(m, 67))).toBe(long);
  });

  it('NEXT_SERVER alone sets siaddr (and 66 when asked) without a file; ACKs carry the same as OFFERs', () => {
    const m = offer(PXE_BIOS, testBinding({ nextServer: '198.51.100.7' }));
    expect(numberToIpv4(m.siaddr)).toBe('198.51.100.7');
    expect(m.file).toBe('');
    expect(getOption(m, 67)).toBeUndefined();
    expect(latin1(getOption(m, 66))).toBe('198.51.100.7');
    const ack = reply(respondDhcp4(request([...PXE_EFI, [50, Uint8Array.of(203, 0, 113, 10)], [54, Uint8Array.of(203, 0, 113, 1)]], 3), b, settings, MAC48));
    expect(ack.type).toBe(5);
    expect(ack.message.file).toBe('ipxe.efi');
    expect(numberToIpv4(ack.message.siaddr)).toBe('203.0.113.1');
  });

  it('the captured iPXE DISCOVER (real ROM, test/fixtures) gets IPXE_BOOTFILE with 66 and 67', () => {
    const f = decodeUdpFrame(fixtureFrame('ipxe-discover.pcap'), { verifyChecksum: true });
    if (!f.ok) throw new Error(String(f.error));
    const msg = decodeDhcp4(f.value.payload);
    if (!msg.ok) throw new Error(String(msg.error));
    expect(bootClient(msg.value)).toBe(BOOT_IPXE);
    const m = reply(respondDhcp4(msg.value, testBinding({ ...BOOT, mac: formatMac48(f.value.srcMac) }), settings, f.value.srcMac)).message;
    expect(m.file).toBe(BOOT.ipxeBootfile);
    expect(latin1(getOption(m, 67))).toBe(BOOT.ipxeBootfile);
    expect(latin1(getOption(m, 66))).toBe('203.0.113.1');
  });

  it('through the reply templates, PXE and iPXE requests of one binding alternate and each frame is the right one', () => {
    const scratch = new Uint8Array(65536 + 64);
    const shapes = [PXE_BIOS, IPXE_77, PXE_EFI, IPXE_175, PXE_BIOS, IPXE_77, PXE_EFI, IPXE_175];
    const want = ['undionly.kpxe', BOOT.ipxeBootfile, 'ipxe.efi', BOOT.ipxeBootfile];
    shapes.forEach((opts, i) => {
      const r = reply(respondDhcp4(request(opts, 1, 0x1000 + i), b, settings, MAC48));
      const viaTemplate = dhcp4ReplyFrame(r, SERVER_MAC, scratch);
      const fresh = dhcp4ReplyFrame(r, SERVER_MAC);
      if (!viaTemplate.ok || !fresh.ok) throw new Error('encode failed');
      expect(Buffer.from(viaTemplate.frame).equals(Buffer.from(fresh.frame))).toBe(true);
      const seen = peekDhcp4(viaTemplate.frame)!;
      expect(seen.file).toBe(want[i % 4]);
      expect(seen.siaddr).toBe('203.0.113.1');
      expect(seen.xid).toBe(0x1000 + i);
    });
  });
});

describe('without boot keys', () => {
  /**
   * SHA-256 of each captured client's OFFER frame, computed by the code as
   * it was before the boot keys (commit 8e40adb): a binding without them
   * must still get exactly these bytes.
   */
  const BEFORE: Record<string, string> = {
    'dhclient-discover.pcap': '8f4a8f410f208bb714605b8e116e769f82d5ce890d7d2b7482e79a54e917361c',
    'udhcpc-discover.pcap': 'b9f4084bf8c21c4b005d5b32dc708f7d67faa850995055e9dada5c1c85432ad6',
    'dhcpcd-discover.pcap': '83e9994411a2dcfe564d36c03ddbb7bf88ad01da49e38cd44d37e8173aaae419',
    'windows10-discover.pcap': '0115166d0ac170e1d29154255c2a6fc09932bfff7882163945ee60dd7f2e5e7b',
    'ipxe-discover.pcap': '842d7608d46d83b3d771fc3388ec650aff9a9a71585eebbd9f596e853f172139',
  };

  for (const name of ['dhclient-discover.pcap', 'udhcpc-discover.pcap', 'dhcpcd-discover.pcap', 'windows10-discover.pcap', 'ipxe-discover.pcap']) {
    it(`${name}: the reply is byte for byte what it was`, () => {
      const f = decodeUdpFrame(fixtureFrame(name), { verifyChecksum: true });
      if (!f.ok) throw new Error(String(f.error));
      const msg = decodeDhcp4(f.value.payload);
      if (!msg.ok) throw new Error(String(msg.error));
      const r = reply(respondDhcp4(msg.value, testBinding({ mac: formatMac48(f.value.srcMac) }), settings, f.value.srcMac));
      const frame = dhcp4ReplyFrame(r, SERVER_MAC);
      if (!frame.ok) throw new Error(frame.error);
      const sum = createHash('sha256').update(frame.frame).digest('hex');
      expect(sum).toBe(BEFORE[name]);
    });
  }
});
