/**
 * The control server's open connections and the slots they hold: how many
 * in all and per uid (access.ts `admit` decides from those counts), and the
 * credentials each was admitted with, which a reload checks again. A slot
 * is freed when its socket closes, however that happens.
 */
import type net from 'node:net';
import { admit, type Admission, type ConnectionLimits } from './access.js';
import type { Connection } from './connection.js';
import type { PeerCredentials } from './peer-credentials.js';

export class ConnectionSlots {
  readonly limits: ConnectionLimits;
  /** Admitted connections with the credentials they were admitted with. */
  readonly #conns = new Map<Connection, PeerCredentials>();
  readonly #perUid = new Map<number, number>();

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.#conns.size;
  }

  /** Whether a peer of `uid` may take a slot now. */
  admit(uid: number): Admission {
    return admit(uid, this.#conns.size, this.#perUid.get(uid) ?? 0, this.limits);
  }

  /** Gives `conn` a slot until `socket` closes. */
  hold(conn: Connection, creds: PeerCredentials, socket: net.Socket): void {
    const uid = creds.uid;
    this.#conns.set(conn, creds);
    this.#perUid.set(uid, (this.#perUid.get(uid) ?? 0) + 1);
    socket.once('close', () => {
      this.#conns.delete(conn);
      const n = (this.#perUid.get(uid) ?? 1) - 1;
      if (n > 0) this.#perUid.set(uid, n);
      else this.#perUid.delete(uid);
    });
  }

  /** Every open connection with its credentials. */
  entries(): IterableIterator<[Connection, PeerCredentials]> {
    return this.#conns.entries();
  }
}
