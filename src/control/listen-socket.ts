/**
 * The steps that put a listening control socket at its configured path, in
 * their order: the directory (made if missing, then refused if someone else
 * could write it), the path (a live socket is never taken over, a stale one
 * is removed), then the socket, created privately with its mode and group
 * and published (socket-file.ts). The path is resolved once: every file
 * operation after this goes to the directory checked here.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { checkSocketDirectory, createSocketFile, type SocketIdentity } from './socket-file.js';
import { claimSocketPath } from './stale-socket.js';

export interface ListenOptions {
  mode: number;
  gid: number;
  /** Who may own the socket's directory and those above it. */
  trustedUids: Iterable<number>;
  log: Logger;
  beforePublish?: (() => void | Promise<void>) | undefined;
}

export interface ListeningSocket {
  server: net.Server;
  /** `path` with the directory's links resolved. */
  realPath: string;
  id: SocketIdentity;
}

/** Throws ControlSocketInUseError (another onlinkd answers at `path`) or an Error that says why. */
export async function listenControlSocket(path: string, o: ListenOptions): Promise<ListeningSocket> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const dir = await checkSocketDirectory(dirname(path), o.trustedUids);
  const realPath = join(dir, basename(path));
  await claimSocketPath(realPath, path, o.log);
  // allowHalfOpen: a client may shut down its sending side after the last request and still read the answers.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
  try {
    const id = await createSocketFile(realPath, { mode: o.mode, gid: o.gid, listen: (p) => listen(server, p, path), beforePublish: o.beforePublish });
    return { server, realPath, id };
  } catch (e) {
    server.close();
    throw e;
  }
}

/** bind() and listen() at `at` (the private path); errors name the configured `path`. */
async function listen(server: net.Server, at: string, path: string): Promise<void> {
  server.listen(at);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  } catch (e) {
    throw new Error(`cannot listen on control socket ${path}: ${(e as Error).message}`);
  }
}
