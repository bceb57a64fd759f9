/**
 * `onlinkd --check`: what the configuration parser cannot know by itself,
 * checked against this host for the keys the key table marks (config/keys.ts
 * `host`) — that `control_group` names a group and `[general] user`/`group`
 * an account (start-up would fail on either) and that the announcement
 * uplinks exist. (That they are interface names at all is the parser's job:
 * it refuses anything else with file:line, at start and on reload too.) An uplink that does
 * not exist right now is only a warning: uplinks (bonds, VLANs, bridges)
 * may well appear after onlinkd starts, and announcements then reach them
 * (a missing uplink is logged and counted).
 */
import { KEY_ENTRIES, type Settings } from '../config/config.js';
import { resolveGroup } from '../control/access.js';
import { loadNative } from '../io/native.js';
import { accountSettingsError, type AccountFiles } from '../runtime/privileges.js';

export interface CheckFinding {
  level: 'error' | 'warning';
  /** `[section] key`, as an operator writes it. */
  key: string;
  message: string;
}

export interface CheckOptions {
  /** Group database (tests). */
  groupFile?: string;
  /** passwd and group text for `[general] user`/`group` (tests); default /etc/passwd and /etc/group. */
  accountFiles?: AccountFiles;
  /** Whether an interface exists now; undefined when that cannot be told. Default: if_nametoindex(3) in this namespace. */
  interfaceExists?: (name: string) => boolean | undefined;
}

function nativeInterfaceExists(name: string): boolean | undefined {
  try {
    return loadNative().ifNameToIndex(name) !== 0;
  } catch {
    return undefined; // no addon here: existence is only a warning anyway
  }
}

/**
 * The host checks of the key table (config/keys.ts `host`), in table order.
 * `account` covers user and group together (accountSettingsError judges the
 * pair), so it runs once.
 */
export async function checkSettings(s: Settings, o: CheckOptions = {}): Promise<CheckFinding[]> {
  const out: CheckFinding[] = [];
  const exists = o.interfaceExists ?? nativeInterfaceExists;
  let accountChecked = false;
  for (const { section, field, spec } of KEY_ENTRIES) {
    if (spec.host === undefined) continue;
    const value = (s[section] as Record<string, unknown>)[field];
    const key = `[${section}] ${spec.key}`;
    switch (spec.host) {
      case 'group':
        if (typeof value !== 'string') break;
        try {
          await resolveGroup(value, o.groupFile);
        } catch (e) {
          out.push({ level: 'error', key, message: (e as Error).message });
        }
        break;
      case 'account': {
        if (accountChecked) break;
        accountChecked = true;
        const account = accountSettingsError(s.general, o.accountFiles);
        if (account) out.push({ level: 'error', key: '[general] user/group', message: account });
        break;
      }
      case 'interface':
        if (typeof value === 'string' && exists(value) === false) {
          out.push({ level: 'warning', key, message: `interface "${value}" does not exist now (announcements need it once onlinkd runs)` });
        }
        break;
    }
  }
  return out;
}
