/**
 * dropPrivileges (issue 11, defect 11), for real: a fresh node, as root, in
 * a throw-away network namespace, after its libuv pool threads exist. Every
 * thread in /proc/self/task must end as uid/gid 65534 with no_new_privs and
 * either exactly CAP_NET_RAW (effective = permitted = bounding) or no
 * capability at all (a thread that blocks every signal: Node's SIGUSR1
 * watchdog); packet sockets still open on the main thread, on a pool
 * thread, and a thread started afterwards inherits CAP_NET_RAW only.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ADDON = fileURLToPath(new URL('../../../build/Release/onlinkd_native.node', import.meta.url));
const isRoot = process.getuid?.() === 0;

interface Task {
  tid: string;
  Uid: string;
  Gid: string;
  Groups: string;
  CapInh: string;
  CapPrm: string;
  CapEff: string;
  CapBnd: string;
  CapAmb: string;
  NoNewPrivs: string;
  SigBlk: string;
}

const NET_RAW = '0000000000002000';
const NONE = '0000000000000000';

describe.skipIf(!isRoot)('native addon: dropPrivileges (root, in a throw-away namespace)', () => {
  it('drops every thread to the user with CAP_NET_RAW only, and packet sockets still open where they are opened', () => {
    const ns = `olk-io-priv-${process.pid}-${randomBytes(3).toString('hex')}`;
    const script = `
      const fs = require('fs');
      const { Worker } = require('worker_threads');
      const n = require(${JSON.stringify(ADDON)});
      const tasks = () => fs.readdirSync('/proc/self/task').map((tid) => {
        const s = fs.readFileSync('/proc/self/task/' + tid + '/status', 'utf8');
        const o = { tid };
        for (const k of ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'SigBlk']) o[k] = (s.match(new RegExp('^' + k + ':\\\\s*(.*)$', 'm')) || [])[1]?.trim();
        return o;
      });
      const errs = [];
      const t = (f) => { try { f(); errs.push('ok'); } catch (e) { errs.push(e instanceof TypeError ? 'TypeError' : e.code); } };
      // The pool threads exist before the drop (an fs call starts them), as in the daemon.
      fs.readFile('/proc/self/status', () => {
        t(() => n.dropPrivileges(0, 65534, [], [13]));
        t(() => n.dropPrivileges(65534, 65534, 'x', [13]));
        t(() => n.dropPrivileges(65534, 65534, [], [99]));
        const before = tasks().length;
        const r = n.dropPrivileges(65534, 65534, [65534, 4242], [13]);
        const after = tasks();
        t(() => n.dropPrivileges(65534, 65534, [], [13])); // not root any more
        t(() => process.setuid(0));
        const main = n.socket(17, 3, 0) > 0;
        const a0 = n.ifNameToIndex('a0');
        n.openPacketReceivers(Int32Array.of(a0), Buffer.from([6, 0, 0, 0, 0, 0, 0, 0]), 65536, (pool) => {
          const w = new Worker('setTimeout(() => {}, 300)', { eval: true });
          w.on('online', () => {
            const later = tasks().filter((x) => !after.some((y) => y.tid === x.tid));
            console.log(JSON.stringify({ r, before, after, later, errs, main, pool: pool[0] }));
            process.exit(0);
          });
        });
      });`;
    execFileSync('ip', ['netns', 'add', ns], { timeout: 10_000 });
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0'], { timeout: 10_000 });
      const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 30_000 }).toString();
      const res = JSON.parse(out) as { r: { threads: number; kept: number; capless: number[] }; before: number; after: Task[]; later: Task[]; errs: string[]; main: boolean; pool: number };
      expect(res.errs).toEqual(['EINVAL', 'TypeError', 'EINVAL', 'EPERM', 'EPERM']);
      expect(res.r.threads).toBe(res.after.length);
      expect(res.after.length).toBeGreaterThanOrEqual(res.before - 1);
      // Main thread, V8 platform threads and libuv pool threads: all reached.
      expect(res.r.kept).toBeGreaterThanOrEqual(5);
      expect(res.r.capless.length).toBeLessThanOrEqual(1);
      for (const task of [...res.after, ...res.later]) {
        const where = `thread ${task.tid}`;
        expect(task.Uid.split(/\s+/), where).toEqual(Array(4).fill('65534'));
        expect(task.Gid.split(/\s+/), where).toEqual(Array(4).fill('65534'));
        expect(task.Groups.split(/\s+/).sort(), where).toEqual(['4242', '65534']);
        expect(task.NoNewPrivs, where).toBe('1');
        expect(task.CapAmb, where).toBe(NONE);
        if (res.r.capless.includes(Number(task.tid))) {
          expect([task.CapPrm, task.CapEff], where).toEqual([NONE, NONE]);
          expect(BigInt('0x' + task.SigBlk) >> 33n & 1n, `${where} blocks real-time signals`).toBe(1n);
        } else {
          expect([task.CapInh, task.CapPrm, task.CapEff, task.CapBnd], where).toEqual([NONE, NET_RAW, NET_RAW, NET_RAW]);
        }
      }
      expect(res.later.length).toBeGreaterThanOrEqual(1); // the worker's thread, started after the drop
      expect(res.main).toBe(true);
      expect(res.pool).toBeGreaterThan(2); // an fd, not -EPERM: the pool thread kept CAP_NET_RAW
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    }
  });
});
