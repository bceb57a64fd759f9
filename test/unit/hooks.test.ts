/**
 * The shipped hook examples call onlinkctl with the right arguments. A fake
 * onlinkctl records its argv, so this runs without a daemon or root; for
 * the routed setup, fake ip and sysctl record any call (there must be none).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBindingFile } from '../../src/bindings/binding-file.js';

const HOOKS = fileURLToPath(new URL('../../config/hooks/', import.meta.url));

describe('hook examples', () => {
  let dir: string;
  let fake: string;
  const calls = () =>
    readFileSync(join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'olk-hooks-'));
    fake = join(dir, 'onlinkctl');
    // FAKE_DOWN: the daemon is not running (every command exits 1); FAKE_REFUSE: it refuses a bind.
    writeFileSync(fake, `#!/bin/sh\n(IFS="$(printf '\\t')"; echo "$*") >> ${dir}/calls\n[ -n "\${FAKE_DOWN:-}" ] && exit 1\n[ -n "\${FAKE_REFUSE:-}" ] && [ "$1" = bind ] && exit 1\n[ "$1" = unbind ] && [ "$2" = gone0 ] && exit 3\nexit 0\n`);
    chmodSync(fake, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ganeti kvm-ifup-custom binds (routed, dual stack) and announces', () => {
    const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], {
      env: {
        PATH: process.env.PATH, ONLINKCTL: fake, INTERFACE: 'tap10', MAC: 'aa:00:00:00:00:10', IP: '203.0.113.10', INSTANCE: 'vm10',
        MODE: 'routed', NETWORK_SUBNET: '203.0.113.0/24', NETWORK_GATEWAY: '203.0.113.1',
        NETWORK_SUBNET6: '2001:db8:10::/64', NETWORK_GATEWAY6: '2001:db8:10::1',
      },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(calls()).toEqual([
      ['bind', 'tap10', '--mac', 'aa:00:00:00:00:10', '--hostname', 'vm10', '--ip', '203.0.113.10', '--subnet', '203.0.113.0/24',
        '--gateway', '203.0.113.1', '--subnet6', '2001:db8:10::/64', '--gateway6', '2001:db8:10::1'],
      ['announce', 'tap10'],
    ]);
  });

  it('ganeti kvm-ifup-custom in bridged mode answers with the bridge (INDEV)', () => {
    const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], {
      env: { PATH: process.env.PATH, ONLINKCTL: fake, INTERFACE: 'tap11', MAC: 'aa:00:00:00:00:11', MODE: 'bridged', LINK: 'br0' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(calls()[0]).toEqual(['bind', 'tap11', '--mac', 'aa:00:00:00:00:11', '--indev', 'br0']);
  });

  it('ganeti kvm-ifdown-custom unbinds and tolerates an already-gone binding', () => {
    for (const tap of ['tap10', 'gone0']) {
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifdown'), [], { env: { PATH: process.env.PATH, ONLINKCTL: fake, INTERFACE: tap }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(calls()).toEqual([['unbind', 'tap10'], ['unbind', 'gone0']]);
  });

  it('libvirt qemu hook binds each interface found in the domain XML, and unbinds on stop', () => {
    const confDir = join(dir, 'etc');
    const hook = join(dir, 'qemu');
    // Same hook, reading its per-guest file from the temp dir instead of /etc/onlinkd/libvirt.
    writeFileSync(hook, readFileSync(join(HOOKS, 'libvirt/qemu'), 'utf8').replaceAll('/etc/onlinkd/libvirt/', `${confDir}/`));
    chmodSync(hook, 0o755);
    spawnSync('mkdir', ['-p', confDir]);
    writeFileSync(join(confDir, 'vm10'), '52:54:00:12:34:56 203.0.113.10/24 203.0.113.1 2001:db8:10::/64 2001:db8:10::1\n52:54:00:00:00:99 198.51.100.9/25 198.51.100.1\n');
    const xml = `<domain type='kvm'><name>vm10</name><devices>
      <interface type='ethernet'>
        <mac address='52:54:00:12:34:56'/>
        <target dev='vm10-0'/>
      </interface>
      <interface type='ethernet'>
        <mac address='52:54:00:00:00:99'/>
        <target dev='vm10-1'/>
      </interface>
      <interface type='ethernet'><mac address='52:54:00:00:00:77'/><target dev='vm10-2'/></interface>
    </devices></domain>`;
    const start = spawnSync(hook, ['vm10', 'started', 'begin', '-'], { input: xml, env: { PATH: process.env.PATH, ONLINKCTL: fake }, encoding: 'utf8' });
    expect(start.status, start.stderr).toBe(0);
    const stop = spawnSync(hook, ['vm10', 'stopped', 'end', '-'], { input: xml, env: { PATH: process.env.PATH, ONLINKCTL: fake }, encoding: 'utf8' });
    expect(stop.status, stop.stderr).toBe(0);
    expect(calls()).toEqual([
      ['bind', 'vm10-0', '--mac', '52:54:00:12:34:56', '--ip', '203.0.113.10', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1',
        '--hostname', 'vm10', '--subnet6', '2001:db8:10::/64', '--gateway6', '2001:db8:10::1'],
      ['announce', 'vm10-0'],
      ['bind', 'vm10-1', '--mac', '52:54:00:00:00:99', '--ip', '198.51.100.9', '--subnet', '198.51.100.0/25', '--gateway', '198.51.100.1', '--hostname', 'vm10'],
      ['announce', 'vm10-1'],
      ['unbind', 'vm10-0'],
      ['unbind', 'vm10-1'],
    ]);
  });

  describe('routed setup: ONLINKD_ROUTED=yes binds with ROUTED and runs no ip(8) (issue 15)', () => {
    /** PATH whose ip and sysctl record their call and fail: a hook that touches routes, rules or proxies is seen. */
    const env = (extra: Record<string, string>) => {
      const bin = join(dir, 'bin');
      mkdirSync(bin, { recursive: true });
      for (const tool of ['ip', 'sysctl']) {
        writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${dir}/net-calls\nexit 1\n`);
        chmodSync(join(bin, tool), 0o755);
      }
      return { PATH: `${bin}:${process.env.PATH}`, ONLINKCTL: fake, ONLINKD_DATAPATH: join(dir, 'bindings'), ONLINKD_ROUTED: 'yes', ...extra };
    };
    const ganeti = { INTERFACE: 'tap13', MAC: 'aa:00:00:00:00:13', IP: '203.0.113.13', INSTANCE: 'vm13', MODE: 'routed', LINK: 'rt100',
      NETWORK_SUBNET: '203.0.113.0/24', NETWORK_GATEWAY: '203.0.113.1', NETWORK_SUBNET6: '2001:db8:13::/64', NETWORK_GATEWAY6: '2001:db8:13::1' };
    const netCalls = () => (existsSync(join(dir, 'net-calls')) ? readFileSync(join(dir, 'net-calls'), 'utf8') : '');
    beforeEach(() => mkdirSync(join(dir, 'bindings')));

    it('onlinkd-ifup binds a routed NIC with --routed yes and announces; a bridged one gets --routed no', () => {
      // Positive control: the fake ip is on the PATH and records.
      expect(spawnSync('ip', ['route', 'show'], { env: env({}) }).status).toBe(1);
      expect(netCalls()).toBe('ip route show\n');
      rmSync(join(dir, 'net-calls'));
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env(ganeti), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const b = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env({ ...ganeti, INTERFACE: 'tap14', MODE: 'bridged', LINK: 'br0' }), encoding: 'utf8' });
      expect(b.status, b.stderr).toBe(0);
      expect(calls()).toEqual([
        ['bind', 'tap13', '--mac', 'aa:00:00:00:00:13', '--hostname', 'vm13', '--ip', '203.0.113.13', '--subnet', '203.0.113.0/24',
          '--gateway', '203.0.113.1', '--subnet6', '2001:db8:13::/64', '--gateway6', '2001:db8:13::1', '--routed', 'yes'],
        ['announce', 'tap13'],
        ['bind', 'tap14', '--mac', 'aa:00:00:00:00:13', '--hostname', 'vm13', '--ip', '203.0.113.13', '--subnet', '203.0.113.0/24',
          '--gateway', '203.0.113.1', '--subnet6', '2001:db8:13::/64', '--gateway6', '2001:db8:13::1', '--indev', 'br0', '--routed', 'no'],
        ['announce', 'tap14'],
      ]);
      expect(netCalls()).toBe('');
    });

    it('onlinkd-ifup with onlinkd down writes ROUTED=yes into the binding file', () => {
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env({ ...ganeti, FAKE_DOWN: '1' }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const text = readFileSync(join(dir, 'bindings/tap13'), 'utf8');
      expect(text).toMatch(/^ROUTED=yes$/m);
      const parsed = parseBindingFile('tap13', text);
      expect(parsed.ok && parsed.binding.routed).toBe(true);
      expect(netCalls()).toBe('');
    });

    it('onlinkd-ifdown only unbinds (onlinkd removes its routes), up or down', () => {
      writeFileSync(join(dir, 'bindings/tap13'), 'MAC=aa:00:00:00:00:13\nROUTED=yes\n');
      for (const extra of [{}, { FAKE_DOWN: '1' }] as Array<Record<string, string>>) {
        const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifdown'), [], { env: env({ ...ganeti, ...extra }), encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
      expect(calls()).toEqual([['unbind', 'tap13'], ['unbind', 'tap13'], ['status']]);
      expect(existsSync(join(dir, 'bindings/tap13'))).toBe(false);
      expect(netCalls()).toBe('');
    });

    it('the libvirt qemu hook binds with --routed yes', () => {
      const confDir = join(dir, 'etc');
      const hook = join(dir, 'qemu');
      writeFileSync(hook, readFileSync(join(HOOKS, 'libvirt/qemu'), 'utf8').replaceAll('/etc/onlinkd/libvirt/', `${confDir}/`));
      chmodSync(hook, 0o755);
      mkdirSync(confDir);
      writeFileSync(join(confDir, 'vm13'), '52:54:00:00:00:13 203.0.113.13/24 203.0.113.1\n');
      const xml = `<domain><devices><interface type='ethernet'><mac address='52:54:00:00:00:13'/><target dev='vm13-0'/></interface></devices></domain>`;
      for (const op of ['started', 'stopped']) {
        const r = spawnSync(hook, ['vm13', op, '-', '-'], { input: xml, env: env({}), encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
      expect(calls()).toEqual([
        ['bind', 'vm13-0', '--mac', '52:54:00:00:00:13', '--ip', '203.0.113.13', '--subnet', '203.0.113.0/24', '--gateway', '203.0.113.1', '--hostname', 'vm13', '--routed', 'yes'],
        ['announce', 'vm13-0'],
        ['unbind', 'vm13-0'],
      ]);
      expect(netCalls()).toBe('');
    });
  });

  describe('ganeti hooks when onlinkd is down (issue 16)', () => {
    const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH, ONLINKCTL: fake, ONLINKD_DATAPATH: join(dir, 'bindings'), ...extra });
    const vm = { INTERFACE: 'tap12', MAC: 'aa:00:00:00:00:12', IP: '203.0.113.12', INSTANCE: 'vm12', NETWORK_SUBNET: '203.0.113.0/24', NETWORK_GATEWAY: '203.0.113.1', NETWORK_SUBNET6: '2001:db8:12::/64' };
    beforeEach(() => mkdirSync(join(dir, 'bindings')));

    it('onlinkd-ifup writes the binding file atomically instead of failing the ifup', () => {
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env({ ...vm, FAKE_DOWN: '1' }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/onlinkd does not answer; writing .*tap12/);
      expect(readdirSync(join(dir, 'bindings'))).toEqual(['tap12']); // no temp file left
      const text = readFileSync(join(dir, 'bindings/tap12'), 'utf8');
      expect(text).toBe('MAC=aa:00:00:00:00:12\nHOSTNAME=vm12\nIP=203.0.113.12\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\nSUBNET6=2001:db8:12::/64\n');
      // What it wrote is a binding onlinkd accepts, with the same values onlinkctl would have sent.
      const parsed = parseBindingFile('tap12', text);
      expect(parsed.ok, parsed.ok ? '' : parsed.error.message).toBe(true);
      expect(parsed.ok && parsed.binding).toMatchObject({ mac: 'aa:00:00:00:00:12', ip: '203.0.113.12', hostname: 'vm12' });
    });

    it('onlinkd-ifup writes a value sh would expand quoted: sourced, it reads back exactly and runs nothing', () => {
      const marker = join(dir, 'pwned');
      const hostile = `vm'$(touch ${marker})\`id\` b\\c`;
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env({ ...vm, INSTANCE: hostile, FAKE_DOWN: '1' }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const file = join(dir, 'bindings/tap12');
      const sourced = spawnSync('sh', ['-c', '. "$1"; printf %s "$HOSTNAME"', 'sh', file], { encoding: 'utf8' });
      expect(sourced.stdout).toBe(hostile);
      expect(existsSync(marker)).toBe(false);
    });

    it('onlinkd-ifup still fails when the daemon answers and refuses the binding, writing nothing', () => {
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env({ ...vm, FAKE_REFUSE: '1' }), encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(readdirSync(join(dir, 'bindings'))).toEqual([]);
    });

    it('onlinkd-ifup fails when the file cannot be written either', () => {
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifup'), [], { env: env({ ...vm, FAKE_DOWN: '1', ONLINKD_DATAPATH: join(dir, 'missing') }), encoding: 'utf8' });
      expect(r.status).not.toBe(0);
    });

    it('onlinkd-ifdown removes the binding file', () => {
      writeFileSync(join(dir, 'bindings/tap12'), 'MAC=aa:00:00:00:00:12\n');
      const r = spawnSync(join(HOOKS, 'ganeti/onlinkd-ifdown'), [], { env: env({ INTERFACE: 'tap12', FAKE_DOWN: '1' }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(dir, 'bindings/tap12'))).toBe(false);
    });

    it('the hooks do not take the names snf-network installs', () => {
      expect(readdirSync(join(HOOKS, 'ganeti')).sort()).toEqual(['onlinkd-ifdown', 'onlinkd-ifup']);
    });
  });
});
