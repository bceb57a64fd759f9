/**
 * The network boot keys (BOOTFILE, BOOTFILE_EFI, IPXE_BOOTFILE,
 * NEXT_SERVER, BOOTFILE6): one schema entry each, so the file parser and
 * writer, binding-add and its schema agree; values refused with the key and
 * line that say why.
 */
import { describe, expect, it } from 'vitest';
import { bindingArgs, bindingFromArgs, type BindingAddArgs } from '../../../src/bindings/binding-args.js';
import { parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { MAX_BOOTFILE6_LENGTH, MAX_BOOTFILE_LENGTH, parseBootfile, parseBootfileUrl } from '../../../src/bindings/boot-values.js';
import { Invalid } from '../../../src/bindings/binding-values.js';
import { bindingAddArgsSchema } from '../../../src/control/protocol.js';
import { bindingFileError } from '../../helpers/binding.js';

const BASE = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n';

const fileError = (text: string): string => bindingFileError(BASE + text);

describe('network boot keys in binding files', () => {
  const text = [
    'BOOTFILE=undionly.kpxe',
    'BOOTFILE_EFI=ipxe.efi',
    // iPXE expands ${...} itself; in the file it is single-quoted, or sh (hooks source these files) would.
    "IPXE_BOOTFILE='http://203.0.113.1/boot.ipxe?mac=${net0/mac}'",
    'NEXT_SERVER=203.0.113.1',
    'BOOTFILE6=http://[2001:db8::1]/boot.ipxe',
  ].join('\n');

  it('parse into typed fields (not kept as unknown keys) and are written back to the same binding', () => {
    const r = parseBindingFile('tap10', BASE + text + '\n');
    if (!r.ok) throw r.error;
    expect(r.binding).toMatchObject({
      bootfile: 'undionly.kpxe', bootfileEfi: 'ipxe.efi', ipxeBootfile: 'http://203.0.113.1/boot.ipxe?mac=${net0/mac}',
      nextServer: '203.0.113.1', bootfile6: 'http://[2001:db8::1]/boot.ipxe',
    });
    expect(r.binding.extra).toEqual({});
    expect(serializeBinding(r.binding)).toContain("IPXE_BOOTFILE='http://203.0.113.1/boot.ipxe?mac=${net0/mac}'\n");
    const again = parseBindingFile('tap10', serializeBinding(r.binding));
    if (!again.ok) throw again.error;
    expect(again.binding).toEqual(r.binding);
  });

  it('are absent from a binding without them (and not written)', () => {
    const r = parseBindingFile('tap10', BASE);
    if (!r.ok) throw r.error;
    expect(r.binding.bootfile).toBeUndefined();
    expect(serializeBinding(r.binding)).not.toMatch(/BOOT|NEXT_SERVER/);
  });

  it('refuse bad values naming the key', () => {
    expect(fileError('BOOTFILE=a b\n')).toMatch(/BOOTFILE/);
    expect(fileError(`BOOTFILE=${'x'.repeat(MAX_BOOTFILE_LENGTH + 1)}\n`)).toMatch(/BOOTFILE.*255/);
    expect(fileError('NEXT_SERVER=203.0.113\n')).toMatch(/NEXT_SERVER.*not an IPv4 address/);
    expect(fileError('NEXT_SERVER=tftp.example.org\n')).toMatch(/NEXT_SERVER/);
    expect(fileError('BOOTFILE6=boot.ipxe\n')).toMatch(/BOOTFILE6.*absolute URL/);
    expect(fileError('IPXE_BOOTFILE=caf\u00e9\n')).toMatch(/IPXE_BOOTFILE/);
  });
});

describe('boot value parsers', () => {
  it('a boot file is 1..255 printable ASCII characters without spaces', () => {
    expect(parseBootfile('pxelinux.0')).toBe('pxelinux.0');
    expect(parseBootfile('x'.repeat(255))).toBe('x'.repeat(255));
    for (const bad of ['x'.repeat(256), 'a\tb', 'a b', 'caf\u00e9', '\u0000']) expect(parseBootfile(bad)).toBeInstanceOf(Invalid);
  });

  it('a DHCPv6 boot file URL is absolute, parseable, at most 1024 characters', () => {
    for (const ok of ['http://[2001:db8::1]:8080/boot.ipxe', 'tftp://[2001:db8::1]/ipxe.efi', 'https://boot.example.org/x?y=1']) {
      expect(parseBootfileUrl(ok)).toBe(ok);
    }
    for (const bad of ['/boot.ipxe', 'boot.ipxe', 'http://[2001:db8::1/x', 'http:// x', `http://a/${'x'.repeat(MAX_BOOTFILE6_LENGTH)}`]) {
      expect(parseBootfileUrl(bad)).toBeInstanceOf(Invalid);
    }
  });
});

describe('network boot keys over binding-add', () => {
  const args = (over: Record<string, unknown>) => ({ tap: 'tap10', mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', subnet: '203.0.113.0/24', ...over }) as BindingAddArgs;

  it('take the lower-case names, build the same binding, and come back from bindingArgs', () => {
    const a = args({ bootfile: 'undionly.kpxe', bootfile_efi: 'ipxe.efi', ipxe_bootfile: 'http://203.0.113.1/boot.ipxe', next_server: '203.0.113.1', bootfile6: 'tftp://[2001:db8::1]/x' });
    expect(bindingAddArgsSchema.safeParse(a).success).toBe(true);
    const r = bindingFromArgs(a);
    if (!r.ok) throw new Error(r.reason);
    expect(r.binding).toMatchObject({ bootfile: 'undionly.kpxe', bootfileEfi: 'ipxe.efi', nextServer: '203.0.113.1' });
    const back = bindingFromArgs({ tap: 'tap10', ...bindingArgs(r.binding) } as BindingAddArgs);
    expect(back.ok && back.binding).toEqual(r.binding);
  });

  it('refuse a bad value with the key', () => {
    expect(bindingFromArgs(args({ next_server: '2001:db8::1' }))).toMatchObject({ ok: false, key: 'next_server' });
    expect(bindingFromArgs(args({ bootfile6: 'boot.ipxe' }))).toMatchObject({ ok: false, key: 'bootfile6' });
  });
});
