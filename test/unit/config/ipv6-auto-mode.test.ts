/**
 * `[ipv6] mode = auto` (issue 16, item 8): the mode nfdhcpd served, chosen
 * from the file's nfdhcpd queue keys (ipv6-auto-mode.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';

const mode = (ipv6: string) => parseConfig(`[ipv6]\n${ipv6}`).ipv6.mode;

describe('[ipv6] mode = auto', () => {
  it('an nfdhcpd.conf with a DHCPv6 queue: slaac+dhcpv6', () => {
    expect(mode('mode = auto\nrs_queue = 43\nns_queue = 44\ndhcp_queue = 45\n')).toBe('slaac+dhcpv6');
    expect(mode('dhcpv6_queue = 45\nmode = AUTO\n')).toBe('slaac+dhcpv6');
  });

  it('RS/NS queues only: slaac (nfdhcpd answered no DHCPv6 without its queue)', () => {
    expect(mode('mode = auto\nrs_queue = 43\nns_queue = 44\n')).toBe('slaac');
    expect(mode('rs_queue = 43\nmode = auto\n')).toBe('slaac');
  });

  it('no queue keys: slaac+dhcpv6; the [dhcp] queue does not count', () => {
    expect(mode('mode = auto\n')).toBe('slaac+dhcpv6');
    expect(parseConfig('[dhcp]\ndhcp_queue = 42\n[ipv6]\nmode = auto\nrs_queue = 43\n').ipv6.mode).toBe('slaac');
  });

  it('an explicit mode is kept whatever the queues', () => {
    expect(mode('mode = slaac+dhcpv6\nrs_queue = 43\n')).toBe('slaac+dhcpv6');
    expect(mode('mode = dhcpv6\ndhcp_queue = 45\n')).toBe('dhcpv6');
  });
});
