/**
 * `subscribe` on a real control socket: the answer, then one JSON line per
 * event in the fixed shape; requests after it are not answered; a closed
 * subscriber leaves the bus; a subscriber that does not read is dropped
 * with a final line, and the producer never waits for it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlServer } from '../../../src/control/server.js';
import { EventBus, MAX_QUEUED_EVENTS } from '../../../src/runtime/events.js';
import { FakeContext, TAP10, binding } from './fake-context.js';
import { run } from '../../../src/cli/onlinkctl-run.js';
import { until } from '../../helpers/until.js';

describe('subscribe', () => {
  let dir: string;
  let path: string;
  let server: ControlServer | undefined;
  let ctx: FakeContext;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-sub-'));
    chmodSync(dir, 0o755);
    path = join(dir, 'control.sock');
    ctx = new FakeContext([binding('tap10', TAP10)]);
    server = await ControlServer.start({ path, context: ctx, log: pino({ level: 'silent' }), idleTimeoutMs: 200 });
  });
  afterEach(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers, then streams one line per event; later requests are ignored; closing unsubscribes', async () => {
    const s = net.connect(path);
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.write('{"command":"subscribe"}\n{"command":"version-get"}\n');
    await until(() => ctx.bus.subscribers === 1 && buf.includes('\n'));
    await new Promise((r) => setTimeout(r, 400)); // past idleMs: a subscriber is not idle-closed
    ctx.bus.emit('lease-acked', 'tap10', 'aa:00:00:00:00:10', '203.0.113.10');
    ctx.bus.emit('binding-removed', 'tap10');
    await until(() => buf.split('\n').length >= 4);
    const lines = buf.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ result: 0, arguments: { events: ['binding-applied', 'binding-removed', 'lease-acked', 'announce-sent'] } });
    expect(lines.slice(1)).toEqual([
      { event: 'lease-acked', tap: 'tap10', mac: 'aa:00:00:00:00:10', address: '203.0.113.10', time: '2026-01-01T00:00:00.000Z' },
      { event: 'binding-removed', tap: 'tap10', time: '2026-01-01T00:00:00.000Z' },
    ]);
    expect(s.destroyed).toBe(false);
    s.end();
    await until(() => ctx.bus.subscribers === 0);
    s.destroy();
  });

  it('drops a subscriber that does not read, with a final line, without making emit wait', async () => {
    const s = net.connect(path);
    let first = true;
    let tail = '';
    s.once('data', (d) => {
      tail = d.toString();
      s.pause(); // reads nothing more: a stalled orchestrator
      first = false;
    });
    s.write('{"command":"subscribe"}\n');
    await until(() => ctx.bus.subscribers === 1 && !first);
    const big = 'x'.repeat(200);
    const started = performance.now();
    for (let round = 0; round < 200 && ctx.bus.subscribers > 0; round++) {
      for (let i = 0; i < MAX_QUEUED_EVENTS / 4; i++) ctx.bus.emit('announce-sent', big, undefined, '203.0.113.10');
      await new Promise((r) => setImmediate(r));
    }
    expect(ctx.bus.subscribers).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
    s.resume();
    s.on('data', (d) => (tail = (tail + d.toString()).slice(-500)));
    await until(() => s.readableEnded || s.destroyed);
    expect(JSON.parse(tail.trim().split('\n').pop()!)).toMatchObject({ event: 'dropped' });
    s.destroy();
  });

  it('is unsupported without an event stream', async () => {
    await server?.close();
    const plain = Object.assign(new FakeContext([]), { subscribe: undefined });
    server = await ControlServer.start({ path, context: plain, log: pino({ level: 'silent' }) });
    const line = await new Promise<string>((resolve) => {
      const s = net.connect(path, () => s.write('{"command":"subscribe"}\n'));
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
    });
    expect(JSON.parse(line)).toMatchObject({ result: 2 });
  });
});

describe('onlinkctl watch', () => {
  let dir: string;
  let path: string;
  let server: ControlServer;
  let ctx: FakeContext;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-watch-'));
    path = join(dir, 'control.sock');
    ctx = new FakeContext([]);
    server = await ControlServer.start({ path, context: ctx, log: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function watching(args: string[]) {
    let out = '';
    let err = '';
    const ac = new AbortController();
    const exit = run(['--socket', path, 'watch', ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {}, signal: ac.signal });
    await until(() => ctx.bus.subscribers === 1);
    ctx.bus.emit('lease-acked', 'tap10', 'aa:00:00:00:00:10', '203.0.113.10');
    ctx.bus.emit('binding-applied', 'tap11', 'aa:00:00:00:00:11');
    await until(() => out.split('\n').length >= 3);
    return { out: () => out, err: () => err, ac, exit };
  }

  it('prints one line per event for people, and exits 0 when stopped', async () => {
    const w = await watching([]);
    expect(w.out()).toBe('2026-01-01T00:00:00.000Z  lease-acked  tap10  aa:00:00:00:00:10  203.0.113.10\n2026-01-01T00:00:00.000Z  binding-applied  tap11  aa:00:00:00:00:11\n');
    w.ac.abort();
    expect(await w.exit).toBe(0);
  });

  it('--json passes the daemon\'s lines through; the daemon going away is exit 1', async () => {
    const w = await watching(['--json']);
    expect(w.out().trim().split('\n').map((l) => JSON.parse(l))[0]).toEqual({
      event: 'lease-acked', tap: 'tap10', mac: 'aa:00:00:00:00:10', address: '203.0.113.10', time: '2026-01-01T00:00:00.000Z',
    });
    await server.close();
    expect(await w.exit).toBe(1);
    expect(w.err()).toContain('closed the event stream');
  });

  it('a usage error for arguments', async () => {
    let err = '';
    expect(await run(['--socket', path, 'watch', 'tap1'], { stdout: () => {}, stderr: (s) => (err += s), env: {} })).toBe(2);
    expect(err).toContain('watch: expected no arguments');
  });

  it('with no daemon, says so and exits 1 (the socket error is not thrown a second time through readline)', async () => {
    let err = '';
    const code = await run(['--socket', join(dir, 'absent.sock'), 'watch'], { stdout: () => undefined, stderr: (s) => (err += s), env: {} });
    expect(code).toBe(1);
    expect(err).toContain('absent.sock');
  });
});

describe('EventBus', () => {
  it('does nothing without subscribers', () => {
    const bus = new EventBus();
    expect(bus.active).toBe(false);
    bus.emit('lease-acked', 'tap1', 'aa:00:00:00:00:01', '203.0.113.1'); // no throw, no queue
    expect(bus.subscribers).toBe(0);
  });
});
