/**
 * Hardening, faults (issue 6 item 3): each fault gets a clear log line and
 * the daemon keeps serving everything else.
 *
 *  - binding files truncated, huge, with hostile names (dot files, longer
 *    than IFNAMSIZ, unicode, a newline, a FIFO, a symlink to /dev/zero, a
 *    directory) or hostile values: rejected and logged, the last good
 *    binding stays, other taps unaffected, nothing executed;
 *  - hostile tap names over the control socket (path tricks);
 *  - the uplink missing or down when an announcement is due;
 *  - the state directory read-only, then full: binding-add/-del fail with
 *    the reason, nothing half-written, bindings in force keep working;
 *  - the control socket flooded with connections beyond the limit, with
 *    oversized lines and deeply nested JSON: a normal request still works.
 *
 * The daemon runs in a private mount namespace with its state directory on
 * a small tmpfs (so "read-only" and "full" are real); the test reaches that
 * directory through /proc/PID/root.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { udhcpc } from './clients.js';
import { Lab, describeLab, sleep } from './lab.js';
import { Onlinkd, type LogLine } from './onlinkd.js';
import { dualStackBinding, ensureTool, probe, rssKb } from './hardening-util.js';

const CONFIG = `[announce]
uplink = uplink0
uplink6 = uplink0
`;
const TMPFS_SIZE = '4m';

describeLab('hardening: faults are logged and everything else keeps working', () => {
  let lab: Lab;
  let d: Onlinkd;
  /** The daemon's state directory as the daemon sees it (its private tmpfs). */
  let dp: string;

  beforeAll(async () => {
    ensureTool('olkprobe');
    lab = await Lab.create({
      vms: [80, 81, 82, 87].map((n) => ({ tap: `tap${n}`, mac: `aa:00:00:00:00:${n}` })),
      uplink: true,
    });
    d = new Onlinkd(lab);
    const seed = lab.path('seed');
    mkdirSync(seed);
    for (const n of [80, 81]) writeFileSync(join(seed, `tap${n}`), dualStackBinding(n));
    const wrapper = [
      'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs -o size=${TMPFS_SIZE},mode=0755 onlinkd-state "$1" && cp -a "$2"/. "$1"/ && shift 2 && exec "$@"`,
      'onlinkd-wrapper', d.datapath, seed,
    ];
    await d.start(CONFIG, [], { prefix: wrapper });
    dp = `/proc/${d.process.pid}/root${d.datapath}`;
    expect(readdirSync(dp).sort()).toContain('tap80');
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  const ctl = (command: string, args?: Record<string, unknown>) => request(d.socketPath, command, args, { timeoutMs: 5_000 });

  /** The daemon's answer to a DISCOVER from the tap's VM. */
  async function offered(tap: string, mac: string): Promise<string | undefined> {
    const [a] = await probe(lab, tap, 'dhcp', [mac], 2_000);
    return a!.answered ? a!.yiaddr : undefined;
  }

  async function expectServing(): Promise<void> {
    expect(await offered('tap80', 'aa:00:00:00:00:80')).toBe('203.0.113.80');
  }

  /** Writes a binding file into the daemon's state directory atomically (temp + rename). */
  function writeFile(name: string, text: string | Buffer): void {
    const tmp = join(dp, `.w-${process.pid}.tmp`);
    writeFileSync(tmp, text);
    // rename within the same directory (through the magic link: the same tmpfs), atomic.
    renameSync(tmp, join(dp, name));
  }

  /** The first log line (from index `since`) matching `pred`, waiting for it (bounded). */
  async function waitLogMatching(pred: (l: LogLine) => boolean, what: string, since = 0, timeoutMs = 5_000): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const l = d.logs().slice(since).find(pred);
      if (l) return l;
      if (Date.now() > end) throw new Error(`no log line: ${what}\n${d.process.stdoutLines.slice(-10).join('\n')}`);
      await sleep(20);
    }
  }

  it('a truncated binding file is rejected with its line and key; the last good binding stays in force', async () => {
    const before = d.logs().length;
    // Written in place, as nfdhcpd-era hooks do (`cat > FILE`), cut short.
    writeFileSync(join(dp, 'tap81'), 'MAC=aa:00:00:00:00:81\nIP=203.0.113.81\nSUBNET=203.0.11');
    const l = await waitLogMatching((x) => x.tap === 'tap81' && x.msg === 'binding file rejected; last good binding stays in force', 'truncated tap81');
    expect(l).toMatchObject({ key: 'SUBNET', line: 3, kept: true });
    writeFileSync(join(dp, 'tap81'), '');
    await waitLogMatching((x) => x.tap === 'tap81' && x.key === 'MAC', 'empty tap81', before);
    expect(await offered('tap81', 'aa:00:00:00:00:81')).toBe('203.0.113.81');
    const show = await ctl('binding-get', { tap: 'tap81' });
    expect(JSON.stringify(show.arguments)).toMatch(/MAC.*missing/);
    await expectServing();
  });

  it('a huge binding file (> 64 KiB) is rejected without being read whole', async () => {
    const huge = dualStackBinding(81).replace('203.0.113.81', '203.0.113.99') + `# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    writeFileSync(join(dp, 'tap81'), huge);
    const l = await waitLogMatching((x) => x.tap === 'tap81' && /larger than 65536/.test(String(x.err)), 'huge tap81');
    expect(l.kept).toBe(true);
    expect(await offered('tap81', 'aa:00:00:00:00:81')).toBe('203.0.113.81');
    writeFileSync(join(dp, 'tap81'), dualStackBinding(81));
    await expectServing();
  });

  it('hostile file names are ignored (logged once), special files neither block nor get read, others unaffected', async () => {
    const bad = ['averyveryverylongname', 'tap\u2713', 'tap\nINJECTED', 'tap 80', '..tap'];
    for (const n of bad) writeFileSync(join(dp, n), dualStackBinding(80));
    writeFileSync(join(dp, '.hidden'), dualStackBinding(80));
    expect(spawnSync('mkfifo', [join(dp, 'tap83')]).status).toBe(0);
    symlinkSync('/dev/zero', join(dp, 'tap84'));
    mkdirSync(join(dp, 'tap85'));
    for (const n of bad.filter((x) => !x.startsWith('.'))) {
      await waitLogMatching((x) => x.msg === 'ignoring binding file: its name is not a valid interface name' && x.path === join(d.datapath, n), `name ${JSON.stringify(n)}`);
    }
    // A good file written after all that is picked up at once.
    const before = d.logs().length;
    writeFile('tap82', dualStackBinding(82));
    await waitLogMatching((x) => x.tap === 'tap82' && x.msg === 'binding attached to tap', 'tap82 attached', before);
    expect(await offered('tap82', 'aa:00:00:00:00:82')).toBe('203.0.113.82');
    const list = await ctl('binding-list');
    const taps = (list.arguments as { bindings: Array<{ tap: string }> }).bindings.map((b) => b.tap).sort();
    expect(taps).toEqual(['tap80', 'tap81', 'tap82']);
    // Written again: nothing new is logged for them (one line per name), the special files still block nothing.
    const n0 = d.logs().filter((x) => x.msg === 'ignoring binding file: its name is not a valid interface name').length;
    for (const n of bad) writeFileSync(join(dp, n), dualStackBinding(80));
    writeFileSync(join(dp, 'tap82'), dualStackBinding(82));
    await sleep(100);
    expect(d.logs().filter((x) => x.msg === 'ignoring binding file: its name is not a valid interface name').length).toBe(n0);
    await expectServing();
  });

  it('hostile values are rejected with line and key; a shell-like value is refused in a file and only ever data over the socket', async () => {
    const base = 'MAC=aa:00:00:00:00:82\nIP=203.0.113.82\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n';
    const cases: Array<[string, string]> = [
      ['MAC', 'MAC=aa:00:00:00:00:82; rm -rf /\nIP=203.0.113.82\nSUBNET=203.0.113.0/24\n'],
      ['IP', base.replace('IP=203.0.113.82', 'IP=203.0.113.300')],
      ['INDEV', `${base}INDEV=../../etc\n`],
      ['UPLINK', `${base}UPLINK=eth0 && reboot\n`],
      ['HOSTNAME', `${base}HOSTNAME=${'h'.repeat(300)}\n`],
      ['DOMAIN', `${base}DOMAIN=${'d'.repeat(70)}.example\n`],
      ['ROUTES', `${base}ROUTES=0.0.0.0/0 via $(reboot)\n`],
      ['HOSTNAME', `${base}HOSTNAME=vm\x1b[2Jcleared\n`],
      ['DNS', `${base}DNS=203.0.113.53'"\n`],
    ];
    for (const [key, text] of cases) {
      const before = d.logs().length;
      writeFile('tap82', text);
      const l = await waitLogMatching((x) => x.tap === 'tap82' && /rejected/.test(x.msg), `rejected ${key}`, before);
      expect({ key: l.key, kept: l.kept }).toEqual({ key, kept: true });
    }
    // NUL bytes: rejected as a whole.
    const before = d.logs().length;
    writeFile('tap82', Buffer.from(`${base}HOSTNAME=a\0b\n`));
    await waitLogMatching((x) => x.tap === 'tap82' && /NUL/.test(String(x.err)), 'NUL', before);
    expect(await offered('tap82', 'aa:00:00:00:00:82')).toBe('203.0.113.82');

    // Unquoted, sh would run it when a hook sources the file: onlinkd refuses it (read as sh reads it, issue 11), never runs it.
    const marker = lab.path('pwned');
    const shellLike = `$(touch\${IFS}${marker})`;
    const b0 = d.logs().length;
    writeFile('tap82', `${base}HOSTNAME=${shellLike}\n`);
    const l = await waitLogMatching((x) => x.tap === 'tap82' && /rejected/.test(x.msg), 'rejected unquoted $()', b0);
    expect({ key: l.key, kept: l.kept }).toEqual({ key: 'HOSTNAME', kept: true });
    // Given over the control socket, the same value is only ever data: written quoted, handed to the guest verbatim,
    // and a hook sourcing the file gets it back exactly without running it.
    const added = await ctl('binding-add', { tap: 'tap82', mac: 'aa:00:00:00:00:82', ip: '203.0.113.82', subnet: '203.0.113.0/24', gateway: '203.0.113.1', hostname: shellLike });
    expect(added.result).toBe(0);
    const [offer] = await probe(lab, 'tap82', 'dhcp', ['aa:00:00:00:00:82'], 2_000);
    expect(offer?.hostname).toBe(shellLike);
    const sourced = spawnSync('sh', ['-c', '. "$1"; printf %s "$HOSTNAME"', 'sh', join(dp, 'tap82')], { encoding: 'utf8', timeout: 5_000 });
    expect(sourced.stdout).toBe(shellLike);
    // busybox udhcpc, for one, refuses to pass such a name to its script ("bad"): the guest's business, not ours.
    expect((await udhcpc(lab, 'tap82'))?.ip).toBe('203.0.113.82');
    expect(existsSync(marker)).toBe(false);
    await expectServing();
  });

  it('hostile tap names over the control socket are refused; nothing is written anywhere', async () => {
    const names = ['../../etc/evil', 'a/b', '.hidden', 'x'.repeat(16), 'tap\u2713', '', 'tap80.tmp', 'tap\n1'];
    const before = readdirSync(dp).sort();
    for (const tap of names) {
      const r = await ctl('binding-add', { tap, mac: 'aa:00:00:00:00:99', ip: '203.0.113.99', subnet: '203.0.113.0/24' });
      expect({ tap, result: r.result }).toEqual({ tap, result: 1 });
      expect(r.text).toMatch(/tap/);
    }
    expect(readdirSync(dp).sort()).toEqual(before);
    expect(existsSync(join(dp, '..', '..', 'etc', 'evil'))).toBe(false);
    await expectServing();
  });

  it('the uplink missing or down when an announcement is due: logged, counted, serving goes on', async () => {
    // Missing: a binding that names an uplink that does not exist, added for an up tap (announcement due at once).
    const r = await ctl('binding-add', { tap: 'tap87', mac: 'aa:00:00:00:00:87', ip: '203.0.113.87', subnet: '203.0.113.0/24', uplink: 'nosuch0' });
    expect(r.result, r.text).toBe(0);
    const missing = await waitLogMatching((x) => x.tap === 'tap87' && x.msg === 'cannot announce: uplink missing or down', 'missing uplink');
    expect(missing).toMatchObject({ uplink: 'nosuch0', present: false });
    // Down: the configured uplink exists but is down when `announce` runs.
    await lab.run('hv', ['ip', 'link', 'set', 'dev', 'uplink0', 'down']);
    try {
      await sleep(100); // the link monitor sees it
      const a = await ctl('announce', { tap: 'tap80' });
      expect(a.result, a.text).toBe(0);
      const down = await waitLogMatching((x) => x.tap === 'tap80' && x.msg === 'cannot announce: uplink missing or down', 'uplink down');
      expect(down).toMatchObject({ uplink: 'uplink0', present: true });
      await expectServing();
      expect(await offered('tap87', 'aa:00:00:00:00:87')).toBe('203.0.113.87');
    } finally {
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'uplink0', 'up']);
    }
    const stats = await ctl('statistic-get', { tap: 'tap87' });
    expect(JSON.stringify(stats.arguments)).toMatch(/garp-uplink-unavailable/);
    // Back up: the next announcement goes out.
    await sleep(100);
    const garp0 = replies('tap80', 'garp', await ctl('statistic-get', { tap: 'tap80' }));
    expect((await ctl('announce', { tap: 'tap80' })).result).toBe(0);
    await waitFor(async () => replies('tap80', 'garp', await ctl('statistic-get', { tap: 'tap80' })) > garp0, true);
  });

  it('a read-only state directory: binding-add and -del fail with the reason, nothing changes', async () => {
    await lab.run('hv', ['nsenter', '--target', String(d.process.pid), '--mount', 'mount', '-o', 'remount,ro', d.datapath]);
    try {
      const add = await ctl('binding-add', { tap: 'tap88', mac: 'aa:00:00:00:00:88', ip: '203.0.113.88', subnet: '203.0.113.0/24' });
      expect(add.result).toBe(1);
      expect(add.text).toMatch(/read-only file system \(EROFS at open\)/);
      const del = await ctl('binding-del', { tap: 'tap80' });
      expect(del.result).toBe(1);
      expect(del.text).toMatch(/EROFS/);
      await waitLogMatching((x) => x.msg === 'control command failed' && x.command === 'binding-del', 'del failed log');
      await expectServing();
      expect((await ctl('binding-get', { tap: 'tap88' })).result).toBe(3);
    } finally {
      await lab.run('hv', ['nsenter', '--target', String(d.process.pid), '--mount', 'mount', '-o', 'remount,rw', d.datapath]);
    }
  });

  it('a full state directory: binding-add fails with ENOSPC, no temp file is left, it works again once there is room', async () => {
    const filler = join(dp, '.filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    try {
      for (let i = 0; i < 1024; i++) writeSync(fd, chunk);
      throw new Error(`the ${TMPFS_SIZE} tmpfs did not fill up`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
    try {
      const add = await ctl('binding-add', { tap: 'tap88', mac: 'aa:00:00:00:00:88', ip: '203.0.113.88', subnet: '203.0.113.0/24' });
      expect(add.result).toBe(1);
      expect(add.text).toMatch(/no space left on device \(ENOSPC at (write|fsync|open)\)/);
      expect(readdirSync(dp).filter((n) => n.includes('tap88'))).toEqual([]);
      await expectServing();
    } finally {
      unlinkSync(filler);
    }
    const add = await ctl('binding-add', { tap: 'tap88', mac: 'aa:00:00:00:00:88', ip: '203.0.113.88', subnet: '203.0.113.0/24' });
    expect(add.result, add.text).toBe(0);
    expect(existsSync(join(dp, 'tap88'))).toBe(true);
  });

  it('the control socket flooded with connections, oversized lines and deep JSON still answers afterwards', async () => {
    const pid = d.process.pid;
    const rss0 = rssKb(pid);
    const socks: net.Socket[] = [];
    const answers: string[] = [];
    try {
      // 100 idle connections: 64 are held, the rest are told so and closed.
      await Promise.all(
        Array.from({ length: 100 }, () =>
          new Promise<void>((resolve) => {
            const s = net.connect(d.socketPath);
            socks.push(s);
            s.on('data', (b) => answers.push(b.toString()));
            s.on('error', () => resolve());
            s.on('connect', () => resolve());
          }),
        ),
      );
      await waitFor(async () => answers.filter((a) => /too many connections/.test(a)).length >= 36, true);
      // The packet path does not care.
      await expectServing();
      // The held ones send 60 KiB each without a newline: bounded, kept, no answer.
      for (const s of socks.filter((x) => !x.destroyed)) s.write('x'.repeat(60 * 1024));
      await sleep(200);
      expect(d.process.exitStatus).toBeUndefined();
    } finally {
      for (const s of socks) s.destroy();
    }
    // Once they are gone, a normal request works again.
    await waitFor(async () => (await ctl('status-get').catch(() => ({ result: -1 }))).result === 0, true);

    // One line far beyond the limit, no newline: refused and closed.
    expect(await rawExchange('y'.repeat(1024 * 1024))).toMatch(/request too large/);
    // A 70 KiB line: same.
    expect(await rawExchange(`{"command":"status-get","arguments":{"x":"${'z'.repeat(70 * 1024)}"}}\n`)).toMatch(/request too large/);
    // Deeply nested JSON within the limit: an error answer, no crash.
    const deep = `{"command":"binding-add","arguments":{"tap":${'['.repeat(30_000)}${']'.repeat(30_000)}}}\n`;
    expect(JSON.parse((await rawExchange(deep)).split('\n')[0]!)).toMatchObject({ result: 1 });
    const proto = '{"command":"binding-add","arguments":{"__proto__":{"tap":"tap80","mac":"aa:00:00:00:00:01"},"constructor":{"prototype":{"x":1}}}}\n';
    expect(JSON.parse((await rawExchange(proto)).split('\n')[0]!)).toMatchObject({ result: 1 });

    const status = await ctl('status-get');
    expect(status.result).toBe(0);
    // tap80 still has its own MAC (the __proto__ attempt changed nothing).
    const b = await ctl('binding-get', { tap: 'tap80' });
    expect((b.arguments as { binding: { mac: string } }).binding.mac).toBe('aa:00:00:00:00:80');
    await expectServing();
    const refused = d.logs().filter((l) => l.msg === 'control connection refused: too many connections');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(2); // one line per 10 s, not one per connection
    console.log(`HARDENING_CONTROL_FLOOD ${JSON.stringify({ rss_kb_before: rss0, rss_kb_after: rssKb(pid), refused_logged: refused.map((l) => l.refused) })}`);
  });

  // ---- helpers ----

  /** Sends raw bytes on a fresh connection, half-closes, returns everything the daemon answered (bounded). */
  function rawExchange(data: string): Promise<string> {
    return new Promise((resolve) => {
      const s = net.connect(d.socketPath);
      let out = '';
      const done = () => {
        clearTimeout(t);
        s.destroy();
        resolve(out);
      };
      const t = setTimeout(done, 5_000);
      s.on('data', (b) => (out += b.toString()));
      s.on('close', done);
      s.on('error', () => undefined);
      s.on('connect', () => s.end(data));
    });
  }

  async function waitFor<T>(fn: () => Promise<T>, want: T, timeoutMs = 5_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v === want) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${String(want)}, last ${String(v)}`);
      await sleep(50);
    }
  }

  function replies(tap: string, kind: string, r: { arguments?: unknown }): number {
    return (r.arguments as { taps: Record<string, { replies: Record<string, number> }> }).taps[tap]?.replies[kind] ?? 0;
  }
});
