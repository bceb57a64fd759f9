/**
 * [general] user / group (issue 11, defect 11): the decision taken at
 * start-up (pure), the account lookups behind it, and what applyPrivileges
 * does with a fake addon. The drop itself runs for real, as root, in
 * test/unit/io/native-privileges.test.ts and end to end in
 * test/e2e/privilege-drop.test.ts.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import type { DropResult, NativeAddon } from '../../../src/io/native.js';
import { accountSettingsError, applyPrivileges, checkStateDirectory, planPrivileges, resolveAccount, type AccountFiles } from '../../../src/runtime/privileges.js';

const FILES: AccountFiles = {
  passwd: 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\nonlinkd:x:998:997::/var/lib/onlinkd:/usr/sbin/nologin\n',
  group: 'root:x:0:\nnogroup:x:65534:\nonlinkd:x:997:\nonlinkctl:x:4242:alice,onlinkd\nkvm:x:104:onlinkd\n',
  passwdPath: '/etc/passwd',
  groupPath: '/etc/group',
};

function logger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

describe('config: [general] user and group', () => {
  it('parses both (names or numbers, nfdhcpd comments after the value); unset by default', () => {
    const s = parseConfig('[general]\nuser = nobody # An unprivileged user to run as\ngroup = nogroup\n');
    expect(s.general).toMatchObject({ user: 'nobody', group: 'nogroup' });
    expect(parseConfig('[general]\nuser = 65534\ngroup = 65534\n').general).toMatchObject({ user: '65534', group: '65534' });
    expect(parseConfig('').general).toMatchObject({ user: undefined, group: undefined });
    expect(parseConfig('[general]\nuser =\ngroup =\n').general).toMatchObject({ user: undefined, group: undefined });
  });
});

describe('planPrivileges', () => {
  const plan = (user: string | undefined, group: string | undefined, euid: number) => planPrivileges({ user, group }, euid, FILES);

  it('root with a user: drops to it, primary group from passwd, memberships from the group file', () => {
    expect(plan('nobody', undefined, 0)).toEqual({ action: 'drop', account: { user: 'nobody', uid: 65534, gid: 65534, groups: [65534] } });
    expect(plan('onlinkd', undefined, 0)).toEqual({ action: 'drop', account: { user: 'onlinkd', uid: 998, gid: 997, groups: [997, 4242, 104] } });
  });

  it('[general] group replaces the primary group (initgroups(user, group))', () => {
    expect(plan('onlinkd', 'kvm', 0)).toMatchObject({ account: { gid: 104, groups: [104, 4242] } });
    expect(plan('nobody', '4242', 0)).toMatchObject({ account: { gid: 4242, groups: [4242] } });
  });

  it('numeric users from NSS: the uid as given, and the group must then be given too', () => {
    expect(plan('4711', '4711', 0)).toEqual({ action: 'drop', account: { user: '4711', uid: 4711, gid: 4711, groups: [4711] } });
    expect(plan('65534', undefined, 0)).toMatchObject({ account: { user: 'nobody', uid: 65534, gid: 65534 } });
    expect(() => plan('4711', undefined, 0)).toThrow('[general] user "4711" has no entry in /etc/passwd, so no primary group: set [general] group');
  });

  it('an unknown user or group is a clear start-up error, naming the key and the file', () => {
    expect(() => plan('mallory', undefined, 0)).toThrow('[general] user "mallory" is not a user in /etc/passwd');
    expect(() => plan('nobody', 'wheel', 0)).toThrow('[general] group "wheel" is not a group in /etc/group');
    // Unknown whatever the uid it runs as: --check and a non-root start report it too.
    expect(() => plan('mallory', undefined, 1000)).toThrow(/is not a user/);
  });

  it('refuses to "drop" to root, and a group without a user', () => {
    expect(() => plan('root', undefined, 0)).toThrow(/is root/);
    expect(() => plan('nobody', 'root', 0)).toThrow(/is root/);
    expect(() => plan(undefined, 'nogroup', 0)).toThrow('[general] group is set without [general] user');
  });

  it('not root: a no-op, noted when already that user (systemd User=), a warning when another', () => {
    expect(plan('onlinkd', undefined, 998)).toMatchObject({ action: 'none', level: 'info', message: expect.stringMatching(/already running as \[general\] user "onlinkd"/) });
    expect(plan('nobody', undefined, 998)).toMatchObject({ action: 'none', level: 'warn', message: expect.stringMatching(/started as uid 998, not root: cannot switch to \[general\] user "nobody"/) });
  });

  it('no user: root is warned that it keeps every capability; a non-root start says nothing', () => {
    expect(plan(undefined, undefined, 0)).toMatchObject({ action: 'none', level: 'warn', message: expect.stringMatching(/running as root with every capability/) });
    expect(plan(undefined, undefined, 998)).toMatchObject({ action: 'none', level: undefined });
  });

  it('resolveAccount reads ids from the files, never from the environment', () => {
    expect(resolveAccount('onlinkd', 'onlinkctl', FILES)).toEqual({ user: 'onlinkd', uid: 998, gid: 4242, groups: [4242, 104] });
  });
});

describe('accountSettingsError (onlinkd --check)', () => {
  it('reports what would stop the start, whoever runs the check', () => {
    expect(accountSettingsError({ user: 'nobody', group: undefined }, FILES)).toBeUndefined();
    expect(accountSettingsError({ user: undefined, group: undefined }, FILES)).toBeUndefined();
    expect(accountSettingsError({ user: 'mallory', group: undefined }, FILES)).toMatch(/\[general\] user "mallory" is not a user in \/etc\/passwd/);
    expect(accountSettingsError({ user: 'nobody', group: 'wheel' }, FILES)).toMatch(/\[general\] group "wheel" is not a group/);
    expect(accountSettingsError({ user: undefined, group: 'nogroup' }, FILES)).toMatch(/group is set without \[general\] user/);
    expect(accountSettingsError({ user: 'root', group: undefined }, FILES)).toMatch(/is root/);
  });
});

describe('applyPrivileges', () => {
  afterEach(() => process.removeAllListeners('SIGUSR1'));

  function fakeNative(result: DropResult | Error) {
    const calls: unknown[][] = [];
    const native = {
      dropPrivileges: (...args: unknown[]) => {
        calls.push(args);
        if (result instanceof Error) throw result;
        return result;
      },
    } as unknown as NativeAddon;
    return { native, calls };
  }

  it('drops to the account keeping CAP_NET_RAW only, and says so in one info line', () => {
    const { log, lines } = logger();
    const { native, calls } = fakeNative({ threads: 11, kept: 10, capless: [123] });
    applyPrivileges({ action: 'drop', account: { user: 'nobody', uid: 65534, gid: 65534, groups: [65534] } }, { log, datapath: '/', native });
    expect(calls).toEqual([[65534, 65534, [65534], [13]]]);
    const info = lines.filter((l) => String(l.msg).startsWith('privileges dropped'));
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ level: 30, user: 'nobody', uid: 65534, gid: 65534, groups: [65534], caps: ['CAP_NET_RAW'], threads: 11, threadsWithoutCaps: 1 });
  });

  it('[routing] manage = yes: CAP_NET_ADMIN is kept too (route requests need it), and the line says so', () => {
    const { log, lines } = logger();
    const { native, calls } = fakeNative({ threads: 11, kept: 11, capless: [] });
    applyPrivileges({ action: 'drop', account: { user: 'nobody', uid: 65534, gid: 65534, groups: [65534] } }, { log, datapath: '/', native, routing: true });
    expect(calls).toEqual([[65534, 65534, [65534], [13, 12]]]);
    expect(lines.find((l) => String(l.msg).startsWith('privileges dropped'))).toMatchObject({
      caps: ['CAP_NET_RAW', 'CAP_NET_ADMIN'], msg: 'privileges dropped: running as the configured user with CAP_NET_RAW and CAP_NET_ADMIN only',
    });
  });

  it('a failed drop throws (the daemon must not serve half-dropped)', () => {
    const { log } = logger();
    const { native } = fakeNative(new Error('dropping privileges failed in setresuid (thread 1): Operation not permitted'));
    expect(() => applyPrivileges({ action: 'drop', account: { user: 'nobody', uid: 65534, gid: 65534, groups: [65534] } }, { log, datapath: '/', native })).toThrow(/setresuid/);
  });

  it('nothing to drop: no addon call, the plan\'s note at its level', () => {
    const { log, lines } = logger();
    const { native, calls } = fakeNative({ threads: 0, kept: 0, capless: [] });
    applyPrivileges(planPrivileges({ user: 'nobody', group: undefined }, 998, FILES), { log, datapath: '/', native });
    expect(calls).toEqual([]);
    expect(lines).toMatchObject([{ level: 40, msg: expect.stringMatching(/cannot switch/) }]);
  });

  it('guards SIGUSR1: Node would otherwise open its inspector to any process of the same user', () => {
    const { log, lines } = logger();
    expect(process.listenerCount('SIGUSR1')).toBe(0);
    applyPrivileges({ action: 'none', account: undefined, level: undefined, message: '' }, { log, datapath: '/' });
    expect(process.listenerCount('SIGUSR1')).toBe(1);
    process.emit('SIGUSR1', 'SIGUSR1');
    expect(lines.map((l) => l.msg)).toEqual(['SIGUSR1 ignored (it would open the Node inspector to local users)']);
  });

  it('warns when the state directory is not readable, or not writable, by the user', () => {
    const account = { user: 'nobody', uid: 65534, gid: 65534, groups: [65534] };
    const denied = (bit: number) => (_p: unknown, mode?: number) => {
      if ((mode ?? 0) & bit) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    const run = (access: (p: string, mode?: number) => void) => {
      const { log, lines } = logger();
      checkStateDirectory('/var/lib/onlinkd', account, log, access as never);
      return lines.map((l) => `${String(l.level)} ${String(l.msg)}`);
    };
    expect(run(denied(4))).toEqual([expect.stringMatching(/^40 state directory is not readable by the configured user/)]);
    expect(run(denied(2))).toEqual([expect.stringMatching(/^40 state directory is not writable by the configured user: binding-add and binding-del will fail/)]);
    expect(run(() => undefined)).toEqual([]);
  });
});
