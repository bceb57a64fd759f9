/**
 * `[general] user` and `group`: started as root, onlinkd opens what needs
 * root (state directory, control socket, netlink socket, the send socket,
 * the server DUID) and then becomes that user, keeping CAP_NET_RAW only
 * (plus CAP_NET_ADMIN with `[routing] manage = yes`: route changes) —
 * what nfdhcpd did with the same key after opening its sockets.
 *
 * Why CAP_NET_RAW and nothing else: packet sockets are opened for taps that
 * appear later (socket(AF_PACKET) needs it, packet(7)); netlink link events
 * and the control socket need no capability. CAP_NET_ADMIN would only let
 * SO_RCVBUFFORCE exceed net.core.rmem_max; every such call falls back to
 * SO_RCVBUF (as under systemd/onlinkd.service, which grants CAP_NET_RAW
 * only), and the netlink socket, the one whose overrun costs a re-dump, is
 * opened before the drop.
 *
 * How: the native addon's dropPrivileges, which does it in every thread
 * (capabilities are per thread; see the comment there), and fails closed.
 * The decision (planPrivileges) is pure and tested on its own; the files it
 * reads are passwd(5) and group(5) (util/accounts.ts).
 */
import { accessSync, constants } from 'node:fs';
import type { Logger } from 'pino';
import { CAP_NET_ADMIN, CAP_NET_RAW, loadNative, type NativeAddon } from '../io/native.js';
import { findGroup, findUser, groupList, parseGroupFile, parsePasswd, parseId } from '../util/accounts.js';
import { readLimitedSync } from '../util/read-limited.js';

/** Capabilities kept after the drop, by number and by name (for the log). */
export const KEPT_CAPABILITIES: ReadonlyArray<{ cap: number; name: string }> = [{ cap: CAP_NET_RAW, name: 'CAP_NET_RAW' }];
/** Also kept with `[routing] manage = yes`: RTM_NEWROUTE/RTM_DELROUTE need it at each request (rtnetlink checks the sender). */
const ROUTING_CAPABILITY = { cap: CAP_NET_ADMIN, name: 'CAP_NET_ADMIN' };

export interface Account {
  /** The name from the configuration (or the passwd entry's, for a numeric `user`). */
  user: string;
  uid: number;
  gid: number;
  /** Supplementary groups: `gid` first, then the user's memberships in the group file (initgroups). */
  groups: number[];
}

export type PrivilegePlan =
  /** Root now: become `account`. */
  | { action: 'drop'; account: Account }
  /** Nothing to do; `level`/`message` say why, for one log line (undefined: nothing worth saying). */
  | { action: 'none'; account: Account | undefined; level: 'info' | 'warn' | undefined; message: string };

export interface AccountFiles {
  passwd: string;
  group: string;
  /** For messages: where they came from. */
  passwdPath: string;
  groupPath: string;
}

/**
 * Resolves `user` (a name or a numeric uid) and `group` (a name or a gid;
 * default: the user's primary group). Throws a clear Error naming the key.
 */
export function resolveAccount(user: string, group: string | undefined, files: AccountFiles): Account {
  const pw = findUser(parsePasswd(files.passwd), user);
  const uid = pw?.uid ?? parseId(user);
  if (uid === undefined) {
    throw new Error(`[general] user "${user}" is not a user in ${files.passwdPath} (give a numeric uid for users from NSS)`);
  }
  const groups = parseGroupFile(files.group);
  let gid: number | undefined;
  if (group !== undefined) {
    gid = findGroup(groups, group)?.gid ?? parseId(group);
    if (gid === undefined) throw new Error(`[general] group "${group}" is not a group in ${files.groupPath} (give a numeric gid for groups from NSS)`);
  } else {
    gid = pw?.gid;
    if (gid === undefined) throw new Error(`[general] user "${user}" has no entry in ${files.passwdPath}, so no primary group: set [general] group`);
  }
  if (uid === 0 || gid === 0) {
    // Dropping "to root" drops nothing: refuse rather than pretend.
    throw new Error(`[general] ${uid === 0 ? `user "${user}"` : `group "${group ?? gid}"`} is root; name an unprivileged ${uid === 0 ? 'user' : 'group'}`);
  }
  return { user: pw?.name ?? user, uid, gid, groups: groupList(groups, pw?.name, gid) };
}

/**
 * What start-up does about privileges, given the settings and the effective
 * uid it runs with. Throws for an unknown user or group (a start-up error,
 * and `--check` reports it).
 */
export function planPrivileges(general: { user: string | undefined; group: string | undefined }, euid: number, files: AccountFiles): PrivilegePlan {
  if (general.user === undefined) {
    if (general.group !== undefined) throw new Error('[general] group is set without [general] user: set both, or neither');
    return euid === 0
      ? { action: 'none', account: undefined, level: 'warn', message: 'running as root with every capability: set [general] user to drop to an unprivileged user with CAP_NET_RAW only' }
      : { action: 'none', account: undefined, level: undefined, message: '' };
  }
  const account = resolveAccount(general.user, general.group, files);
  if (euid === 0) return { action: 'drop', account };
  if (euid === account.uid) {
    return { action: 'none', account, level: 'info', message: `already running as [general] user "${account.user}" (uid ${euid}, e.g. systemd User=): nothing to drop` };
  }
  return {
    action: 'none',
    account,
    level: 'warn',
    message: `started as uid ${euid}, not root: cannot switch to [general] user "${account.user}" (uid ${account.uid}); running on as uid ${euid}`,
  };
}

