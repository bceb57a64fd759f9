/**
 * Hardening, privilege (issue 6 item 4): the daemon runs as an unprivileged
 * user (nobody, 65534) with CAP_NET_RAW only — effective, permitted,
 * bounding and ambient sets read back from /proc/PID/status — the way
 * systemd/onlinkd.service runs it (User=, AmbientCapabilities=CAP_NET_RAW,
 * CapabilityBoundingSet=CAP_NET_RAW, NoNewPrivileges=yes), and still does
 * everything: a DHCP lease for udhcpc, an RA for rdisc6, a DHCPv6 reply,
 * bindings written over the control socket. The control socket admits
 * root, the daemon's user and members of control_group (by primary or
 * supplementary group) and refuses anyone else — also a peer that gets past
 * the file mode (CAP_DAC_OVERRIDE) but is not in the group (SO_PEERCRED).
 * A state directory it cannot write makes binding-add fail cleanly while
 * the bindings in force keep working.
 */
import { chmodSync, chownSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { dhclient6Inform, rdisc6, udhcpc } from './clients.js';
import { Lab, describeLab } from './lab.js';
import { ONLINKCTL, Onlinkd } from './onlinkd.js';
import { NOBODY, dualStackBinding, procStatus } from './hardening-util.js';

/** control_group, as a numeric gid (no /etc/group entry needed); the daemon is a supplementary member. */
const CONTROL_GID = 4242;
const OTHER_UID = 65533;
const CAP_NET_RAW_ONLY = '0000000000002000';

const DAEMON_PREFIX = [
  'setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, `--groups=${CONTROL_GID}`,
  '--inh-caps=-all,+net_raw', '--ambient-caps=-all,+net_raw', '--bounding-set=-all,+net_raw', '--no-new-privs',
];

describeLab('hardening: unprivileged daemon with CAP_NET_RAW only', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap90', mac: 'aa:00:00:00:00:90' }, { tap: 'tap91', mac: 'aa:00:00:00:00:91' }] });
    d = new Onlinkd(lab);
    d.writeBinding('tap90', dualStackBinding(90));
    // The daemon's user owns its state directory and the control socket's directory (systemd: StateDirectory=, RuntimeDirectory=).
    chownSync(d.datapath, NOBODY, NOBODY);
    chownSync(join(d.datapath, 'tap90'), NOBODY, NOBODY);
    chownSync(lab.path('onlinkd'), NOBODY, NOBODY);
    await d.start(`control_group = ${CONTROL_GID}\n[ipv6]\nnameservers = 2001:db8::53\n`, [], { prefix: DAEMON_PREFIX });
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('runs as nobody with CAP_NET_RAW and nothing else', () => {
    const pid = d.process.pid;
    const caps = Object.fromEntries(['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Uid', 'Gid', 'Groups'].map((k) => [k, procStatus(pid, k)]));
    console.log(`HARDENING_PRIVILEGE ${JSON.stringify({ pid, ...caps })}`);
    expect(caps.Uid!.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(caps.Gid!.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(caps.CapEff).toBe(CAP_NET_RAW_ONLY);
    expect(caps.CapPrm).toBe(CAP_NET_RAW_ONLY);
    expect(caps.CapBnd).toBe(CAP_NET_RAW_ONLY);
    expect(caps.NoNewPrivs).toBe('1');
  });

  it('serves fully: DHCPv4 lease, RA, DHCPv6 reply', async () => {
    const lease = await udhcpc(lab, 'tap90');
    expect(lease).toMatchObject({ ip: '203.0.113.90', routers: ['203.0.113.1'] });
    const ra = await rdisc6(lab, 'tap90');
    expect(ra.adverts.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(ra.adverts[0])).toContain('2001:db8:90::');
    const info = await dhclient6Inform(lab, 'tap90');
    expect(info?.dns).toContain('2001:db8::53');
    // The server DUID was created by the daemon's user in its state directory.
    expect(existsSync(join(d.datapath, '.server-duid'))).toBe(true);
  });

  it('writes bindings over the control socket (root client) into its state directory', async () => {
    const r = await d.ctl(['bind', 'tap91', '--mac', 'aa:00:00:00:00:91', '--ip', '203.0.113.91', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1']);
    expect(r.code, r.stderr).toBe(0);
    expect((await udhcpc(lab, 'tap91'))?.ip).toBe('203.0.113.91');
  });

  async function ctlAs(setpriv: string[]) {
    return lab.exec('hv', ['setpriv', ...setpriv, process.execPath, ONLINKCTL, '--socket', d.socketPath, 'status'], { timeoutMs: 10_000 });
  }

  it('admits members of control_group (primary or supplementary group)', async () => {
    const primary = await ctlAs([`--reuid=${OTHER_UID}`, `--regid=${CONTROL_GID}`, '--clear-groups']);
    expect(primary.code, primary.stderr).toBe(0);
    const supplementary = await ctlAs([`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, `--groups=${CONTROL_GID}`]);
    expect(supplementary.code, supplementary.stderr).toBe(0);
  });

  it('refuses a uid that is neither root nor in control_group', async () => {
    const r = await ctlAs([`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups']);
    expect(r.code).not.toBe(0);
    expect((r.stdout + r.stderr).toLowerCase()).toMatch(/permission denied/);
  });

  it('refuses such a peer even when it gets past the socket file mode (SO_PEERCRED check)', async () => {
    const r = await ctlAs([`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', '--inh-caps=+dac_override', '--ambient-caps=+dac_override']);
    expect(r.code).not.toBe(0);
    expect((r.stdout + r.stderr).toLowerCase()).toMatch(/permission denied/);
    await d.waitLog({ msg: 'control connection denied: peer is neither root nor in control_group', uid: OTHER_UID });
  });

  it('an unwritable state directory: binding-add fails with a clear reason, bindings in force keep working', async () => {
    chmodSync(d.datapath, 0o555);
    try {
      const r = await request(d.socketPath, 'binding-add', { tap: 'tap91', mac: 'aa:00:00:00:00:91', ip: '203.0.113.92', subnet: '203.0.113.0/24' });
      expect(r.result).toBe(1);
      expect(r.text).toMatch(/permission denied.*writable by the daemon user.*EACCES/);
      await d.waitLog({ msg: 'control command failed', command: 'binding-add' });
      // Nothing changed: the old binding is still in force and answered.
      expect((await udhcpc(lab, 'tap91'))?.ip).toBe('203.0.113.91');
      expect((await udhcpc(lab, 'tap90'))?.ip).toBe('203.0.113.90');
    } finally {
      chmodSync(d.datapath, 0o755);
    }
    const ok = await request(d.socketPath, 'binding-add', { tap: 'tap91', mac: 'aa:00:00:00:00:91', ip: '203.0.113.92', subnet: '203.0.113.0/24' });
    expect(ok.result, ok.text).toBe(0);
    expect((await udhcpc(lab, 'tap91'))?.ip).toBe('203.0.113.92');
  });
});
