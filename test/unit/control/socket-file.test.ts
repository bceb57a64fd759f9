/**
 * Issue 11, defect 7: the control socket's file. Its directory must be one
 * nobody else can write (or sticky); the socket must never be reachable at
 * its path before its mode and group are set, and no chmod/chown may follow
 * a symbolic link someone swapped in at the path (at start or on reload).
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from '../../../src/control/client.js';
import { ControlServer, checkSocketDirectory, type ControlServerOptions } from '../../../src/control/server.js';
import { FakeContext } from './fake-context.js';

const isRoot = process.getuid?.() === 0;
const me = process.geteuid!();

describe('control socket file', () => {
  let dir: string;
  let groups: string;
  let logs: Array<Record<string, unknown>>;
  const servers: ControlServer[] = [];

  async function start(path: string, over: Partial<ControlServerOptions> = {}): Promise<ControlServer> {
    const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
    const s = await ControlServer.start({ path, context: new FakeContext(), log, groupFile: groups, ...over });
    servers.push(s);
    return s;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-sock-'));
    chmodSync(dir, 0o755);
    groups = join(dir, 'group');
    writeFileSync(groups, 'onlinkctl-test:x:4242:\n');
    logs = [];
  });
  afterEach(async () => {
    while (servers.length) await servers.pop()!.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('directory check', () => {
    it('refuses a directory writable by others or by its group without the sticky bit, and says why', async () => {
      const open = join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      await expect(checkSocketDirectory(open, [0, me])).rejects.toThrow(`control socket directory ${open} is writable by others (mode 0777) without the sticky bit`);
      chmodSync(open, 0o775);
      await expect(checkSocketDirectory(open, [0, me])).rejects.toThrow(/is writable by its group \(mode 0775\) without the sticky bit/);
      chmodSync(open, 0o1777); // like /tmp: only an entry's owner may remove or rename it
      await expect(checkSocketDirectory(open, [0, me])).resolves.toBe(open);
      chmodSync(open, 0o755);
      await expect(checkSocketDirectory(open, [0, me])).resolves.toBe(open);
    });

    it('checks every directory above as well, through symbolic links', async () => {
      const parent = join(dir, 'parent');
      const sub = join(parent, 'sub');
      mkdirSync(sub, { recursive: true });
      chmodSync(parent, 0o777);
      const link = join(dir, 'link');
      symlinkSync(sub, link);
      await expect(checkSocketDirectory(link, [0, me])).rejects.toThrow(`control socket directory ${parent} (above ${link}) is writable by others`);
      chmodSync(parent, 0o755);
      await expect(checkSocketDirectory(link, [0, me])).resolves.toBe(sub);
    });

    it.runIf(isRoot)('refuses a directory owned by another user', async () => {
      const theirs = join(dir, 'theirs');
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, 65533, 65533);
      await expect(checkSocketDirectory(theirs, [0, me])).rejects.toThrow(`control socket directory ${theirs} is owned by uid 65533, neither root nor onlinkd's user`);
      await expect(checkSocketDirectory(theirs, [0, me, 65533])).resolves.toBe(theirs); // the daemon's own user
    });

    it('start refuses a world-writable directory without the sticky bit and creates nothing there', async () => {
      const open = join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      await expect(start(join(open, 'control.sock'))).rejects.toThrow(/is writable by others \(mode 0777\) without the sticky bit/);
      expect(readdirSync(open)).toEqual([]);
    });
  });

  describe('creation', () => {
    it('is never reachable at its path before mode and group are set; leaves no private directory behind', async () => {
      const run = join(dir, 'run');
      const path = join(run, 'control.sock');
      let seen: { atPath: boolean; privateMode: number; privateGid: number } | undefined;
      await start(path, {
        group: isRoot ? 'onlinkctl-test' : String(process.getegid!()),
        beforePublish: () => {
          const priv = readdirSync(run).filter((n) => n.startsWith('.onlinkd-ctl-'));
          expect(priv).toHaveLength(1);
          expect(statSync(join(run, priv[0]!)).mode & 0o777).toBe(0o700);
          const st = lstatSync(join(run, priv[0]!, 's'));
          seen = { atPath: existsSync(path), privateMode: st.mode & 0o777, privateGid: st.gid };
        },
      });
      expect(seen).toEqual({ atPath: false, privateMode: 0o660, privateGid: isRoot ? 4242 : process.getegid!() });
      const st = lstatSync(path);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o660);
      expect(readdirSync(run)).toEqual(['control.sock']);
      expect((await request(path, 'version-get')).result).toBe(0);
    });

    it('a symbolic link planted at the path while the socket is being made is neither followed nor replaced', async () => {
      const run = join(dir, 'run');
      mkdirSync(run, { mode: 0o755 });
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'secret');
      chmodSync(victim, 0o600);
      const path = join(run, 'control.sock');
      await expect(start(path, { beforePublish: () => symlinkSync(victim, path) })).rejects.toThrow(`control socket path ${path} appeared while onlinkd was starting`);
      expect(statSync(victim).mode & 0o777).toBe(0o600);
      expect(lstatSync(path).isSymbolicLink()).toBe(true);
      expect(readdirSync(run)).toEqual(['control.sock']); // its private directory is gone too
    });

    it.runIf(isRoot)('without control_group the socket has the daemon\'s group, not a setgid directory\'s', async () => {
      const run = join(dir, 'run');
      mkdirSync(run);
      chownSync(run, 0, 4242);
      chmodSync(run, 0o2755);
      const path = join(run, 'control.sock');
      await start(path);
      expect(lstatSync(path).gid).toBe(process.getegid!());
    });
  });

  describe('reload', () => {
    it.runIf(isRoot)('a group change never follows a symbolic link swapped in at the path', async () => {
      const run = join(dir, 'run');
      const path = join(run, 'control.sock');
      const srv = await start(path);
      const victim = join(dir, 'victim');
      writeFileSync(victim, 'secret');
      chmodSync(victim, 0o600);
      // Someone who could write the directory (root here) moves the socket away and plants a link.
      renameSync(path, join(run, 'moved.sock'));
      symlinkSync(victim, path);
      await srv.reconfigure({ socket: path, group: 'onlinkctl-test' });
      const v = statSync(victim);
      expect(v.mode & 0o777).toBe(0o600);
      expect(v.gid).toBe(0);
      expect(srv.status().notApplied.control_group).toMatch(/is no longer onlinkd's control socket \(replaced\); not changing it/);
      expect(readdirSync(run).sort()).toEqual(['control.sock', 'moved.sock']);
    });

    it('close removes the socket only while it is still ours', async () => {
      const run = join(dir, 'run');
      const path = join(run, 'control.sock');
      const srv = await start(path);
      renameSync(path, join(run, 'moved.sock'));
      writeFileSync(path, 'not ours');
      await srv.close();
      servers.length = 0;
      expect(existsSync(path)).toBe(true);
    });
  });
});
