/**
 * User and group lookups in passwd(5) and group(5) text, as getpwnam,
 * getgrnam and initgroups do for the "files" NSS source. Pure: the caller
 * reads the files (onlinkd never shells out to `id` or `getent`). Accounts
 * that only NSS knows (LDAP, sssd) can be given as numbers.
 */

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const ID = /^\d+$/;
/** uid_t/gid_t are 32 bits; (uid_t)-1 means "unchanged" to the set*id calls, never an account. */
const MAX_ID = 0xfffffffe;

/** A decimal id in range, or undefined. */
export function parseId(text: string): number | undefined {
  if (!ID.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/** The `:`-separated fields of each line with at least `min` of them and a name; comments are skipped. */
function* records(text: string, min: number): Generator<string[]> {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= min && f[0] !== '' && !line.startsWith('#')) yield f;
  }
}

/** name:password:UID:GID:GECOS:directory:shell lines; malformed lines and comments are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of records(text, 4)) {
    const uid = parseId(f[2]!);
    const gid = parseId(f[3]!);
    if (uid !== undefined && gid !== undefined) out.push({ name: f[0]!, uid, gid });
  }
  return out;
}

/** group_name:password:GID:user_list lines; malformed lines and comments are skipped. */
export function parseGroupFile(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of records(text, 3)) {
    const gid = parseId(f[2]!);
    const members = (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean);
    if (gid !== undefined) out.push({ name: f[0]!, gid, members });
  }
  return out;
}

/** The first entry named `name` (getpwnam), or with uid `name` when it is a number. */
export function findUser(passwd: readonly PasswdEntry[], name: string): PasswdEntry | undefined {
  const id = parseId(name);
  return passwd.find((p) => (id === undefined ? p.name === name : p.uid === id));
}

/** The first group named `name` (getgrnam), or with gid `name` when it is a number. */
export function findGroup(groups: readonly GroupEntry[], name: string): GroupEntry | undefined {
  const id = parseId(name);
  return groups.find((g) => (id === undefined ? g.name === name : g.gid === id));
}

/** initgroups(3): `gid` first, then every group listing `user` as a member, each gid once. */
export function groupList(groups: readonly GroupEntry[], user: string | undefined, gid: number): number[] {
  const out = [gid];
  if (user === undefined) return out;
  for (const g of groups) if (g.members.includes(user) && !out.includes(g.gid)) out.push(g.gid);
  return out;
}
