/**
 * The control plane end to end: onlinkctl against the running daemon in
 * the lab — bind takes effect at once and survives a restart, unbind stops
 * answers, announce reaches the uplink, a deleted tap leaves the daemon
 * healthy, a non-privileged user is refused, and a reload that removes
 * control_group takes the group's access away (issue 11).
 */
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { udhcpc } from './clients.js';
import { Lab, describeLab, sleep } from './lab.js';
import { ONLINKCTL, Onlinkd } from './onlinkd.js';

const CONFIG = `[announce]
uplink = uplink0
uplink6 = uplink0
`;

const BIND40 = ['bind', 'tap40', '--mac', 'aa:00:00:00:00:40', '--ip', '203.0.113.40', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1',
  '--subnet6', '2001:db8:40::/64', '--eui64', '2001:db8:40::a800:ff:fe00:40', '--hostname', 'vm40'];

describeLab('control socket and onlinkctl', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({
      vms: [{ tap: 'tap40', mac: 'aa:00:00:00:00:40' }, { tap: 'tap41', mac: 'aa:00:00:00:00:41' }],
      uplink: true,
    });
    d = new Onlinkd(lab);
    await d.start(CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('bind over the socket: persisted atomically and the VM gets its lease at once', async () => {
    const r = await d.ctl(BIND40);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(d.datapath, 'tap40'))).toBe(true);
    const lease = await udhcpc(lab, 'tap40');
    expect(lease).toMatchObject({ ip: '203.0.113.40', routers: ['203.0.113.1'], hostName: 'vm40' });
    const show = await d.ctl(['show', 'tap40', '--json']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as Record<string, unknown>;
    expect(JSON.stringify(shown)).toContain('203.0.113.40');
    // Link-local addresses are shown with their zone id.
    expect(JSON.stringify(shown)).toMatch(/fe80::[0-9a-f:]+%tap40/);
  });

  it('a bad bind is refused with the reason and leaves nothing behind', async () => {
    const r = await d.ctl(['bind', 'tap41', '--mac', 'aa:00:00:00:00:41', '--ip', '203.0.113.300', '--subnet', '203.0.113.0/24']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/IP/);
    expect(existsSync(join(d.datapath, 'tap41'))).toBe(false);
    expect((await d.ctl(['show', 'tap41'])).code).toBe(3);
  });

  it('survives garbage on the socket', async () => {
    const script = `const s=require('net').connect(${JSON.stringify(d.socketPath)});s.on('data',b=>{process.stdout.write(b);s.end()});s.write('{"command": nonsense\\n');`;
    const r = await lab.exec('hv', [process.execPath, '-e', script], { timeoutMs: 5_000 });
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ result: 1 });
    expect((await d.ctl(['status'])).code).toBe(0);
  });

  it('onlinkctl announce sends the GARPs and unsolicited NAs on the uplink', async () => {
    // The bind above started the binding's own announcement (GARP ×2 at 2 s, NA ×3 at 1 s); the command
    // cancels and restarts it, so a capture begun while it still ran would also catch its last frames.
    const first = d.logs().find((l) => l.tap === 'tap40' && l.msg === 'announcing VM addresses upstream');
    if (first) await sleep(Math.min(3_000, Math.max(0, Date.parse(String(first.time)) + 2_500 - Date.now())));
    const cap = await lab.tcpdump('uplink', 'eth0', 'arp or icmp6', lab.path('announce.pcap'));
    const r = await d.ctl(['announce', 'tap40']);
    expect(r.code, r.stderr).toBe(0);
    await sleep(3_500);
    await cap.stop();
    const frames = cap.frames();
    const garps = frames.filter((f) => f[12] === 0x08 && f[13] === 0x06 && [...f.subarray(28, 32)].join('.') === '203.0.113.40');
    const unas = frames.filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[20] === 58 && f[54] === 136);
    expect(garps).toHaveLength(2);
    expect(unas).toHaveLength(3);
  });

  it('the binding survives a daemon restart', async () => {
    await d.stop();
    await d.start(CONFIG);
    const show = await d.ctl(['show', 'tap40', '--json']);
    expect(show.code).toBe(0);
    expect((await udhcpc(lab, 'tap40'))?.ip).toBe('203.0.113.40');
  });

  it('unbind stops the answers and removes the file', async () => {
    const r = await d.ctl(['unbind', 'tap40']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(d.datapath, 'tap40'))).toBe(false);
    expect(await udhcpc(lab, 'tap40', { timeoutSec: 3 })).toBeNull();
    expect((await d.ctl(['unbind', 'tap40'])).code).toBe(3);
  });

  it('a tap deleted while its guest floods DHCP leaves the daemon healthy', async () => {
    expect((await d.ctl(['bind', 'tap41', '--mac', 'aa:00:00:00:00:41', '--ip', '203.0.113.41', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1'])).code).toBe(0);
    // A client retrying fast on tap41 while the tap disappears under it.
    const flood = lab.spawn('tap41', ['sh', '-c', 'while :; do udhcpc -i eth0 -n -q -t 1 -T 1 -s /bin/true >/dev/null 2>&1; done']);
    await sleep(1_500);
    await lab.removeTap('tap41', { keepVm: true });
    await sleep(1_000);
    await flood.kill();
    expect(d.process.exitStatus).toBeUndefined();
    expect((await d.ctl(['status'])).code).toBe(0);
    await d.waitLog({ tap: 'tap41', msg: 'binding detached from tap' });
    // The binding waits for its tap; everything else keeps working.
    expect((await d.ctl(['show', 'tap41'])).code).toBe(0);
  });

  it('refuses a user who is neither root nor in the control group', async () => {
    const r = await lab.exec('hv', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ONLINKCTL, '--socket', d.socketPath, 'list'], {
      timeoutMs: 5_000,
    });
    expect(r.code).not.toBe(0);
    expect((r.stdout + r.stderr).toLowerCase()).toMatch(/permission|denied|eacces/);
  });

  it('SIGHUP without control_group revokes the group at once; a moved control_socket is reported as needing a restart', async () => {
    const GID = 4242;
    await d.stop();
    await d.start(`control_group = ${GID}\n${CONFIG}`);
    expect(lstatSync(d.socketPath).gid).toBe(GID);
    const asMember = (args: string[]) =>
      lab.exec('hv', ['setpriv', '--reuid=65532', `--regid=${GID}`, '--clear-groups', process.execPath, ONLINKCTL, '--socket', d.socketPath, ...args], { timeoutMs: 10_000 });
    expect((await asMember(['show', 'tap41'])).code).toBe(0);
    // The operator removes control_group (and, by mistake, changes control_socket), then reloads.
    const moved = `${d.socketPath}.new`;
    writeFileSync(d.configPath, `[general]\nlog_level = debug\ncontrol_socket = ${moved}\n${CONFIG}`);
    process.kill(d.process.pid, 'SIGHUP');
    await d.waitLog({ msg: 'control_group removed: root and the daemon user only' });
    await d.waitLog({ configured: moved });
    const del = await asMember(['unbind', 'tap41']);
    expect(del.code).not.toBe(0);
    expect((del.stdout + del.stderr).toLowerCase()).toMatch(/permission denied/);
    expect((await d.ctl(['show', 'tap41'])).code).toBe(0);
    expect(lstatSync(d.socketPath).gid).toBe(0);
    const status = JSON.parse((await d.ctl(['status', '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({
      controlSocket: d.socketPath,
      controlGroup: null,
      notApplied: { control_socket: `moving the control socket to ${moved} needs a restart; onlinkd still listens on ${d.socketPath}` },
    });
    expect(existsSync(moved)).toBe(false);
  });
});
