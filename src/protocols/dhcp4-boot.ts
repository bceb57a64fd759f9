/**
 * Network boot in DHCPv4 replies (binding keys BOOTFILE, BOOTFILE_EFI,
 * IPXE_BOOTFILE, NEXT_SERVER): which boot file a request gets, decided
 * from the request alone, and how it is carried. Pure.
 *
 * Which file:
 *  - an iPXE client (user class option 77 holding "iPXE", or iPXE's own
 *    option 175 present) gets IPXE_BOOTFILE when set: a PXE ROM is given
 *    BOOTFILE (say undionly.kpxe, which is iPXE), and when that iPXE asks
 *    again it must get something else (its script) or it chainloads
 *    itself forever;
 *  - a client whose option 93 (RFC 4578 §2.1, IANA Processor Architecture
 *    Types) names a UEFI architecture gets BOOTFILE_EFI when set;
 *  - everything else, and those when their key is unset, get BOOTFILE.
 *
 * How (RFC 2131 §2, RFC 2132 §9.4/§9.5): the name goes in the BOOTP `file`
 * field when it fits (127 characters and the NUL), which every PXE ROM
 * reads; option 67 carries it too when the client lists 67 in its
 * parameter request list, and alone when it is longer than the field.
 * NEXT_SERVER goes in `siaddr` (where a PXE ROM fetches a TFTP file from)
 * and, when the client lists 66, as option 66's text.
 */
import type { Binding } from '../bindings/binding.js';
import { MAX_BOOTFILE_FIELD_LENGTH } from '../bindings/boot-values.js';
import { ipv4ToNumber } from '../wire/addr.js';
import { getOption } from '../wire/dhcp4.js';
import { Dhcp4Option, type Dhcp4Message } from '../wire/dhcp4-types.js';

/**
 * IANA Processor Architecture Types that are UEFI firmware (x86 and x64
 * UEFI, EBC, ARM 32/64, their HTTP-boot variants, RISC-V, MIPS, Sunway,
 * LoongArch UEFI; the deprecated EFI Itanium and Xscale). 0 is x86 BIOS.
 */
const UEFI_ARCHITECTURES: ReadonlySet<number> = new Set([
  2, 6, 7, 8, 9, 10, 11, 15, 16, 17, 18, 19, 25, 26, 27, 28, 29, 30, 33, 34, 35, 36, 37, 38, 39, 40,
]);

/**
 * The kind of boot client a request comes from, as far as the boot file
 * depends on it: two bits, UEFI (by option 93) and iPXE, so an iPXE
 * running on UEFI without IPXE_BOOTFILE still gets BOOTFILE_EFI.
 */
export type BootClient = number;
export const BOOT_UEFI = 1;
export const BOOT_IPXE = 2;

const IPXE = [0x69, 0x50, 0x58, 0x45]; // "iPXE"

/** Whether `bytes` contains "iPXE" (raw, as iPXE sends 77, or inside RFC 3004's length-prefixed list). */
function containsIpxe(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + IPXE.length <= bytes.length; i++) {
    for (let j = 0; j < IPXE.length; j++) if (bytes[i + j] !== IPXE[j]) continue outer;
    return true;
  }
  return false;
}

/** iPXE announces itself with option 175 (its feature list) and user class "iPXE". */
export function isIpxeRequest(request: Pick<Dhcp4Message, 'options'>): boolean {
  if (getOption(request, Dhcp4Option.Etherboot) !== undefined) return true;
  const uc = getOption(request, Dhcp4Option.UserClass);
  return uc !== undefined && containsIpxe(uc);
}

/**
 * The client's architecture type (option 93, the first of its 16-bit
 * values), or undefined when absent or malformed (odd length, empty).
 */
export function clientArchitecture(request: Pick<Dhcp4Message, 'options'>): number | undefined {
  const v = getOption(request, Dhcp4Option.ClientSystemArchitecture);
  if (v === undefined || v.length < 2 || v.length % 2 !== 0) return undefined;
  return (v[0]! << 8) | v[1]!;
}

