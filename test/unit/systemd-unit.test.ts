/**
 * The shipped unit stays valid and hardened: `systemd-analyze verify` is
 * clean and `systemd-analyze security --offline=true` scores it below 2.0.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNIT = fileURLToPath(new URL('../../systemd/onlinkd.service', import.meta.url));
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
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('scores below 2.0 in systemd-analyze security --offline', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT], { encoding: 'utf8', timeout: 30_000 });
    const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout + r.stderr);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(2.0);
  });

  it('starts node with the flags the tests and the bench use, as npm start and the README do', async () => {
    const { readFileSync } = await import('node:fs');
    const { ONLINKD_NODE_FLAGS } = await import('../helpers/node-flags.js');
    const flags = ONLINKD_NODE_FLAGS.join(' ');
    expect(readFileSync(UNIT, 'utf8')).toMatch(new RegExp(`^ExecStart=/usr/bin/node ${flags} /opt/onlinkd/dist/cli/onlinkd\\.js `, 'm'));
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(`node ${flags} dist/cli/onlinkd.js`);
    expect(readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')).toContain(`sudo node ${flags} dist/cli/onlinkd.js`);
  });

  it('keeps only CAP_NET_RAW and is Type=notify with a watchdog', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(UNIT, 'utf8');
    expect(text).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW$/m);
    expect(text).toMatch(/^AmbientCapabilities=CAP_NET_RAW$/m);
    expect(text).toMatch(/^Type=notify$/m);
    expect(text).toMatch(/^WatchdogSec=\d+/m);
  });
});
