/**
 * systemd/nfdhcpd-migration.conf (issue 16, item 7): the drop-in that lets
 * the hardened unit (ProtectSystem=strict) use /var/lib/nfdhcpd passes
 * `systemd-analyze verify` together with the unit, and says what it must.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const UNIT = fileURLToPath(new URL('../../systemd/onlinkd.service', import.meta.url));
const DROPIN = fileURLToPath(new URL('../../systemd/nfdhcpd-migration.conf', import.meta.url));
const SBIN = '/usr/sbin/onlinkd';
const have = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'onl16-dropin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** verify of the unit with `dropin` as onlinkd.service.d/nfdhcpd-migration.conf; ExecStart's program stands in as in systemd-unit.test.ts. */
function verify(dropin: string) {
  const d = mkdtempSync(join(dir, 'v-'));
  const stand = join(d, 'onlinkd');
  writeFileSync(stand, '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(d, 'onlinkd.service'), readFileSync(UNIT, 'utf8').replaceAll(`${SBIN} `, `${stand} `));
  mkdirSync(join(d, 'onlinkd.service.d'));
  writeFileSync(join(d, 'onlinkd.service.d/nfdhcpd-migration.conf'), dropin.replaceAll(`${SBIN} `, `${stand} `));
  return spawnSync('systemd-analyze', ['verify', '--man=no', join(d, 'onlinkd.service')], { encoding: 'utf8', timeout: 30_000 });
}

describe('systemd/nfdhcpd-migration.conf', () => {
  const text = readFileSync(DROPIN, 'utf8');

  it('makes /var/lib/nfdhcpd writable under ProtectSystem=strict and points onlinkd at it', () => {
    expect(readFileSync(UNIT, 'utf8')).toMatch(/^ProtectSystem=strict$/m);
    expect(text).toMatch(/^StateDirectory=nfdhcpd$/m);
    // ExecStart= is reset first, or systemd refuses a second ExecStart for a non-oneshot unit.
    expect(text).toMatch(/^ExecStart=\nExecStart=\/usr\/sbin\/onlinkd --config \/etc\/onlinkd\/onlinkd\.conf --datapath \/var\/lib\/nfdhcpd$/m);
  });

  it.runIf(have || !!process.env.CI)('passes systemd-analyze verify with the unit', () => {
    const r = verify(text);
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it.runIf(have || !!process.env.CI)('verify reads the drop-in (a bad one fails: the check above can fail)', () => {
    const r = verify(text.replace('ExecStart=\n', ''));
    expect(r.status !== 0 || r.stderr.trim() !== '').toBe(true);
  });
});