export function bootClient(request: Pick<Dhcp4Message, 'options'>): BootClient {
  const arch = clientArchitecture(request);
  return (arch !== undefined && UEFI_ARCHITECTURES.has(arch) ? BOOT_UEFI : 0) | (isIpxeRequest(request) ? BOOT_IPXE : 0);
}

/** Whether the binding says anything about network boot (else replies are exactly as without these keys). */
export function hasBootKeys(binding: Binding): boolean {
  return binding.bootfile !== undefined || binding.bootfileEfi !== undefined || binding.ipxeBootfile !== undefined || binding.nextServer !== undefined;
}

/** The boot file for this kind of client, or undefined. */
export function bootfileFor(binding: Binding, client: BootClient): string | undefined {
  if (client & BOOT_IPXE && binding.ipxeBootfile !== undefined) return binding.ipxeBootfile;
  if (client & BOOT_UEFI && binding.bootfileEfi !== undefined) return binding.bootfileEfi;
  return binding.bootfile;
}

/** The BOOTP `file` field for a boot file: the name when the field holds it, else empty (option 67 alone). */
export function bootFileField(bootfile: string | undefined): string {
  return bootfile !== undefined && bootfile.length <= MAX_BOOTFILE_FIELD_LENGTH ? bootfile : '';
}

/** Whether option 67 goes in the reply: the client asked for it, or the name does not fit `file`. */
export function sendsBootfileOption(bootfile: string | undefined, askedFor67: boolean): boolean {
  return bootfile !== undefined && (askedFor67 || bootfile.length > MAX_BOOTFILE_FIELD_LENGTH);
}

const nextServers = new WeakMap<Binding, number>();

/** `siaddr`: NEXT_SERVER as uint32 (parsed once per binding), 0 when unset. */
export function nextServerAddress(binding: Binding): number {
  if (binding.nextServer === undefined) return 0;
  let n = nextServers.get(binding);
  if (n === undefined) nextServers.set(binding, (n = ipv4ToNumber(binding.nextServer) ?? 0));
  return n;
}

/** Bits of a boot shape (see bootShape). */
const HAS_BOOT_KEYS = 1;
const ASKED_66 = 8;
const ASKED_67 = 16;

/**
 * Everything about a request that changes the boot part of a reply, as a
 * small integer: 0 for a binding without boot keys (its replies are as
 * they always were), else the client kind and whether the parameter
 * request list has 66 and 67. configOptions keys its shared option lists
 * (and so the reply templates) on it.
 */
export function bootShape(request: Pick<Dhcp4Message, 'options'>, binding: Binding, prl: Uint8Array | undefined): number {
  if (!hasBootKeys(binding)) return 0;
  let shape = HAS_BOOT_KEYS | (bootClient(request) << 1);
  if (prl !== undefined) {
    if (prl.includes(Dhcp4Option.TftpServerName)) shape |= ASKED_66;
    if (prl.includes(Dhcp4Option.BootfileName)) shape |= ASKED_67;
  }
  return shape;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0)); // values are printable ASCII

/** Options 66 and 67 of a reply to a request of this boot shape (built once per shared option list). */
export function bootOptions(binding: Binding, shape: number): Array<[number, Uint8Array]> {
  if (!(shape & HAS_BOOT_KEYS)) return [];
  const out: Array<[number, Uint8Array]> = [];
  if (shape & ASKED_66 && binding.nextServer !== undefined) out.push([Dhcp4Option.TftpServerName, latin1(binding.nextServer)]);
  const file = bootfileFor(binding, (shape >> 1) & 3);
  if (sendsBootfileOption(file, (shape & ASKED_67) !== 0)) out.push([Dhcp4Option.BootfileName, latin1(file!)]);
  return out;
}

/** Sets `file` and `siaddr` of an OFFER or ACK for a binding with boot keys (untouched otherwise). */
export function setBootFields(message: Dhcp4Message, request: Pick<Dhcp4Message, 'options'>, binding: Binding): void {
  if (!hasBootKeys(binding)) return;
  message.file = bootFileField(bootfileFor(binding, bootClient(request)));
  message.siaddr = nextServerAddress(binding);
}
