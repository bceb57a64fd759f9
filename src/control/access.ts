/**
 * Who may use the control socket, and how many connections each may hold.
 * The one place these decisions are made; the server applies them at
 * accept (before a connection counts against any limit) and again to every
 * open connection when a reload changes the policy.
 */
import { readFile } from 'node:fs/promises';
import type { PeerCredentials } from './peer-credentials.js';
import { findGroup, parseGroupFile, parseId } from '../util/accounts.js';

export interface AccessPolicy {
  /** The daemon's own uid: its user may do what root may. */
  daemonUid: number;
  /** gid of `control_group`; undefined: root (and the daemon's user) only. */
  controlGid: number | undefined;
  /** Whether members of the control group may run mutating commands (default yes). */
  groupMayMutate: boolean;
}

export interface Access {
  allowed: boolean;
  mayMutate: boolean;
}

/** Who may do what on the control socket. */
export function authorize(c: PeerCredentials, p: AccessPolicy): Access {
  if (c.uid === 0 || c.uid === p.daemonUid) return { allowed: true, mayMutate: true };
  if (p.controlGid !== undefined && (c.gid === p.controlGid || c.groups.includes(p.controlGid))) {
    return { allowed: true, mayMutate: p.groupMayMutate };
  }
  return { allowed: false, mayMutate: false };
}

/**
 * Resolves a group name (or a numeric gid) by reading the group file, as
 * getgrnam does for the "files" NSS source (util/accounts.ts, shared with
 * [general] group). No shelling out; NSS-only groups (LDAP, sssd) can be
 * given as a number.
 */
export async function resolveGroup(name: string, groupFile = '/etc/group'): Promise<number> {
  const id = parseId(name);
  if (id !== undefined) return id;
  let text: string;
  try {
    text = await readFile(groupFile, 'utf8');
  } catch (e) {
    throw new Error(`control_group "${name}": cannot read ${groupFile}: ${(e as Error).message}`);
  }
  const group = findGroup(parseGroupFile(text), name);
  if (group) return group.gid;
  throw new Error(`control_group "${name}" is not a group in ${groupFile} (give a numeric gid for groups from NSS)`);
}

// ---- connection limits ----------------------------------------------------------

export interface ConnectionLimits {
  /** Connections in all. */
  max: number;
  /**
   * Of `max`, slots only root may take: whoever else holds connections,
   * root (the hooks, the operator) can still get in to look and repair.
   */
  rootReserve: number;
  /** Connections one uid other than root may hold: one user cannot take every slot. */
  perUid: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { max: 64, rootReserve: 4, perUid: 16 };

export type Admission = { ok: true } | { ok: false; reason: string };

/**
 * Whether an allowed peer gets a connection slot, given how many the
 * server holds in all and for this uid. Refused peers never get here: they
 * are turned away at accept and hold no slot.
 */
export function admit(uid: number, total: number, ofUid: number, l: ConnectionLimits): Admission {
  if (total >= l.max) return { ok: false, reason: `too many connections (limit ${l.max}); try again` };
  if (uid === 0) return { ok: true };
  if (total >= l.max - l.rootReserve) return { ok: false, reason: `too many connections (the last ${l.rootReserve} of ${l.max} are kept for root); try again` };
  if (ofUid >= l.perUid) return { ok: false, reason: `too many connections for uid ${uid} (limit ${l.perUid}); try again` };
  return { ok: true };
}
