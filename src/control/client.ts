/**
 * Control-socket client: one request, one response, with errors that say
 * what to do (daemon not running, no permission, no answer).
 */
import { lstatSync } from 'node:fs';
import net from 'node:net';
import { encodeRequest, responseSchema, type ControlResponse } from './protocol.js';

export const DEFAULT_SOCKET = '/run/onlinkd/control.sock';
export const DEFAULT_TIMEOUT_MS = 10_000;
/** binding-list of thousands of bindings is a few MiB; anything far beyond is not onlinkd. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export type ControlClientErrorCode = 'ENOENT' | 'ECONNREFUSED' | 'EACCES' | 'ETIMEDOUT' | 'EPROTO' | 'ECLOSED' | 'EIO';

export class ControlClientError extends Error {
  constructor(
    readonly code: ControlClientErrorCode,
    readonly socketPath: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlClientError';
  }
}

export interface RequestOptions {
  timeoutMs?: number;
}

/** The socket path: explicit, else $ONLINKD_SOCKET, else the daemon's default. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.ONLINKD_SOCKET || DEFAULT_SOCKET;
}

/** What `path` is when it is there and not a socket ("a regular file", …); undefined for a socket or nothing. */
function notSocketKind(path: string): string | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (st.isSocket()) return undefined;
  if (st.isFile()) return st.size === 0 ? 'an empty regular file' : 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  return 'a device file';
}

export function connectError(e: NodeJS.ErrnoException, path: string): ControlClientError {
  switch (e.code) {
    case 'ENOENT':
      return new ControlClientError('ENOENT', path, `no control socket at ${path}: is onlinkd running? (use --socket or ONLINKD_SOCKET for another path)`);
    case 'ECONNREFUSED': {
      // Linux refuses a connect() to a regular file too: name what is there, so nobody hunts a dead daemon.
      const kind = notSocketKind(path);
      if (kind !== undefined) return new ControlClientError('ENOENT', path, `${path} is ${kind}, not a socket: onlinkd never made it (remove it, or check --socket / ONLINKD_SOCKET)`);
      return new ControlClientError('ECONNREFUSED', path, `nothing listens on ${path}: onlinkd is not running (a socket left by a daemon that stopped uncleanly)`);
    }
    case 'EACCES':
    case 'EPERM':
      return new ControlClientError('EACCES', path, `permission denied on ${path}: run as root or as a member of the daemon's control_group`);
    case 'ENOTSOCK':
    case 'ENOTDIR':
      return new ControlClientError('ENOENT', path, `${path} is not a socket: check --socket / ONLINKD_SOCKET`);
    default:
      return new ControlClientError('EIO', path, `cannot talk to onlinkd on ${path}: ${e.message}`);
  }
}

/** Sends one request and waits for its response line. Throws ControlClientError. */
export function request(
  socketPath: string,
  command: string,
  args?: Record<string, unknown>,
  opts: RequestOptions = {},
): Promise<ControlResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let connected = false;
    const sock = net.connect(socketPath);
    const finish = (err: ControlClientError | undefined, value?: ControlResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    // A plain timer (not util/timer.ts): this runs in onlinkctl and hooks, where a throw should end
    // the command with its stack, not be logged and leave the request hanging.
    const timer = setTimeout(
      () => finish(new ControlClientError('ETIMEDOUT', socketPath, `no answer from onlinkd on ${socketPath} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on('connect', () => {
      connected = true;
      sock.write(encodeRequest(command, args));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected) return finish(connectError(e, socketPath));
      // EPIPE/ECONNRESET after connecting: the daemon may have answered and closed (e.g. "too many connections").
      if (size > 0) return;
      finish(new ControlClientError('ECLOSED', socketPath, `connection to onlinkd on ${socketPath} failed: ${e.message}`));
    });
    sock.on('data', (chunk: Buffer) => {
      if (settled) return;
      const nl = chunk.indexOf(10);
      chunks.push(nl < 0 ? chunk : chunk.subarray(0, nl));
      size += nl < 0 ? chunk.length : nl;
      if (nl >= 0) return parse(Buffer.concat(chunks).toString('utf8'));
      if (size > MAX_RESPONSE_BYTES) finish(new ControlClientError('EPROTO', socketPath, 'response too large'));
    });
    sock.on('close', () => {
      if (settled) return;
      // A response without its newline, then EOF, is still a response.
      if (size > 0) return parse(Buffer.concat(chunks).toString('utf8'));
      finish(new ControlClientError('ECLOSED', socketPath, `onlinkd on ${socketPath} closed the connection without answering`));
    });
    function parse(text: string): void {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return finish(new ControlClientError('EPROTO', socketPath, `malformed response from ${socketPath}: ${text.slice(0, 80)}`));
      }
      const r = responseSchema.safeParse(json);
      if (!r.success) return finish(new ControlClientError('EPROTO', socketPath, `unexpected response from ${socketPath}: ${text.slice(0, 80)}`));
      finish(undefined, r.data as ControlResponse);
    }
  });
}
