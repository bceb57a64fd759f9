/**
 * The log lines of what peers did over the control socket: who (uid, pid)
 * changed which binding, asked for an announcement or a reload, was
 * refused a mutation, sent a bad request or saw a command fail. The
 * dispatcher reports these as AuditEvents; how they read in the journal is
 * decided here only.
 */
import type { Logger } from 'pino';
import type { AuditEvent, Peer } from './dispatch.js';

export function logAudit(log: Logger, e: AuditEvent, peer: Readonly<Peer>): void {
  switch (e.event) {
    case 'binding-added':
      log.info({ tap: e.tap, mac: e.mac, ip: e.ip, uid: e.uid, pid: peer.pid }, e.replaced ? 'binding replaced via control socket' : 'binding added via control socket');
      break;
    case 'binding-removed':
      log.info({ tap: e.tap, mac: e.mac, ip: e.ip, uid: e.uid, pid: peer.pid }, 'binding removed via control socket');
      break;
    case 'announced':
      log.info({ tap: e.tap, uid: e.uid }, 'announcement requested via control socket');
      break;
    case 'config-reloaded':
      log.info({ ok: e.ok, reason: e.reason, uid: e.uid }, 'configuration reload requested via control socket');
      break;
    case 'denied':
      log.warn({ command: e.command, uid: e.uid, gid: e.gid, pid: peer.pid }, 'control command denied: read-only access');
      break;
    case 'bad-request':
      log.info({ command: e.command, reason: e.reason, uid: e.uid }, 'bad control request');
      break;
    case 'failed':
      log.warn({ command: e.command, reason: e.reason, uid: e.uid }, 'control command failed');
      break;
  }
}
