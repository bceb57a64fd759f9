/**
 * The shipped unit stays valid and hardened: `systemd-analyze verify` is
 * clean and `systemd-analyze security --offline=true` scores it below 2.0;
 * it runs the package's /usr/sbin/onlinkd, which passes node the flags
 * `npm start` and the README use.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNIT = fileURLToPath(new URL('../../systemd/onlinkd.service', import.meta.url));
/** What the package installs as /usr/sbin/onlinkd, the unit's ExecStart. */
const WRAPPER = fileURLToPath(new URL('../../debian/bin/onlinkd', import.meta.url));
const SBIN = '/usr/sbin/onlinkd';
const have = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

describe('systemd/onlinkd.service', () => {
  if (!have) {
    process.stderr.write('!! systemd-analyze not found: unit checks cannot run\n');
    it.runIf(!!process.env.CI)('systemd-analyze is required in CI', () => {
      throw new Error('systemd-analyze missing (Debian package systemd)');
    });
    it.skipIf(!!process.env.CI)('SKIPPED: systemd-analyze not installed', () => undefined);
    return;
  }

  it('passes systemd-analyze verify', () => {
    // verify wants ExecStart's program to exist: /usr/sbin/onlinkd does only
    // where the package is installed (test/e2e/debian-package.test.ts
    // verifies the installed unit there), so here an executable stands in for
    // it, and the man pages of Documentation= are not looked up.
    const dir = mkdtempSync(join(tmpdir(), 'onlinkd-unit-'));
    try {
      const stand = join(dir, 'onlinkd');
      writeFileSync(stand, '#!/bin/sh\n', { mode: 0o755 });
      const text = readFileSync(UNIT, 'utf8');
      expect(text).toContain(`ExecStart=${SBIN} `);
      writeFileSync(join(dir, 'onlinkd.service'), text.replace(`ExecStart=${SBIN} `, `ExecStart=${stand} `));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'onlinkd.service')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scores below 2.0 in systemd-analyze security --offline', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT], { encoding: 'utf8', timeout: 30_000 });
    const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout + r.stderr);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(2.0);
  });

  it('with the routing drop-in (systemd/onlinkd-routing.conf): CAP_NET_ADMIN added, still below 2.0', () => {
    const dropIn = readFileSync(fileURLToPath(new URL('../../systemd/onlinkd-routing.conf', import.meta.url)), 'utf8');
    expect(dropIn).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m);
    // A drop-in's [Service] lines apply after the unit's: appended, the unit reads the same to systemd.
    const dir = mkdtempSync(join(tmpdir(), 'onlinkd-unit-'));
    try {
      const unit = join(dir, 'onlinkd.service');
      writeFileSync(unit, `${readFileSync(UNIT, 'utf8')}\n${dropIn}`);
      const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout + r.stderr).toMatch(/✗ CapabilityBoundingSet=~CAP_NET_ADMIN/); // read: the capability is there
      const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout + r.stderr);
      expect(m, r.stdout + r.stderr).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(2.0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts node with the flags the tests and the bench use, as npm start and the README do', async () => {
    const { ONLINKD_NODE_FLAGS } = await import('../helpers/node-flags.js');
    const flags = ONLINKD_NODE_FLAGS.join(' ');
    // The unit runs the package's /usr/sbin/onlinkd, which execs node with the flags (debian/rules installs it).
    expect(readFileSync(UNIT, 'utf8')).toMatch(/^ExecStart=\/usr\/sbin\/onlinkd --config \/etc\/onlinkd\/onlinkd\.conf$/m);
    expect(readFileSync(WRAPPER, 'utf8')).toMatch(new RegExp(`^exec /usr/bin/node ${flags} /usr/lib/onlinkd/dist/cli/onlinkd\\.js "\\$@"$`, 'm'));
    expect(readFileSync(fileURLToPath(new URL('../../debian/rules', import.meta.url)), 'utf8')).toContain(`debian/bin/onlinkd $(PKG)${SBIN}`);
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(`node ${flags} dist/cli/onlinkd.js`);
    expect(readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')).toContain(`sudo node ${flags} dist/cli/onlinkd.js`);
  });

  it('keeps only CAP_NET_RAW and is Type=notify with a watchdog', async () => {
    const text = readFileSync(UNIT, 'utf8');
    expect(text).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW$/m);
    expect(text).toMatch(/^AmbientCapabilities=CAP_NET_RAW$/m);
    expect(text).toMatch(/^Type=notify$/m);
    expect(text).toMatch(/^WatchdogSec=\d+/m);
  });
});
