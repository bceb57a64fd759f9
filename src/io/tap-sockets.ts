/**
 * One receiving packet socket per bound tap (see packet-socket.ts for why):
 * opened when a binding meets its tap, closed when they part. Each socket
 * has its own receive queue, so a guest that floods faster than the daemon
 * reads overflows only its own queue; the kernel's drop counters are kept
 * per tap and in total.
 *
 * This is the packet path's socket layer both ways: received frames go
 * straight to the sink given to deliverTo() (the packet path), and the
 * path's replies come back through send() and pause(), with no daemon code
 * in between (one call less per frame each way, and nothing to wire by hand).
 */
import { PacketSocket, type PacketSocketOptions, type ReceivedFrame, type SendResult } from './packet-socket.js';
import { safeTimeout } from '../util/timer.js';

/** Who receives the frames of every tap socket (the packet path, src/packet/path.ts). */
export interface FrameSink {
  handle(frame: ReceivedFrame): void;
}

/** Until deliverTo(): frames are dropped (the daemon sets the sink before it opens a socket). */
const NO_SINK: FrameSink = { handle: () => undefined };

export interface TapSocketsOptions {
  /**
   * The send-only socket (PacketSocket.open({ receive: false })): frames for an
   * interface without a tap socket of ours go out there (uplinks:
   * announcements; a tap whose socket failed or is already closed).
   */
  sendSocket: Pick<PacketSocket, 'send'>;
  /** A socket error while receiving (rare: ENETDOWN when the tap goes away). */
  onError?: (tap: string, ifindex: number, error: string) => void;
  /** Per-tap receive buffer (bytes); plenty for a guest's boot burst, small enough for thousands of taps. */
  receiveBufferBytes?: number;
  /** Opens the socket for an ifindex (tests). */
  open?: (options: PacketSocketOptions) => Sock;
  /** Opens sockets for many ifindexes in the background, not yet reading (tests; default PacketSocket.openMany). */
  openMany?: (ifindexes: readonly number[], receiveBufferBytes: number) => Promise<Map<number, PreparedSock | string>>;
  /** A socket prepared in the background failed for a tap that had claimed it, and opening it again failed too. */
  onOpenFailed?: (tap: string, ifindex: number, error: string) => void;
}

type Sock = Pick<PacketSocket, 'onFrame' | 'onError' | 'kernelStats' | 'close' | 'pause' | 'resume' | 'sendBound'>;
type PreparedSock = Sock & Pick<PacketSocket, 'start'>;

interface Entry {
  tap: string;
  sock: Sock;
  seen: KernelCounters;
  /** Set while reading is paused (a flood): resumes the socket. */
  resume: NodeJS.Timeout | undefined;
  /** Frames delivered or reading paused since the kernel's counters were last read. */
  active: boolean;
}

export interface KernelCounters {
  packets: number;
  drops: number;
}

export const DEFAULT_TAP_RECEIVE_BUFFER = 512 * 1024;

/** The errno name of a system error (else its message). */
function errorName(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
}

export class TapSockets {
  readonly #o: TapSocketsOptions;
  #sink: FrameSink = NO_SINK;
  readonly #open = new Map<number, Entry>();
  /** Totals of sockets already closed. */
  readonly #retired: KernelCounters = { packets: 0, drops: 0 };
  /** Drops counted since the last readKernelStats(), by tap (closed sockets included). */
  #newDrops = new Map<string, number>();
  /** ifindexes whose sockets prepare() is opening; open() on one of them only claims it. */
  #preparing = new Set<number>();
  /** Claims made while preparing: ifindex → tap. */
  readonly #claimed = new Map<number, string>();
  /** Prepared sockets no tap has claimed yet (until dropSpare()). */
  readonly #spare = new Map<number, PreparedSock>();

  constructor(o: TapSocketsOptions) {
    this.#o = o;
  }

