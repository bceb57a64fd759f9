/**
 * The receive group (setRecvGroup + startRecvGroup): every grouped socket
 * of a thread reads into one ring and JS is called once per event-loop
 * iteration for all of them. On AF_UNIX datagrams (any user); each case
 * runs in a fresh process, since a thread has one group. The AF_PACKET
 * side runs through PacketSocket in namespace.test.ts and the e2e suites.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectWorkersEnd } from './worker-teardown.js';

const ADDON = fileURLToPath(new URL('../../../build/Release/onlinkd_native.node', import.meta.url));

/** Runs `body` in a new node with `n` (the addon), `recv(k)` (k bound AF_UNIX receivers), `sender`, `out(x)` (report). */
function run(body: string): unknown[] {
  const script = `
    const n = require(${JSON.stringify(ADDON)});
    const lines = [];
    const out = (x) => console.log(JSON.stringify(x));
    const sender = n.socket(1, 2, 0);
    const recv = (k) => Array.from({ length: k }, (_, i) => {
      const fd = n.socket(1, 2, 0), name = '@onlinkd-group-' + process.pid + '-' + i + '-' + Math.random();
      n.bindUnix(fd, name);
      return { fd, name };
    });
    const text = (ring, meta, i) => Buffer.from(ring.buffer, meta[i * 8], meta[i * 8 + 1]).toString();
    ${body}`;
  const stdout = execFileSync(process.execPath, ['-e', script], { timeout: 10_000 }).toString();
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

describe('native addon: receive group', () => {
  it('delivers the frames of several sockets in one call per loop iteration, each row naming its socket', () => {
    const [res] = run(`
      const rs = recv(3);
      const ring = new Uint8Array(128 * 16), meta = new Int32Array(8 * 16);
      const calls = [];
      n.setRecvGroup(ring, meta, 128, (count) => {
        const rows = [];
        for (let i = 0; i < count; i++) rows.push([rs.findIndex((r) => r.fd === meta[i * 8 + 7]), text(ring, meta, i)]);
        calls.push(rows);
      });
      for (const r of rs) n.startRecvGroup(r.fd);
      rs.forEach((r, i) => { n.sendToUnix(sender, r.name, Buffer.from('x' + i)); n.sendToUnix(sender, r.name, Buffer.from('y' + i)); });
      setTimeout(() => { out(calls); process.exit(0); }, 100);`);
    const calls = res as Array<Array<[number, string]>>;
    expect(calls).toHaveLength(1); // all six in one call
    const rows = calls[0]!;
    expect(rows).toHaveLength(6);
    for (let i = 0; i < 3; i++) expect(rows.filter(([s]) => s === i).map(([, t]) => t)).toEqual([`x${i}`, `y${i}`]);
  });

  it('delivers early when the ring fills, and loses nothing, in order per socket', () => {
    const [res] = run(`
      const rs = recv(2);
      const ring = new Uint8Array(64 * 4), meta = new Int32Array(8 * 4);
      const sizes = [], got = [[], []];
      n.setRecvGroup(ring, meta, 64, (count) => {
        sizes.push(count);
        for (let i = 0; i < count; i++) got[rs.findIndex((r) => r.fd === meta[i * 8 + 7])].push(text(ring, meta, i));
      });
      for (const r of rs) n.startRecvGroup(r.fd);
      for (let k = 0; k < 10; k++) for (const r of rs) n.sendToUnix(sender, r.name, Buffer.from(String(k)));
      setTimeout(() => { out({ sizes, got }); process.exit(0); }, 200);`);
    const { sizes, got } = res as { sizes: number[]; got: string[][] };
    expect(sizes.every((c) => c >= 1 && c <= 4)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
    const want = Array.from({ length: 10 }, (_, k) => String(k));
    expect(got).toEqual([want, want]);
  });

  it('cuts a datagram longer than a slot, flags it truncated, and keeps going', () => {
    const [res] = run(`
      const [a] = recv(1);
      const ring = new Uint8Array(64 * 4), meta = new Int32Array(8 * 4);
      const rows = [];
      n.setRecvGroup(ring, meta, 64, (count) => {
        for (let i = 0; i < count; i++) rows.push({ offset: meta[i * 8], length: meta[i * 8 + 1], flags: meta[i * 8 + 6], text: text(ring, meta, i) });
      });
      n.startRecvGroup(a.fd);
      n.sendToUnix(sender, a.name, Buffer.alloc(200, 0x41));
      n.sendToUnix(sender, a.name, Buffer.from('short'));
      setTimeout(() => { out(rows); process.exit(0); }, 100);`);
    const rows = res as Array<{ offset: number; length: number; flags: number; text: string }>;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ offset: 0, length: 64, flags: 1 }); // RECV_TRUNCATED, cut to the slot
    expect(rows[1]).toMatchObject({ offset: 64, flags: 0, text: 'short' });
  });

  it('flags frames of a socket closed before delivery as dropped (its fd may be reused); a stopped one keeps them', () => {
    const [res] = run(`
      const [a, b] = recv(2);
      const ring = new Uint8Array(64 * 8), meta = new Int32Array(8 * 8);
      const rows = [];
      let closed = -1;
      n.setRecvGroup(ring, meta, 64, (count) => {
        for (let i = 0; i < count; i++) {
          const fd = meta[i * 8 + 7];
          rows.push({ who: fd === a.fd ? 'a' : 'b', dropped: (meta[i * 8 + 6] & 2) !== 0 });
          // On the first frame: close the other socket, stop (pause) this one.
          if (closed < 0) { closed = fd === a.fd ? b.fd : a.fd; n.close(closed); n.stopRecv(fd); }
        }
      });
      n.startRecvGroup(a.fd);
      n.startRecvGroup(b.fd);
      for (let k = 0; k < 2; k++) { n.sendToUnix(sender, a.name, Buffer.from('a')); n.sendToUnix(sender, b.name, Buffer.from('b')); }
      setTimeout(() => { out({ rows, first: rows[0].who }); process.exit(0); }, 100);`);
    const { rows, first } = res as { rows: Array<{ who: string; dropped: boolean }>; first: string };
    expect(rows).toHaveLength(4);
    // The stopped socket's second frame was already read: delivered. The closed one's: flagged.
    expect(rows.filter((r) => r.who === first).map((r) => r.dropped)).toEqual([false, false]);
    expect(rows.filter((r) => r.who !== first).map((r) => r.dropped)).toEqual([true, true]);
  });

  it('never reads a socket again once the callback of a full ring paused or closed it (issue 11)', () => {
    // A 2-slot ring and 5 datagrams waiting: the ring fills, JS is called from inside the read
    // loop, and pauses (stopRecv) or closes the socket. The loop used to go on with one more
    // recvmmsg: frames of a paused socket arrived after the pause, a closed one got EBADF.
    const [res] = run(`
      const [a, b] = recv(2);
      const ring = new Uint8Array(64 * 2), meta = new Int32Array(8 * 2);
      const seen = { a: [], b: [] };
      n.setRecvGroup(ring, meta, 64, (count, fd) => {
        if (count < 0) { (fd === a.fd ? seen.a : seen.b).push('error ' + count); return; }
        for (let i = 0; i < count; i++) {
          const who = meta[i * 8 + 7] === a.fd ? 'a' : 'b';
          seen[who].push(text(ring, meta, i));
          if (seen[who].length === 2) who === 'a' ? n.stopRecv(a.fd) : n.close(b.fd);
        }
      });
      for (let k = 0; k < 5; k++) { n.sendToUnix(sender, a.name, Buffer.from('a' + k)); n.sendToUnix(sender, b.name, Buffer.from('b' + k)); }
      n.startRecvGroup(a.fd);
      n.startRecvGroup(b.fd);
      setTimeout(() => {
        const paused = seen.a.slice();
        n.startRecvGroup(a.fd); // resumed: the rest, nothing lost
        setTimeout(() => { out({ paused, resumed: seen.a, b: seen.b }); process.exit(0); }, 100);
      }, 100);`);
    const { paused, resumed, b } = res as { paused: string[]; resumed: string[]; b: string[] };
    expect(paused).toEqual(['a0', 'a1']);
    expect(resumed).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(b).toEqual(['b0', 'b1']);
  });

  it('refuses a second group, a grouped socket without a group, and bad arguments', () => {
    const [res] = run(`
      const [a] = recv(1);
      const codes = [];
      const t = (f) => { try { f(); codes.push('ok'); } catch (e) { codes.push(e instanceof TypeError ? 'TypeError' : e.code); } };
      t(() => n.startRecvGroup(a.fd));
      t(() => n.setRecvGroup([1], new Int32Array(8), 64, () => {}));
      t(() => n.setRecvGroup(new Uint8Array(64), new Uint32Array(8), 64, () => {}));
      t(() => n.setRecvGroup(new Uint8Array(64), new Int32Array(8), 16, () => {}));
      t(() => n.setRecvGroup(new Uint8Array(64), new Int32Array(8), 64, 'cb'));
      t(() => n.setRecvGroup(new Uint8Array(64), new Int32Array(8), 64, () => {}));
      t(() => n.setRecvGroup(new Uint8Array(64), new Int32Array(8), 64, () => {}));
      t(() => n.startRecvGroup(a.fd));
      t(() => n.startRecvGroup(a.fd));
      t(() => n.startRecvGroup(987654));
      out(codes);
      process.exit(0);`);
    expect(res).toEqual(['EINVAL', 'TypeError', 'TypeError', 'EINVAL', 'TypeError', 'ok', 'EBUSY', 'ok', 'EBUSY', 'EBADF']);
  });

  it('hands an exception thrown by the group callback to uncaughtException and keeps receiving', () => {
    const res = run(`
      process.on('uncaughtException', (e) => out('caught ' + e.message));
      const [a] = recv(1);
      const ring = new Uint8Array(256), meta = new Int32Array(8 * 4);
      let k = 0;
      n.setRecvGroup(ring, meta, 64, (count) => {
        out('got ' + text(ring, meta, 0));
        if (++k === 1) throw new Error('boom');
        process.exit(0);
      });
      n.startRecvGroup(a.fd);
      n.sendToUnix(sender, a.name, Buffer.from('one'));
      setTimeout(() => n.sendToUnix(sender, a.name, Buffer.from('two')), 50);`);
    expect(res).toEqual(['got one', 'caught boom', 'got two']);
  });

  it('lets the process exit when only the group is left, and releases it when a worker thread ends', async () => {
    run(`
      const [a] = recv(1);
      n.setRecvGroup(new Uint8Array(256), new Int32Array(32), 64, () => {});
      n.startRecvGroup(a.fd);
      n.stopRecv(a.fd);
      n.close(a.fd); n.close(sender);`); // returns: nothing keeps the loop alive
    await expectWorkersEnd(ADDON, `
      n.setRecvGroup(new Uint8Array(1024), new Int32Array(64), 256, () => {});
      n.startRecvGroup(fd);`);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('native addon: packet receivers opened in the background (root, in a throw-away namespace)', () => {
  it('opens one filtered receiver per ifindex on a pool thread; -errno for a missing one; frames arrive once started', () => {
    const ns = `olk-io-recv-${process.pid}-${randomBytes(3).toString('hex')}`;
    const bpf = fileURLToPath(new URL('../../../dist/io/bpf.js', import.meta.url));
    const script = `
      (async () => {
        const n = require(${JSON.stringify(ADDON)});
        const { buildOnlinkFilter } = await import(${JSON.stringify(bpf)});
        const idx = (name) => n.ifNameToIndex(name);
        const ifs = Int32Array.of(idx('a0'), idx('a1'), 99999);
        const results = await new Promise((resolve) => n.openPacketReceivers(ifs, buildOnlinkFilter(), 262144, resolve));
        const ring = new Uint8Array(2048 * 16), meta = new Int32Array(8 * 16);
        const got = [];
        n.setRecvGroup(ring, meta, 2048, (count) => {
          for (let i = 0; i < count; i++) {
            const o = meta[i * 8];
            got.push([meta[i * 8 + 2], meta[i * 8 + 7], (ring[o + 12] << 8) | ring[o + 13]]);
          }
        });
        n.startRecvGroup(results[0]); n.startRecvGroup(results[1]);
        // From the peers: an ARP request (passes the filter) and an IPv4 TCP frame (does not).
        const tx = n.socket(17, 3, 0);
        const arp = Buffer.from('ffffffffffff02000000000108060001080006040001020000000001cb007101000000000000cb007102', 'hex');
        const tcp = Buffer.from('ffffffffffff0200000000010800' + '4500002800004000400600000a0000010a000002' + '0'.repeat(40), 'hex');
        for (const peer of ['b0', 'b1']) { n.sendPacket(tx, idx(peer), arp); n.sendPacket(tx, idx(peer), tcp); }
        setTimeout(() => { console.log(JSON.stringify({ results: [...results], got, ifs: [...ifs] })); process.exit(0); }, 300);
      })();`;
    execFileSync('ip', ['netns', 'add', ns], { timeout: 10_000 });
    try {
      for (const i of [0, 1]) {
        execFileSync('ip', ['-n', ns, 'link', 'add', `a${i}`, 'type', 'veth', 'peer', 'name', `b${i}`], { timeout: 10_000 });
        execFileSync('ip', ['-n', ns, 'link', 'set', `a${i}`, 'up'], { timeout: 10_000 });
        execFileSync('ip', ['-n', ns, 'link', 'set', `b${i}`, 'up'], { timeout: 10_000 });
      }
      const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 30_000 }).toString();
      const { results, got, ifs } = JSON.parse(out) as { results: number[]; got: Array<[number, number, number]>; ifs: number[] };
      expect(results[0]).toBeGreaterThan(2);
      expect(results[1]).toBeGreaterThan(2);
      expect(results[2]).toBe(-19); // -ENODEV: no interface 99999
      // The ARP frame on each, on its own socket, with its ifindex; the TCP frames were filtered out.
      // (The peers' own kernel may add IPv6 ND frames, which the filter passes too.)
      expect(got.filter(([, , type]) => type === 0x0806).sort()).toEqual([[ifs[0], results[0], 0x0806], [ifs[1], results[1], 0x0806]].sort());
      expect(got.filter(([, , type]) => type === 0x0800)).toEqual([]);
      for (const [ifindex, fd] of got) expect(fd).toBe(ifindex === ifs[0] ? results[0] : results[1]);
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    }
  });
});
