/**
 * The client side of `subscribe` (onlinkctl watch): sends it, waits for its
 * answer (bounded by the timeout, like any request), then hands over every
 * following line, one event each, until the daemon or the caller closes.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { ControlClientError, DEFAULT_TIMEOUT_MS, connectError } from './client.js';
import { encodeRequest, responseSchema, type ControlResponse } from './protocol.js';

export interface EventStream {
  /** The answer to `subscribe`; events follow only when its result is 0. */
  response: ControlResponse;
  /** Resolves when the stream ended (daemon closed it, or close() was called). */
  ended: Promise<void>;
  close(): void;
}

/** Subscribes; `onLine` gets each event line as sent (one JSON object). Throws ControlClientError. */
export function subscribeEvents(socketPath: string, onLine: (line: string) => void, opts: { timeoutMs?: number } = {}): Promise<EventStream> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let connected = false;
    let answered = false;
    const ended = new Promise<void>((r) => sock.on('close', () => r()));
    const fail = (e: ControlClientError) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new ControlClientError('ETIMEDOUT', socketPath, `no answer from onlinkd on ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => {
      connected = true;
      sock.write(encodeRequest('subscribe'));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected) fail(connectError(e, socketPath));
      else if (!answered) fail(new ControlClientError('ECLOSED', socketPath, `connection to onlinkd on ${socketPath} failed: ${e.message}`));
    });
    sock.on('close', () => {
      if (!answered) fail(new ControlClientError('ECLOSED', socketPath, `onlinkd on ${socketPath} closed the connection without answering`));
    });
    const lines = createInterface({ input: sock, crlfDelay: Infinity });
    // readline re-emits its input's errors; the socket's own 'error' handler above already answers them.
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      if (answered) return onLine(line);
      answered = true;
      clearTimeout(timer);
      let parsed: ReturnType<typeof responseSchema.safeParse>;
      try {
        parsed = responseSchema.safeParse(JSON.parse(line));
      } catch {
        return fail(new ControlClientError('EPROTO', socketPath, `malformed response from ${socketPath}: ${line.slice(0, 80)}`));
      }
      if (!parsed.success) return fail(new ControlClientError('EPROTO', socketPath, `unexpected response from ${socketPath}: ${line.slice(0, 80)}`));
      resolve({ response: parsed.data as ControlResponse, ended, close: () => sock.destroy() });
    });
  });
}
