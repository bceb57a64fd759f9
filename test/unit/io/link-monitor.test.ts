import { afterEach, describe, expect, it, vi } from 'vitest';
import { LinkMonitor, type Link, type NetlinkTransport } from '../../../src/io/link-monitor.js';
import { LITTLE_ENDIAN } from '../../../src/io/native.js';
import { IFF_RUNNING, IFF_UP } from '../../../src/io/netlink.js';
import { doneMsg, errorMsg, linkMsg, type LinkSpec } from './nlmsg.js';

const MULTI = 0x2;
const ENOBUFS = 105;

/** A transport that records requests and lets the test play the kernel. */
class FakeKernel implements NetlinkTransport {
  sent: Buffer[] = [];
  onData: ((err: number, data: Buffer | null) => void) | undefined;
  closed = false;
  sendResult = 32;

  send(data: Uint8Array): number {
    this.sent.push(Buffer.from(data));
    return this.sendResult;
  }
  start(onData: (err: number, data: Buffer | null) => void): void {
    this.onData = onData;
  }
  close(): void {
    this.closed = true;
  }
  /** seq of the last dump request. */
  get seq(): number {
    const last = this.sent.at(-1)!;
    return new DataView(last.buffer, last.byteOffset).getUint32(8, LITTLE_ENDIAN);
  }
  deliver(...msgs: Buffer[]): void {
    this.onData!(0, Buffer.concat(msgs));
  }
  dump(links: LinkSpec[]): void {
    const seq = this.seq;
    this.deliver(...links.map((l) => linkMsg(16, l, seq, MULTI)), doneMsg(seq));
  }
  overrun(): void {
    this.onData!(ENOBUFS, null);
  }
}

const lo: LinkSpec = { index: 1, name: 'lo', flags: IFF_UP | IFF_RUNNING, operstate: 0 };
const tap10: LinkSpec = { index: 10, name: 'tap10', flags: 0, operstate: 2, kind: 'tun', mac: [0xfe, 0, 0, 0, 0, 0x10] };

function setup(): { k: FakeKernel; m: LinkMonitor; events: string[] } {
  const k = new FakeKernel();
  const m = new LinkMonitor(k);
  const events: string[] = [];
  m.on('link', (l: Link, prev?: Link) => events.push(`${prev ? 'change' : 'add'} ${l.name}${l.up ? ' up' : ''}${l.running ? ' running' : ''}`));
  m.on('unlink', (l: Link) => events.push(`del ${l.name}`));
  m.on('resync', (why: string) => events.push(`resync ${why}`));
  return { k, m, events };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LinkMonitor', () => {
  it('dumps at start, fills the table and resolves ready', async () => {
    const { k, m, events } = setup();
    expect(k.sent).toHaveLength(1);
    k.dump([lo, tap10]);
    await m.ready;
    expect(events).toEqual(['add lo up running', 'add tap10']);
    expect(m.byName('tap10')).toMatchObject({ ifindex: 10, kind: 'tun', mac: 'fe:00:00:00:00:10' });
    expect(m.byIndex(1)?.name).toBe('lo');
    expect(m.links()).toHaveLength(2);
    m.close();
    expect(k.closed).toBe(true);
  });

  it('follows a tap through up, carrier, rename and delete; ignores repeats', () => {
    const { k, m, events } = setup();
    k.dump([lo]);
    events.length = 0;
    k.deliver(linkMsg(16, tap10)); // notifications: no NLM_F_MULTI, seq 0
    k.deliver(linkMsg(16, { ...tap10, flags: IFF_UP }));
    k.deliver(linkMsg(16, { ...tap10, flags: IFF_UP })); // same state: no event
    k.deliver(linkMsg(16, { ...tap10, flags: IFF_UP | IFF_RUNNING, operstate: 6 }));
    k.deliver(linkMsg(16, { ...tap10, name: 'vm10', flags: IFF_UP | IFF_RUNNING, operstate: 6 }));
    expect(m.byName('tap10')).toBeUndefined();
    expect(m.byName('vm10')?.ifindex).toBe(10);
    k.deliver(linkMsg(16, { ...tap10, name: 'vm10' }), linkMsg(17, { ...tap10, name: 'vm10' }));
    expect(events).toEqual(['add tap10', 'change tap10 up', 'change tap10 up running', 'change vm10 up running', 'change vm10', 'del vm10']);
    expect(m.byIndex(10)).toBeUndefined();
    expect(m.byName('vm10')).toBeUndefined();
  });

  it('applies notifications that carry the seq of another process (Linux >= 6.3)', () => {
    const { k, m } = setup();
    k.dump([lo]);
    k.deliver(linkMsg(16, tap10, 777, 0));
    expect(m.byIndex(10)).toBeDefined();
  });

  it('re-dumps on ENOBUFS and drops links that vanished meanwhile', () => {
    const { k, m, events } = setup();
    k.dump([lo, tap10]);
    events.length = 0;
    k.overrun();
    expect(k.sent).toHaveLength(2);
    const tap11 = { ...tap10, index: 11, name: 'tap11' };
    k.dump([lo, tap11]);
    expect(events).toEqual(['resync ENOBUFS', 'add tap11', 'del tap10']);
    expect(m.links().map((l) => l.ifindex).sort()).toEqual([1, 11]);
  });

  it('defers the re-dump while a dump is in flight (the kernel would answer EBUSY)', () => {
    const { k, m } = setup();
    const first = k.seq;
    k.overrun();
    expect(k.sent).toHaveLength(1);
    // Mid-dump, a link added by multicast counts as seen.
    k.deliver(linkMsg(16, { ...tap10, index: 12, name: 'tap12' }));
    k.dump([lo]);
    expect(m.byIndex(12)).toBeDefined();
    expect(k.sent).toHaveLength(2);
    expect(k.seq).not.toBe(first);
    k.dump([lo]); // second dump no longer lists tap12: deleted while events were lost
    expect(m.byIndex(12)).toBeUndefined();
  });

  it('ignores replies to an abandoned dump and re-dumps when a dump was interrupted', () => {
    const { k, m, events } = setup();
    const stale = k.seq - 1;
    k.deliver(linkMsg(16, tap10, stale, MULTI), doneMsg(stale));
    expect(m.byIndex(10)).toBeUndefined();
    const seq = k.seq;
    k.deliver(linkMsg(16, lo, seq, MULTI | 0x10), doneMsg(seq));
    expect(events).toContain('resync dump interrupted');
    expect(k.sent).toHaveLength(2);
  });

  it('retries a refused dump after a delay', () => {
    vi.useFakeTimers();
    const { k, m, events } = setup();
    k.deliver(errorMsg(k.seq, 16));
    expect(events).toEqual(['resync dump refused: EBUSY']);
    expect(k.sent).toHaveLength(1);
    vi.advanceTimersByTime(250);
    expect(k.sent).toHaveLength(2);
    k.dump([lo]);
    expect(m.byIndex(1)).toBeDefined();
    m.close();
  });

  it('retries when the request cannot be sent, and stops on close', () => {
    vi.useFakeTimers();
    const k = new FakeKernel();
    k.sendResult = -105;
    const m = new LinkMonitor(k);
    vi.advanceTimersByTime(1000);
    expect(k.sent.length).toBeGreaterThan(2);
    m.close();
    const n = k.sent.length;
    vi.advanceTimersByTime(1000);
    expect(k.sent.length).toBe(n);
  });

  it('survives garbage from the socket', () => {
    const { k, m } = setup();
    k.deliver(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
    k.dump([lo]);
    expect(m.links()).toHaveLength(1);
  });
});