  /** Where received frames go from now on (set once, before the first socket opens). */
  deliverTo(sink: FrameSink): void {
    this.#sink = sink;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Whether the tap receives, or will as soon as its prepared socket is ready. */
  has(ifindex: number): boolean {
    return this.#open.has(ifindex) || this.#claimed.has(ifindex);
  }

  /**
   * Opens the sockets of many taps at once, in the background (start-up:
   * with thousands of taps, creating sockets is the kernel's slowest step,
   * and this way it overlaps loading the bindings). Until it resolves, open()
   * on one of these ifindexes claims its socket, which starts reading when it
   * is ready (frames the guest sent meanwhile wait in its queue); sockets
   * nobody claimed yet wait for a claim until dropSpare().
   */
  async prepare(ifindexes: readonly number[]): Promise<void> {
    const fresh = [...new Set(ifindexes)].filter((i) => !this.#open.has(i) && !this.#preparing.has(i) && !this.#spare.has(i));
    if (fresh.length === 0) return;
    for (const i of fresh) this.#preparing.add(i);
    const bytes = this.#o.receiveBufferBytes ?? DEFAULT_TAP_RECEIVE_BUFFER;
    let ready: Map<number, PreparedSock | string>;
    try {
      ready = await (this.#o.openMany ? this.#o.openMany(fresh, bytes) : PacketSocket.openMany(fresh, bytes));
    } catch (e) {
      ready = new Map(fresh.map((i) => [i, (e as Error).message]));
    }
    for (const ifindex of fresh) {
      this.#preparing.delete(ifindex);
      const tap = this.#claimed.get(ifindex);
      this.#claimed.delete(ifindex);
      const sock = ready.get(ifindex);
      if (tap === undefined) {
        if (sock !== undefined && typeof sock !== 'string') this.#spare.set(ifindex, sock);
        continue;
      }
      if (sock === undefined || typeof sock === 'string') {
        // Try again the usual way; report what that says.
        const r = this.open(ifindex, tap);
        if (!r.ok) this.#o.onOpenFailed?.(tap, ifindex, r.error);
        continue;
      }
      const r = this.#startPrepared(ifindex, tap, sock);
      if (!r.ok) this.#o.onOpenFailed?.(tap, ifindex, r.error);
    }
  }

  /** Starts a prepared socket for a tap; on failure it is closed and the error returned. */
  #startPrepared(ifindex: number, tap: string, sock: PreparedSock): { ok: true } | { ok: false; error: string } {
    try {
      sock.start();
    } catch (e) {
      sock.close();
      return { ok: false, error: errorName(e) };
    }
    this.#install(ifindex, tap, sock);
    return { ok: true };
  }

  /** Starts receiving on a tap; idempotent. Returns the error (errno name) when the socket cannot be opened. */
  open(ifindex: number, tap: string): { ok: true } | { ok: false; error: string } {
    const cur = this.#open.get(ifindex);
    if (cur) {
      cur.tap = tap;
      return { ok: true };
    }
    if (this.#preparing.has(ifindex)) {
      this.#claimed.set(ifindex, tap);
      return { ok: true };
    }
    const spare = this.#spare.get(ifindex);
    if (spare) {
      this.#spare.delete(ifindex);
      return this.#startPrepared(ifindex, tap, spare);
    }
    let sock: Sock;
    try {
      const options: PacketSocketOptions = { ifindex, receiveBufferBytes: this.#o.receiveBufferBytes ?? DEFAULT_TAP_RECEIVE_BUFFER };
      sock = this.#o.open ? this.#o.open(options) : PacketSocket.open(options);
    } catch (e) {
      return { ok: false, error: errorName(e) };
    }
    this.#install(ifindex, tap, sock);
    return { ok: true };
  }

  #install(ifindex: number, tap: string, sock: Sock): void {
    const entry: Entry = { tap, sock, seen: { packets: 0, drops: 0 }, resume: undefined, active: false };
    const sink = this.#sink; // one per socket, read once: the frame goes straight to it
    sock.onFrame((frame) => {
      entry.active = true;
      sink.handle(frame);
    });
    sock.onError((error) => this.#o.onError?.(entry.tap, ifindex, error));
    this.#open.set(ifindex, entry);
  }

  /**
   * Sends a frame out of an interface: through the tap's own bound socket
   * when it has one (no per-send interface lookup in the kernel, see
   * PacketSocket.sendBound), else through the shared send socket (uplinks,
   * a tap whose socket failed).
   */
  send(ifindex: number, frame: Uint8Array): SendResult {
    return this.#open.get(ifindex)?.sock.sendBound(frame) ?? this.#o.sendSocket.send(ifindex, frame);
  }

  /** Stops receiving on an ifindex (its counters go to the totals); no-op when not open. */
  close(ifindex: number): void {
    this.#claimed.delete(ifindex); // a socket still being prepared goes to the spares when ready (closed by dropSpare)
    const e = this.#open.get(ifindex);
    if (!e) return;
    this.#open.delete(ifindex);
    if (e.resume) clearTimeout(e.resume);
    this.#account(e);
    this.#retired.packets += e.seen.packets;
    this.#retired.drops += e.seen.drops;
    e.sock.close();
  }

  /**
   * Stops reading a tap for `ms` (its guest exceeds its rate: whatever it
   * sends meanwhile would be dropped anyway, so let the kernel drop it from
   * the tap's own queue instead of spending the daemon's time on it).
   * No-op when the tap is already paused or not open.
   */
  pause(ifindex: number, ms: number): void {
    const e = this.#open.get(ifindex);
    if (!e || e.resume) return;
    e.active = true;
    e.sock.pause();
    e.resume = safeTimeout('tap-socket resume', () => {
      e.resume = undefined;
      if (this.#open.get(ifindex) !== e) return;
      try {
        e.sock.resume();
      } catch (err) {
        // It cannot read again (EBUSY, uv_poll_init): closed and reported like a failed open, and
        // retried on the tap's next link event; never a throw out of this timer.
        this.close(ifindex);
        this.#o.onOpenFailed?.(e.tap, ifindex, errorName(err));
      }
    }, ms);
    e.resume.unref();
  }

  /** Closes the prepared sockets no tap claimed (start-up is over: a tap that appears later gets its own). */
  dropSpare(): void {
    for (const sock of this.#spare.values()) sock.close();
    this.#spare.clear();
  }

  closeAll(): void {
    this.dropSpare();
    for (const ifindex of [...this.#open.keys()]) this.close(ifindex);
  }

  /**
   * The kernel's counters summed over every socket ever opened, and the
   * frames each tap lost to a full receive queue since the previous call.
   * Only sockets with activity since the previous call are asked.
   */
  readKernelStats(): { total: KernelCounters; drops: Map<string, number> } {
    const total = { ...this.#retired };
    for (const e of this.#open.values()) {
      // A socket that delivered nothing and was not paused since the last read has nothing new to
      // count: a frame the kernel queued (or dropped for a full queue) would have been delivered
      // to us by now, or will be, and then it is read. With thousands of quiet taps this is most
      // of them, and reading each was most of the daemon's idle work.
      if (e.active || e.resume) this.#account(e);
      e.active = false;
      total.packets += e.seen.packets;
      total.drops += e.seen.drops;
    }
    const drops = this.#newDrops;
    this.#newDrops = new Map();
    return { total, drops };
  }

  #account(e: Entry): void {
    let k: KernelCounters;
    try {
      k = e.sock.kernelStats();
    } catch {
      return; // the socket is unusable; it is about to be closed
    }
    const lost = k.drops - e.seen.drops;
    if (lost > 0) this.#newDrops.set(e.tap, (this.#newDrops.get(e.tap) ?? 0) + lost);
    e.seen = { packets: k.packets, drops: k.drops };
  }
}
