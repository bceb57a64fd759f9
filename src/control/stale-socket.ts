/**
 * Taking over the control socket's path at start: a socket file that a live
 * onlinkd answers on is never taken (the second daemon exits with
 * ControlSocketInUseError); one nobody listens on (left by a daemon that
 * did not stop cleanly, or by one whose socket directory it could not
 * clean after dropping privileges) is removed; anything that is not a
 * socket is never removed. The race with another daemon starting at the
 * same moment is closed later: the socket is published with link(), which
 * never replaces anything (socket-file.ts).
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { Logger } from 'pino';

export class ControlSocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`control socket ${path} is in use: another onlinkd answers on it (stop it first, or set [general] control_socket)`);
    this.name = 'ControlSocketInUseError';
  }
}

/** What is at `path`: nothing, a socket nobody listens on, a live socket, or something else. */
export async function probeSocket(path: string, timeoutMs = 1000): Promise<'absent' | 'stale' | 'live' | 'not-socket'> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) return 'not-socket';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    // Something holds it but is slow: assume alive rather than steal it. But only once the loop has
    // had the chance to deliver the connect's own outcome: a refused connect is reported in libuv's
    // pending phase, which comes after the timers phase, so when start-up work has blocked the loop
    // past the timeout the timer would otherwise win and call a stale socket live (the daemon then
    // refuses to start after a crash). setImmediate runs after the pending and poll phases.
    let settled = false;
    const timer = setTimeout(() => setImmediate(() => {
      if (settled) return;
      s.destroy();
      resolve('live');
    }), timeoutMs);
    s.once('connect', () => {
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      settled = true;
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED') resolve('stale');
      else if (e.code === 'ENOENT') resolve('absent');
      else reject(new Error(`cannot check control socket ${path}: ${e.message}`));
    });
  });
}

/**
 * Makes `realPath` free for a new socket, or throws why it cannot be: a live
 * socket (ControlSocketInUseError) or something that is not a socket.
 * `path` (the configured name) is what messages and the log show.
 */
export async function claimSocketPath(realPath: string, path: string, log: Logger): Promise<void> {
  const state = await probeSocket(realPath);
  if (state === 'live') throw new ControlSocketInUseError(path);
  if (state === 'not-socket') throw new Error(`control socket path ${path} exists and is not a socket; refusing to remove it`);
  if (state === 'stale') {
    log.info({ socket: path }, 'removing stale control socket (nothing answers on it)');
    await unlink(realPath).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw new Error(`cannot remove stale control socket ${path}: ${e.message}`);
    });
  }
}
