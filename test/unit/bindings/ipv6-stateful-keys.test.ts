/**
 * MODE6, IP6 and PREFIX6 (DESIGN.md "Second stage"): one schema entry each,
 * so files, binding-add and show agree; values and rules refused with the
 * key and the reason (bindings/ipv6-values.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { Invalid } from '../../../src/bindings/binding-values.js';
import { parseIp6, parseMode6, parsePrefix6 } from '../../../src/bindings/ipv6-values.js';
import { bindingFileError } from '../../helpers/binding.js';

const BASE = 'MAC=aa:00:00:00:00:10\nSUBNET6=2001:db8:10::/64\nEUI64=2001:db8:10:0:a800:ff:fe00:10\n';

const fileError = (text: string): string => bindingFileError(BASE + text);

describe('stateful IPv6 binding keys', () => {
  it('parse into typed fields and are written back unchanged', () => {
    const r = parseBindingFile('tap10', `${BASE}MODE6=dhcpv6\nIP6=2001:db8:10::77\nPREFIX6=2001:db8:100::/56\n`);
    if (!r.ok) throw r.error;
    expect(r.binding).toMatchObject({ mode6: 'dhcpv6', ip6: '2001:db8:10::77', prefix6: { network: '2001:db8:100::', prefixLength: 56 } });
    expect(r.binding.extra).toEqual({});
    const again = parseBindingFile('tap10', serializeBinding(r.binding));
    expect(again.ok && again.binding).toEqual(r.binding);
  });

  it('MODE6 takes the four modes, nothing else', () => {
    for (const m of ['slaac+dhcpv6', 'dhcpv6', 'slaac', 'none']) expect(parseMode6(m)).toBe(m);
    expect(parseMode6('auto')).toBeInstanceOf(Invalid);
    expect(fileError('MODE6=stateful\n')).toMatch(/MODE6.*not an IPv6 mode/);
  });

  it('IP6: a global unicast address inside SUBNET6', () => {
    for (const bad of ['fe80::1', '::', '::1', 'ff02::1:2', 'x']) expect(parseIp6(bad), bad).toBeInstanceOf(Invalid);
    expect(fileError('IP6=2001:db8:99::1\n')).toMatch(/IP6.*outside SUBNET6/);
  });

  it('PREFIX6: 1..128 bits, no host bits, not link-local, not overlapping SUBNET6', () => {
    expect(parsePrefix6('2001:db8:100::/56')).toEqual({ network: '2001:db8:100::', prefixLength: 56 });
    expect(parsePrefix6('2001:db8:100::/128')).toEqual({ network: '2001:db8:100::', prefixLength: 128 });
    expect(parsePrefix6('::/0')).toBeInstanceOf(Invalid);
    expect(parsePrefix6('2001:db8:100::1/56')).toBeInstanceOf(Invalid);
    expect(parsePrefix6('fe80::/64')).toBeInstanceOf(Invalid);
    expect(fileError('PREFIX6=2001:db8:10::/48\n')).toMatch(/PREFIX6.*overlaps SUBNET6/);
    expect(fileError('PREFIX6=2001:db8:10:0:1::/80\n')).toMatch(/PREFIX6.*overlaps SUBNET6/);
  });
});
