/**
 * The Debian package on Debian 12's own Node (issue 16, items 1 and 2): build
 * it with dpkg-buildpackage (scripts/deb.sh), install it with `apt-get
 * install ./onlinkd_*.deb` into a debootstrapped bookworm (debian-root.ts;
 * cached tarball) where apt brings Debian's nodejs 18 and nothing else has a
 * Node, then in that root: `onlinkd --check`, the user, state directory and
 * enabled unit the maintainer scripts made, the installed unit verified, and
 * the daemon run from /usr/sbin/onlinkd (chroot, in the lab's hv namespace,
 * as the unit runs it: its user, CAP_NET_RAW only, through setpriv) with a tap bound by the root's onlinkctl and a lease
 * taken by udhcpc in the VM's namespace.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { udhcpc } from './clients.js';
import { Lab, describeLab, type LabProcess } from './lab.js';
import { bookwormTarball, inRoot, mountScript, removeRoot, run, runOk, unpackRoot } from './debian-root.js';

const CHECKOUT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TAP = 'tap16';
const MAC = 'aa:00:00:00:00:16';
const IP = '203.0.113.16';

describeLab('Debian package on Debian 12 (bookworm) nodejs', () => {
  let root = '';
  let lab: Lab | undefined;
  let daemon: LabProcess | undefined;
  let deb = '';
  const ms: Record<string, number> = {};

  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      ms[what] = Date.now() - t0;
    }
  };

  beforeAll(async () => {
    deb = await timed('build', async () => join(CHECKOUT, (await runOk(['sh', join(CHECKOUT, 'scripts/deb.sh')], 600_000)).trim().split('\n').pop()!));
    expect(basename(deb)).toMatch(/^onlinkd_[\d.]+_amd64\.deb$/);
    const tar = await bookwormTarball();
    ms.debootstrap = tar.ms;
    root = await timed('unpack', () => unpackRoot(tar.path));
    copyFileSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
    copyFileSync(deb, join(root, 'tmp', basename(deb)));
    // The README's install command, the only one: apt brings nodejs and what the package depends on.
    await timed('install', async () => {
      for (const argv of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-q', `/tmp/${basename(deb)}`]]) {
        const r = await inRoot(root, argv, 600_000, { apt: true });
        if (r.code !== 0) throw new Error(`${argv.join(' ')} in the bookworm root: ${r.timedOut ? 'timed out' : `exit ${r.code}`}\n${r.out.slice(-4000)}`);
      }
    });
    console.log(`DEBIAN_PACKAGE_TIMINGS ${JSON.stringify(ms)}`);
  }, 1_500_000);

  afterAll(async () => {
    await daemon?.kill().catch(() => undefined);
    await lab?.destroy();
    if (root) await removeRoot(root);
  }, 180_000);

  const chrootOk = async (argv: string[]): Promise<string> => {
    const r = await inRoot(root, argv, 60_000);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}\n${r.out}`);
    return r.out;
  };

  it('lintian reports no errors', async () => {
    const r = await run(['lintian', '--tag-display-limit', '0', deb.replace(/\.deb$/, '.changes')], 180_000);
    const tags = r.out.split('\n').filter((l) => /^[EWIPX]: /.test(l));
    console.log(`LINTIAN ${JSON.stringify(tags)}`);
    expect(r.timedOut).toBe(false);
    expect(tags.filter((l) => l.startsWith('E: '))).toEqual([]);
  });

  it("has Debian's nodejs 18 and no other Node", async () => {
    expect(await chrootOk(['node', '--version'])).toMatch(/^v18\./);
    expect(await chrootOk(['dpkg-query', '-W', '-f', '${Version}', 'nodejs'])).toMatch(/^18\..*deb12/);
    expect(existsSync(join(root, 'usr/local/bin/node'))).toBe(false);
  });

  it('onlinkd --check accepts the shipped /etc/onlinkd/onlinkd.conf (a conffile)', async () => {
    expect(await chrootOk(['/usr/sbin/onlinkd', '--check'])).toContain('/etc/onlinkd/onlinkd.conf: OK');
    expect(await chrootOk(['dpkg-query', '-W', '-f', '${Conffiles}', 'onlinkd'])).toContain('/etc/onlinkd/onlinkd.conf');
    expect(await chrootOk(['/usr/bin/onlinkctl', '--version'])).toMatch(/onlinkctl \d/);
  });

  it('made the user and the state directory (sysusers, tmpfiles) and enabled the unit', async () => {
    const pw = (await chrootOk(['getent', 'passwd', 'onlinkd'])).split(':');
    expect(pw[5]).toBe('/var/lib/onlinkd');
    const st = statSync(join(root, 'var/lib/onlinkd'));
    expect(st.uid).toBe(Number(pw[2]));
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants/onlinkd.service');
    expect(lstatSync(wants).isSymbolicLink()).toBe(true);
    expect(readlinkSync(wants)).toBe('/lib/systemd/system/onlinkd.service');
    // The installed unit, with its real ExecStart and man pages, passes systemd-analyze verify.
    const r = await inRoot(root, ['systemd-analyze', 'verify', '--man=no', '/lib/systemd/system/onlinkd.service'], 60_000);
    expect(r.out.trim()).toBe('');
    expect(r.code).toBe(0);
    for (const page of ['man8/onlinkd.8.gz', 'man8/onlinkctl.8.gz', 'man5/onlinkd.conf.5.gz']) expect(existsSync(join(root, 'usr/share/man', page)), page).toBe(true);
    expect(existsSync(join(root, 'usr/share/doc/onlinkd/examples/ganeti/onlinkd-ifup'))).toBe(true);
    expect(existsSync(join(root, 'usr/share/doc/onlinkd/examples/nfdhcpd-migration.conf'))).toBe(true);
    expect(existsSync(join(root, 'usr/share/bash-completion/completions/onlinkctl'))).toBe(true);
  });

  it('serves a lease: /usr/sbin/onlinkd as the unit runs it (user onlinkd, CAP_NET_RAW only), a tap bound with the root\'s onlinkctl, udhcpc', async () => {
    lab = await Lab.create({ vms: [{ tap: TAP, mac: MAC }] });
    // As the unit runs it: User=onlinkd with CAP_NET_RAW alone (AmbientCapabilities=, CapabilityBoundingSet=),
    // through setpriv; the control socket's directory is the user's, as RuntimeDirectory= makes it.
    const pw = (await chrootOk(['getent', 'passwd', 'onlinkd'])).split(':');
    mkdirSync(join(root, 'run/onlinkd'), { recursive: true });
    chmodSync(join(root, 'run/onlinkd'), 0o755);
    chownSync(join(root, 'run/onlinkd'), Number(pw[2]), Number(pw[3]));
    writeFileSync(join(root, 'etc/onlinkd/test.conf'), '[general]\nlog_level = debug\n');
    // ip netns exec gives the daemon a mount namespace of its own: the mounts go with it.
    daemon = lab.spawn('hv', ['sh', '-c', `${mountScript(root)} && exec chroot "$0" "$@"`, root, 'setpriv', '--reuid=onlinkd', '--regid=onlinkd',
      '--init-groups', '--inh-caps=-all,+net_raw', '--ambient-caps=-all,+net_raw', '--bounding-set=-all,+net_raw', '--no-new-privs',
      '/usr/sbin/onlinkd', '--config', '/etc/onlinkd/test.conf']);
    await daemon.waitForLine(/"msg":"onlinkd ready"/, { timeoutMs: 20_000 });
    const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(pw[2]);
    expect(/^CapEff:\s+(\S+)/m.exec(status)?.[1]).toBe('0000000000002000');
    const bind = await lab.exec('hv', ['chroot', root, '/usr/bin/onlinkctl', 'bind', TAP, '--mac', MAC, '--ip', IP, '--subnet', '203.0.113.0/24',
      '--gateway', '203.0.113.1'], { timeoutMs: 15_000 });
    expect(bind.stderr + bind.stdout).not.toMatch(/error/i);
    expect(bind.code).toBe(0);
    expect(existsSync(join(root, 'var/lib/onlinkd', TAP))).toBe(true);
    const lease = await udhcpc(lab, TAP, { timeoutSec: 8 });
    expect(lease?.ip).toBe(IP);
    expect(lease?.routers).toEqual(['203.0.113.1']);
    const show = await lab.exec('hv', ['chroot', root, '/usr/bin/onlinkctl', '--json', 'show', TAP], { timeoutMs: 15_000 });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(MAC);
  }, 90_000);
}, { binaries: ['ip', 'sysctl', 'sh', 'udhcpc', 'unshare', 'chroot', 'tar', 'mount', 'debootstrap', 'dpkg-buildpackage', 'dh', 'npm', 'lintian'] });