/** passwd(5) and group(5) are small system files; anything larger than this is not one. */
const MAX_ACCOUNT_FILE = 16 * 1024 * 1024;

/** Reads the account files (regular files only, bounded; the system's own paths, so links are followed). */
export function readAccountFiles(passwdPath = '/etc/passwd', groupPath = '/etc/group'): AccountFiles {
  const read = (path: string) => {
    let r;
    try {
      r = readLimitedSync(path, MAX_ACCOUNT_FILE + 1, { followLinks: true });
    } catch (e) {
      throw new Error(`[general] user/group: cannot read ${path}: ${(e as Error).message}`);
    }
    if (!r || r.size > MAX_ACCOUNT_FILE) throw new Error(`[general] user/group: ${path} is not a regular file of at most ${MAX_ACCOUNT_FILE} bytes`);
    return r.text;
  };
  return { passwd: read(passwdPath), group: read(groupPath), passwdPath, groupPath };
}

/** Settings → plan with the real account files and effective uid (start-up and `--check`). */
export function planFromSystem(general: { user: string | undefined; group: string | undefined }): PrivilegePlan {
  const euid = process.geteuid?.() ?? 0;
  // The files are only needed when a user is named.
  const files = general.user === undefined ? { passwd: '', group: '', passwdPath: '', groupPath: '' } : readAccountFiles();
  return planPrivileges(general, euid, files);
}

/**
 * For `onlinkd --check`: what would stop the start (an unknown user or
 * group, a group without a user, root named), whatever uid runs the check;
 * undefined when nothing would.
 */
export function accountSettingsError(general: { user: string | undefined; group: string | undefined }, files?: AccountFiles): string | undefined {
  try {
    if (general.user === undefined) planPrivileges(general, 0, { passwd: '', group: '', passwdPath: '', groupPath: '' });
    else resolveAccount(general.user, general.group, files ?? readAccountFiles());
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface ApplyOptions {
  log: Logger;
  /** The state directory: after the drop, said in the log if the user cannot read or write it. */
  datapath: string;
  /** `[routing] manage = yes`: keep CAP_NET_ADMIN too. */
  routing?: boolean;
  native?: NativeAddon;
}

/**
 * Carries out the plan: the drop (throws when it fails: the daemon must not
 * serve half-dropped), one log line saying what is in force, a warning when
 * the state directory is not usable by the user, and the SIGUSR1 guard.
 */
export function applyPrivileges(plan: PrivilegePlan, o: ApplyOptions): void {
  guardInspectorSignal(o.log);
  if (plan.action === 'none') {
    if (plan.level) o.log[plan.level]({ uid: process.geteuid?.(), user: plan.account?.user }, plan.message);
    return;
  }
  const { account } = plan;
  const native = o.native ?? loadNative();
  const kept = o.routing ? [...KEPT_CAPABILITIES, ROUTING_CAPABILITY] : KEPT_CAPABILITIES;
  const r = native.dropPrivileges(account.uid, account.gid, account.groups, kept.map((c) => c.cap));
  o.log.info(
    {
      user: account.user,
      uid: account.uid,
      gid: account.gid,
      groups: account.groups,
      caps: kept.map((c) => c.name),
      threads: r.threads,
      // Threads no signal reaches (Node's SIGUSR1 watchdog): left with no capability at all.
      threadsWithoutCaps: r.capless.length,
    },
    `privileges dropped: running as the configured user with ${kept.map((c) => c.name).join(' and ')} only`,
  );
  checkStateDirectory(o.datapath, account, o.log);
}

/**
 * The state directory as the dropped user sees it: bindings must be
 * readable, and binding-add/binding-del write into it. Not fatal (the
 * bindings in force are served either way); said once, clearly, at start.
 */
export function checkStateDirectory(datapath: string, account: Account, log: Logger, access = accessSync): void {
  const can = (mode: number) => {
    try {
      access(datapath, mode); // access(2) checks the real uid: the dropped user's
      return true;
    } catch {
      return false;
    }
  };
  if (!can(constants.R_OK | constants.X_OK)) {
    log.warn({ datapath, user: account.user, uid: account.uid }, 'state directory is not readable by the configured user: binding files cannot be read (make it readable, e.g. chown it to that user)');
  } else if (!can(constants.W_OK)) {
    log.warn({ datapath, user: account.user, uid: account.uid }, 'state directory is not writable by the configured user: binding-add and binding-del will fail, the bindings in force are served (chown it to that user to allow them)');
  }
}

/**
 * SIGUSR1 makes Node open its inspector on 127.0.0.1:9229, through which
 * anyone may run code in the process. After the drop, every process of the
 * same user (nobody is shared) may signal onlinkd (kill(2)): a listener
 * replaces Node's handler, so the signal is logged and ignored instead.
 */
function guardInspectorSignal(log: Logger): void {
  if (process.listenerCount('SIGUSR1') > 0) return;
  process.on('SIGUSR1', () => log.warn('SIGUSR1 ignored (it would open the Node inspector to local users)'));
}
