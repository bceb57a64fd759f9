import { describe, expect, it } from 'vitest';
import { defaultSettings, parseConfig } from '../../../src/config/config.js';
import { configKeysMarkdown } from '../../../src/config/docs.js';

describe('[dhcp4-options] and [dhcp6-options]', () => {
  it('are empty by default', () => {
    expect(defaultSettings().dhcp.options).toEqual([]);
    expect(defaultSettings().ipv6.dhcp6Options).toEqual([]);
  });

  it('read `<code> = value` lines as typed option settings, in code order, canonical', () => {
    const s = parseConfig('[dhcp4-options]\n224 = always:HEX:0A0B\n42 = 203.0.113.5, 203.0.113.6\n[dhcp6-options]\n31 = 2001:DB8::123\n');
    expect(s.dhcp.options).toEqual([
      { code: 42, value: '203.0.113.5,203.0.113.6', always: false },
      { code: 224, value: 'hex:0a0b', always: true },
    ]);
    expect(s.ipv6.dhcp6Options).toEqual([{ code: 31, value: '2001:db8::123', always: false }]);
    expect(Object.isFrozen(s.dhcp.options) && Object.isFrozen(s.dhcp.options[0])).toBe(true);
  });

  it('refuse bad lines with file, line and key', () => {
    const bad = (text: string) => () => parseConfig(text, 'x.conf');
    expect(bad('[dhcp4-options]\n42 = 203.0.113.300\n')).toThrow(/^x\.conf:2: 42: option 42 \(ntp-servers, ipv4-list\): "203\.0\.113\.300" is not an IPv4 address/);
    expect(bad('[dhcp4-options]\n3 = 203.0.113.1\n')).toThrow(/x\.conf:2: 3: option 3 \(routers\) is set by onlinkd: the router comes from GATEWAY/);
    expect(bad('[dhcp4-options]\n255 = hex:00\n')).toThrow(/x\.conf:2: 255: DHCPv4 option code 255 is outside 1\.\.254/);
    expect(bad('[dhcp4-options]\nntp = 203.0.113.1\n')).toThrow(/x\.conf:2: ntp: unknown key in \[dhcp4-options\]: keys are option codes/);
    expect(bad('[dhcp4-options]\n042 = 203.0.113.1\n')).toThrow(/x\.conf:2: 042: unknown key/);
    expect(bad('[dhcp4-options]\n42 = 203.0.113.1\n42 = 203.0.113.2\n')).toThrow(/x\.conf:3: 42: duplicate key \(first set on line 2\)/);
    expect(bad('[dhcp6-options]\n23 = 2001:db8::53\n')).toThrow(/x\.conf:2: 23: .*DNS6 or \[ipv6\] nameservers/);
    expect(bad('[dhcp6-options]\n70000 = hex:00\n')).toThrow(/outside 1\.\.65535/);
  });

  it('are documented in the README table', () => {
    expect(configKeysMarkdown()).toContain('| `[dhcp4-options]` | `<code>` | none |');
    expect(configKeysMarkdown()).toContain('| `[dhcp6-options]` | `<code>` | none |');
  });
});
