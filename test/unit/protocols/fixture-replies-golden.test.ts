/**
 * Interop (issue 13, item 5): what onlinkd answers to every committed
 * client capture (dhclient, udhcpc, dhcpcd, the Windows-like DISCOVER,
 * iPXE, dhclient -6, rdisc6, ndisc6) is byte for byte what commit 4856d42
 * answered, before issue 13 touched the responders — with no new key set,
 * and with issue 13's keys set that none of these clients asks for (they
 * are only sent when asked). The golden file was made by running
 * test/helpers/fixture-replies.ts in a worktree of 4856d42
 * (test/fixtures/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPLY_FIXTURES, fixtureReplies } from '../../helpers/fixture-replies.js';
import { fixturePath } from '../../helpers/pcap.js';
import { decodeNdpFrame } from '../../../src/wire/frame6.js';

const golden = JSON.parse(readFileSync(fixturePath('replies-before-issue-13.json'), 'utf8')) as Record<string, string[]>;

describe('replies to the committed client captures are those of 4856d42', () => {
  it('the golden file covers every capture, and most get a reply', () => {
    expect(Object.keys(golden).sort()).toEqual([...REPLY_FIXTURES].sort());
    expect(Object.values(golden).filter((v) => v.length === 1).length).toBe(REPLY_FIXTURES.length - 1); // NS for fe80::1 is not ours
  });

  it('with no new key set: byte-identical', () => {
    expect(fixtureReplies()).toEqual(golden);
  });

  it('with IPV6_ONLY, CAPTIVE_PORTAL and an OPTION_<n> that no capture asks for: byte-identical but for the RA option 37', () => {
    const replies = fixtureReplies('IPV6_ONLY=1800\nCAPTIVE_PORTAL=https://portal.example/\nOPTION_224=text:unasked\nOPTION6_56=2001:db8::123\n');
    // The RA carries CAPTIVE_PORTAL unasked (RFC 8910 §2.3, issue 14): its options are the golden ones and option 37 after them.
    expect({ ...replies, 'rdisc6-rs.pcap': [] }).toEqual({ ...golden, 'rdisc6-rs.pcap': [] });
    const options = (hexFrame: string | undefined) => {
      const d = decodeNdpFrame(Buffer.from(hexFrame ?? '', 'hex'));
      if (!d.ok) throw new Error(d.error.toString());
      return d.value.message.options;
    };
    expect(options(replies['rdisc6-rs.pcap']?.[0])).toEqual([...options(golden['rdisc6-rs.pcap']?.[0]), { kind: 'captive-portal', uri: 'https://portal.example/' }]);
  });

  it('a key a capture asks for does change its reply (the comparison can fail)', () => {
    // dhclient's and udhcpc's PRLs list 42 (ntp-servers); dhclient -6's ORO lists 31 (SNTP servers).
    const replies = fixtureReplies('OPTION_42=203.0.113.123\nOPTION6_31=2001:db8::123\n');
    expect(replies['dhclient-discover.pcap']).not.toEqual(golden['dhclient-discover.pcap']);
    expect(replies['dhclient6-information-request.pcap']).not.toEqual(golden['dhclient6-information-request.pcap']);
    expect(replies['windows10-discover.pcap']).toEqual(golden['windows10-discover.pcap']);
  });
});
