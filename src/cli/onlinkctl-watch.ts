/**
 * `onlinkctl watch [--json]`: the daemon's event stream (`subscribe`), one
 * line per event: for people `TIME EVENT TAP [MAC] [ADDRESS]`, with --json
 * the daemon's JSON line as it came. Runs until the daemon closes the
 * stream (exit 1: it stopped, or dropped us for reading too slowly) or the
 * user interrupts it.
 */
import { ControlClientError } from '../control/client.js';
import { subscribeEvents } from '../control/event-client.js';

export interface WatchIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** One event for people; a line that is not an event object is shown as it came. */
export function formatEvent(line: string): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  if (e.event === 'dropped') return `${String(e.time ?? '')}  dropped: ${String(e.reason ?? '')}\n`;
  const cols = [e.time, e.event, e.tap, e.mac, e.address].filter((v) => v !== undefined).map(String);
  return `${cols.join('  ')}\n`;
}

/** Returns the exit status (0 when stopped by `signal`). */
export async function watch(socket: string, json: boolean, io: WatchIo, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<number> {
  let dropped = false;
  let stream;
  try {
    stream = await subscribeEvents(socket, (line) => {
      if (line.includes('"dropped"')) dropped = true;
      io.stdout(json ? `${line}\n` : formatEvent(line));
    }, opts);
  } catch (e) {
    if (!(e instanceof ControlClientError)) throw e;
    io.stderr(`onlinkctl: ${e.message}\n`);
    return 1;
  }
  if (stream.response.result !== 0) {
    stream.close();
    io.stderr(`onlinkctl: ${stream.response.text}\n`);
    return stream.response.result === 2 ? 2 : 1;
  }
  if (!json) io.stderr(`watching ${socket} (Ctrl-C to stop)\n`);
  let stopped = false;
  opts.signal?.addEventListener('abort', () => {
    stopped = true;
    stream.close();
  });
  await stream.ended;
  if (stopped) return 0;
  io.stderr(`onlinkctl: ${dropped ? 'the daemon dropped this watcher (it read too slowly)' : 'onlinkd closed the event stream'}\n`);
  return 1;
}
