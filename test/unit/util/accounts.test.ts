import { describe, expect, it } from 'vitest';
import { findGroup, findUser, groupList, parseGroupFile, parseId, parsePasswd } from '../../../src/util/accounts.js';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment:x:1:1
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
onlinkd:x:998:997::/var/lib/onlinkd:/usr/sbin/nologin
broken:x:notanumber:1::/:/bin/false
short:x:5
onlinkd:x:1000:1000:second entry, never used::
`;

const GROUP = `root:x:0:
nogroup:x:65534:
onlinkd:x:997:
onlinkctl:x:4242:alice, onlinkd ,bob
kvm:x:104:onlinkd
other:x:500:onlinkdx
broken:x:gid:onlinkd
`;

describe('util/accounts: passwd(5) and group(5) lookups', () => {
  it('parses passwd entries and skips comments and malformed lines', () => {
    expect(parsePasswd(PASSWD).map((p) => p.name)).toEqual(['root', 'nobody', 'onlinkd', 'onlinkd']);
  });

  it('finds a user by name (first entry wins, as getpwnam) or by uid', () => {
    const pw = parsePasswd(PASSWD);
    expect(findUser(pw, 'onlinkd')).toEqual({ name: 'onlinkd', uid: 998, gid: 997 });
    expect(findUser(pw, '65534')).toEqual({ name: 'nobody', uid: 65534, gid: 65534 });
    expect(findUser(pw, 'mallory')).toBeUndefined();
    expect(findUser(pw, '4711')).toBeUndefined();
  });

  it('finds a group by name or gid, and lists the initgroups(3) groups of a user', () => {
    const g = parseGroupFile(GROUP);
    expect(findGroup(g, 'onlinkctl')?.gid).toBe(4242);
    expect(findGroup(g, '104')?.name).toBe('kvm');
    expect(findGroup(g, 'broken')).toBeUndefined();
    // Primary first, then memberships (trimmed names, exact match: "onlinkdx" is someone else), no duplicates.
    expect(groupList(g, 'onlinkd', 997)).toEqual([997, 4242, 104]);
    expect(groupList(g, 'onlinkd', 104)).toEqual([104, 4242]);
    expect(groupList(g, undefined, 997)).toEqual([997]);
  });

  it('accepts only decimal ids that fit a uid_t and are not (uid_t)-1', () => {
    expect(parseId('0')).toBe(0);
    expect(parseId('4294967294')).toBe(4294967294);
    expect(parseId('4294967295')).toBeUndefined();
    for (const bad of ['', '-1', '1e3', '0x10', ' 5', '5 ']) expect(parseId(bad), bad).toBeUndefined();
  });
});
