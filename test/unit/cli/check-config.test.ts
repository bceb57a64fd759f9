/**
 * `onlinkd --check` beyond parsing (issue 11): control_group must resolve,
 * and so must [general] user and group;
 * an [announce] uplink/uplink6 missing now is only a warning (it may appear
 * after start). Malformed uplink names are the config parser's to refuse.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSettings } from '../../../src/cli/check-config.js';
import { parseConfig } from '../../../src/config/config.js';

describe('checkSettings', () => {
  let dir: string;
  let groupFile: string;
  const exists = (name: string) => name === 'eth0';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-check-'));
    groupFile = join(dir, 'group');
    writeFileSync(groupFile, 'root:x:0:\nonlinkctl:x:4242:\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a clean configuration has no findings', async () => {
    const s = parseConfig('[general]\ncontrol_group = onlinkctl\n[announce]\nuplink = eth0\nuplink6 = eth0\n');
    expect(await checkSettings(s, { groupFile, interfaceExists: exists })).toEqual([]);
    expect(await checkSettings(parseConfig('[general]\ncontrol_group = 4243\n'), { groupFile })).toEqual([]); // numeric: NSS groups
  });

  it('a control_group that is not in the group file is an error', async () => {
    const s = parseConfig('[general]\ncontrol_group = nosuch\n');
    expect(await checkSettings(s, { groupFile, interfaceExists: exists })).toEqual([
      { level: 'error', key: '[general] control_group', message: expect.stringMatching(/^control_group "nosuch" is not a group in /) },
    ]);
  });

  it('a [general] user or group that is not an account is an error (the start would fail on it)', async () => {
    const accountFiles = { passwd: 'nobody:x:65534:65534::/:/usr/sbin/nologin\n', group: 'nogroup:x:65534:\n', passwdPath: '/etc/passwd', groupPath: '/etc/group' };
    expect(await checkSettings(parseConfig('[general]\nuser = nobody\n'), { groupFile, accountFiles })).toEqual([]);
    expect(await checkSettings(parseConfig('[general]\nuser = mallory\n'), { groupFile, accountFiles })).toEqual([
      { level: 'error', key: '[general] user/group', message: expect.stringMatching(/^\[general\] user "mallory" is not a user in \/etc\/passwd/) },
    ]);
    expect(await checkSettings(parseConfig('[general]\nuser = nobody\ngroup = wheel\n'), { groupFile, accountFiles })).toEqual([
      { level: 'error', key: '[general] user/group', message: expect.stringMatching(/^\[general\] group "wheel" is not a group in \/etc\/group/) },
    ]);
  });

  it('an uplink that does not exist yet is a warning, not an error (it may appear after start)', async () => {
    const later = await checkSettings(parseConfig('[announce]\nuplink = eth0\nuplink6 = bond7\n'), { groupFile, interfaceExists: exists });
    expect(later).toEqual([{ level: 'warning', key: '[announce] uplink6', message: 'interface "bond7" does not exist now (announcements need it once onlinkd runs)' }]);
    // Undecidable here (no native addon): no finding at all.
    expect(await checkSettings(parseConfig('[announce]\nuplink = bond7\n'), { groupFile, interfaceExists: () => undefined })).toEqual([]);
  });
});
