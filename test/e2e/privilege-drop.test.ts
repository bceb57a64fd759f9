/**
 * `[general] user = nobody` (issue 11, defect 11): started by hand as root,
 * as the README's start command does, onlinkd used to stay uid 0 with every
 * capability. Now it opens what needs root and becomes nobody with
 * CAP_NET_RAW only — read back from /proc/PID/status and from every thread
 * in /proc/PID/task — and still serves: a lease on a tap bound at start
 * (its socket opened after the drop, on a pool thread with a second CPU),
 * and a tap that appears after the drop, bound over the control socket
 * before it exists (its socket opened on the main thread). Other processes
 * of that user can signal it, so SIGUSR1 must not open Node's inspector.
 */
import { chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { udhcpc } from './clients.js';
import { Lab, describeLab, sleep } from './lab.js';
import { NOBODY, procStatus } from './hardening-util.js';
import { ONLINKD, Onlinkd, bindingText } from './onlinkd.js';

const NET_RAW = '0000000000002000';
const NONE = '0000000000000000';
const KEYS = ['Uid', 'Gid', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'] as const;

/** KEYS of /proc/PID/status, or of a thread's (TID). */
function status(pid: number, tid?: string): Record<(typeof KEYS)[number], string> {
  return Object.fromEntries(KEYS.map((k) => [k, procStatus(pid, k, tid) ?? ''])) as Record<(typeof KEYS)[number], string>;
}

describeLab('privilege drop: [general] user = nobody, started as root', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap92', mac: 'aa:00:00:00:00:92' }] });
    d = new Onlinkd(lab);
    d.writeBinding('tap92', bindingText({ mac: 'aa:00:00:00:00:92', ip: '203.0.113.92' }));
    // binding-add writes here as nobody; the control socket's directory stays root's.
    chownSync(d.datapath, NOBODY, NOBODY);
    await d.start('user = nobody\n');
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('logs the drop once: uid, gid, the capabilities kept', async () => {
    const line = await d.waitLog({ msg: 'privileges dropped: running as the configured user with CAP_NET_RAW only' });
    expect(line).toMatchObject({ level: 'info', user: 'nobody', uid: NOBODY, gid: NOBODY, caps: ['CAP_NET_RAW'] });
    expect(d.logs().filter((l) => String(l.msg).startsWith('privileges dropped'))).toHaveLength(1);
  });

  it('runs as nobody with CAP_NET_RAW only, in the process and in every thread', () => {
    const pid = d.process.pid;
    const main = status(pid);
    console.log(`PRIVILEGE_DROP ${JSON.stringify({ pid, ...main })}`);
    expect(main.Uid.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(main.Gid.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(main).toMatchObject({ CapInh: NONE, CapPrm: NET_RAW, CapEff: NET_RAW, CapBnd: NET_RAW, CapAmb: NONE, NoNewPrivs: '1' });
    const tasks = readdirSync(`/proc/${pid}/task`).map((tid) => ({ tid, ...status(pid, tid) }));
    expect(tasks.length).toBeGreaterThan(4); // V8 platform and libuv pool threads besides the main one
    const capless = tasks.filter((t) => t.CapPrm === NONE);
    for (const t of tasks) {
      const where = `thread ${t.tid}`;
      expect(t.Uid.split(/\s+/), where).toEqual(Array(4).fill(String(NOBODY)));
      expect(t.Gid.split(/\s+/), where).toEqual(Array(4).fill(String(NOBODY)));
      expect(t.NoNewPrivs, where).toBe('1');
      expect(t.CapAmb, where).toBe(NONE);
      if (t.CapPrm === NONE) expect(t.CapEff, where).toBe(NONE);
      else expect([t.CapInh, t.CapPrm, t.CapEff, t.CapBnd], where).toEqual([NONE, NET_RAW, NET_RAW, NET_RAW]);
    }
    // At most Node's SIGUSR1 watchdog, which blocks every signal, is left without any capability.
    expect(capless.length).toBeLessThanOrEqual(1);
  });

  it('serves a tap bound at start (its socket opened after the drop)', async () => {
    expect((await udhcpc(lab, 'tap92'))?.ip).toBe('203.0.113.92');
  });

  it('a binding added over the control socket for a tap that appears later: the new socket opens, the guest gets a lease', async () => {
    const r = await d.ctl(['bind', 'tap93', '--mac', 'aa:00:00:00:00:93', '--ip', '203.0.113.93', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1']);
    expect(r.code, r.stderr).toBe(0);
    await lab.addVm({ tap: 'tap93', mac: 'aa:00:00:00:00:93' });
    expect((await udhcpc(lab, 'tap93'))?.ip).toBe('203.0.113.93');
    expect(d.logs().filter((l) => l.msg === 'cannot open a packet socket on the tap; its guest is not answered')).toEqual([]);
  });

  it('another process of the same user may signal it: SIGUSR1 is ignored, no inspector opens', async () => {
    const pid = d.process.pid;
    const kill = await lab.exec('hv', ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'kill', '-USR1', String(pid)]);
    expect(kill.code, kill.stderr).toBe(0); // the kernel lets it (kill(2): same real uid)
    await d.waitLog({ msg: 'SIGUSR1 ignored (it would open the Node inspector to local users)' });
    await sleep(300);
    expect(await lab.run('hv', ['ss', '-Hltn', 'sport', '=', ':9229'])).toBe('');
    expect(d.process.stdout + d.process.stderr).not.toMatch(/Debugger listening/);
    expect((await udhcpc(lab, 'tap92'))?.ip).toBe('203.0.113.92');
  });

  it('a reload that changes user or group says it needs a restart, and keeps serving', async () => {
    writeFileSync(d.configPath, readFileSync(d.configPath, 'utf8').replace('user = nobody', 'user = nobody\ngroup = 4242'));
    const r = await d.ctl(['reload']);
    expect(r.code, r.stderr).toBe(0);
    await d.waitLog({ msg: '[general] user/group changes need a restart; keeping the current ones', group: '4242' });
    expect(procGid(d.process.pid)).toBe(String(NOBODY));
    expect((await udhcpc(lab, 'tap92'))?.ip).toBe('203.0.113.92');
  });
});

function procGid(pid: number): string | undefined {
  return status(pid).Gid.split(/\s+/)[0];
}

describeLab('privilege drop: an unknown [general] user', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [] });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('is a clear start-up error, before anything is opened', async () => {
    const d = new Onlinkd(lab);
    const config = join(lab.path('onlinkd'), 'mallory.conf');
    writeFileSync(config, `[general]\ncontrol_socket = ${d.socketPath}\nuser = mallory-${process.pid}\n`);
    const r = await lab.exec('hv', [process.execPath, ONLINKD, '--config', config, '--datapath', d.datapath], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`onlinkd: cannot start: [general] user "mallory-${process.pid}" is not a user in /etc/passwd`);
    expect(existsSync(d.socketPath)).toBe(false);
  });
});
