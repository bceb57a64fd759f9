/** `onlinkctl show` lists a binding's warnings (MODE6=dhcpv6 with nothing to give), computed under the settings in force. */
import { describe, expect, it } from 'vitest';
import { formatBindingShow } from '../../../src/cli/onlinkctl-format.js';
import { bindingView } from '../../../src/control/binding-view.js';
import { bindingWarnings } from '../../../src/protocols/ipv6-mode.js';
import { defaultSettings } from '../../../src/config/config.js';
import { testBinding } from '../../helpers/binding.js';

describe('binding warnings in show', () => {
  it('dhcpv6 mode without IP6/EUI64 shows a warning line; a binding that can serve shows none', () => {
    const bad = testBinding({ mode6: 'dhcpv6' });
    const warnings = bindingWarnings(bad, defaultSettings());
    const out = formatBindingShow(bindingView({ tap: 'tap10', binding: bad, error: undefined, link: undefined, warnings }, false));
    expect(out).toMatch(/^warning: +IPv6 mode dhcpv6 without IP6, EUI64 or PREFIX6/m);
    const good = testBinding({ mode6: 'dhcpv6', ip6: '2001:db8::5' });
    expect(bindingWarnings(good, defaultSettings())).toBeUndefined();
    expect(formatBindingShow(bindingView({ tap: 'tap10', binding: good, error: undefined, link: undefined }, false))).not.toMatch(/warning/);
  });
});
