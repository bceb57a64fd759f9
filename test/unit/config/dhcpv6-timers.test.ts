/** Stateful DHCPv6 timers in [ipv6] (RFC 8415 §21.4, §21.6): computed defaults and T1 <= T2 <= preferred <= valid. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';

const v6 = (text: string) => parseConfig(`[ipv6]\n${text}`, 'f.conf').ipv6;

describe('[ipv6] dhcpv6 timers', () => {
  it('default to 0.5 and 0.8 of the preferred lifetime', () => {
    expect(v6('')).toMatchObject({ dhcpv6Renewal: 7200, dhcpv6Rebinding: 11520, dhcpv6PreferredLifetime: 14400, dhcpv6ValidLifetime: 86400 });
    expect(v6('dhcpv6_preferred_lifetime = 100\n')).toMatchObject({ dhcpv6Renewal: 50, dhcpv6Rebinding: 80 });
    expect(v6('dhcpv6_preferred_lifetime = 100\ndhcpv6_renewal = 90\n')).toMatchObject({ dhcpv6Renewal: 90, dhcpv6Rebinding: 90 });
  });

  it('refuse T1 > T2, T2 > preferred and preferred > valid, naming the key and line', () => {
    expect(() => v6('dhcpv6_renewal = 100\ndhcpv6_rebinding = 50\n')).toThrow(/f\.conf:3: dhcpv6_rebinding: .*T1 \(100\) must not exceed T2 \(50\)/);
    expect(() => v6('dhcpv6_rebinding = 20000\n')).toThrow(/:2: dhcpv6_rebinding: .*must not exceed dhcpv6_preferred_lifetime/);
    expect(() => v6('dhcpv6_preferred_lifetime = 100\ndhcpv6_valid_lifetime = 50\n')).toThrow(/:2: dhcpv6_preferred_lifetime: must not exceed dhcpv6_valid_lifetime/);
  });

  it('0 leaves T1/T2 to the client and is accepted; mode takes dhcpv6 and none', () => {
    expect(v6('dhcpv6_renewal = 0\ndhcpv6_rebinding = 0\n')).toMatchObject({ dhcpv6Renewal: 0, dhcpv6Rebinding: 0 });
    expect(v6('mode = dhcpv6\n').mode).toBe('dhcpv6');
    expect(v6('mode = none\n').mode).toBe('none');
    expect(v6('mode = auto\n').mode).toBe('slaac+dhcpv6');
  });
});
