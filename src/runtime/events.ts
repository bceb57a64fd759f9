/**
 * The event stream behind the control socket's `subscribe` (issue 16):
 * one JSON line per event, {event, tap, mac?, address?, time}. Producers
 * (the packet path's DHCPACK, the binding store, the announcer) call
 * emit(), which does nothing but a size check when nobody subscribes; with
 * subscribers it only appends a line to each one's queue. The queues are
 * written to the sockets later (setImmediate), so a subscriber never makes
 * a producer wait. A queue is bounded: a subscriber that does not read
 * (its queue reaches MAX_QUEUED_EVENTS lines) gets a final `dropped` line
 * and is disconnected, and its queue is freed.
 */

export const EVENT_NAMES = ['binding-applied', 'binding-removed', 'lease-acked', 'announce-sent'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface OnlinkEvent {
  event: EventName;
  tap: string;
  mac?: string;
  address?: string;
  /** ISO time the event happened. */
  time: string;
}

/** Lines a subscriber may have waiting (unwritten or unread by its socket) before it is dropped. */
export const MAX_QUEUED_EVENTS = 1024;

/** Where a subscriber's lines go: a socket (the control connection). */
export interface EventSink {
  /** false: buffered beyond the high-water mark; wait for 'drain'. */
  write(line: string): boolean;
  once(event: 'drain', fn: () => void): unknown;
  /** Writes a last line and closes. */
  end(line: string): void;
  readonly destroyed: boolean;
}

class Subscriber {
  readonly queue: string[] = [];
  waitingForDrain = false;
  scheduled = false;
  constructor(readonly sink: EventSink) {}
}

export class EventBus {
  readonly #subs = new Set<Subscriber>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Whether anyone listens: producers check it before building an event's fields. */
  get active(): boolean {
    return this.#subs.size > 0;
  }

  get subscribers(): number {
    return this.#subs.size;
  }

  emit(event: EventName, tap: string, mac?: string, address?: string): void {
    if (this.#subs.size === 0) return;
    const e: OnlinkEvent = { event, tap, ...(mac !== undefined ? { mac } : {}), ...(address !== undefined ? { address } : {}), time: new Date(this.#now()).toISOString() };
    const line = `${JSON.stringify(e)}\n`;
    for (const s of this.#subs) {
      if (s.queue.length >= MAX_QUEUED_EVENTS) {
        this.#drop(s);
        continue;
      }
      s.queue.push(line);
      this.#schedule(s);
    }
  }

  /** Streams events to `sink` until the returned function is called (or the subscriber is dropped). */
  subscribe(sink: EventSink): () => void {
    const s = new Subscriber(sink);
    this.#subs.add(s);
    return () => {
      this.#subs.delete(s);
      s.queue.length = 0;
    };
  }

  #schedule(s: Subscriber): void {
    if (s.scheduled || s.waitingForDrain) return;
    s.scheduled = true;
    setImmediate(() => {
      s.scheduled = false;
      this.#flush(s);
    });
  }

  #flush(s: Subscriber): void {
    if (!this.#subs.has(s)) return;
    if (s.sink.destroyed) return void this.#subs.delete(s);
    while (s.queue.length > 0) {
      const ok = s.sink.write(s.queue.shift()!);
      if (!ok) {
        s.waitingForDrain = true;
        s.sink.once('drain', () => {
          s.waitingForDrain = false;
          this.#flush(s);
        });
        return;
      }
    }
  }

  #drop(s: Subscriber): void {
    this.#subs.delete(s);
    s.queue.length = 0;
    const last: Record<string, unknown> = { event: 'dropped', reason: `subscriber too slow: more than ${MAX_QUEUED_EVENTS} events unread`, time: new Date(this.#now()).toISOString() };
    if (!s.sink.destroyed) s.sink.end(`${JSON.stringify(last)}\n`);
  }
}
