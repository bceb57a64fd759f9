/**
 * scripts/build-addon.mjs, npm's `install` script (issue 16, item 7): when
 * node-gyp fails (offline it cannot fetch Node's headers), the error says
 * what to do — nodedir, libnode-dev, the missing tools — and keeps the exit
 * status; when it succeeds, it is silent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-addon.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'onl16-gyp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the script with a fake node-gyp (exit `code`) first on PATH; `path` replaces the rest of PATH. */
function run(code: number, env: Record<string, string> = {}, path = process.env.PATH ?? '') {
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, 'node-gyp'), `#!/bin/sh\necho "fake node-gyp $*"\nexit ${code}\n`, { mode: 0o755 });
  return spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { PATH: `${bin}:${path}`, ...env }, timeout: 20_000 });
}

describe('scripts/build-addon.mjs', () => {
  it('is what npm ci runs as the install script', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.install).toBe('node scripts/build-addon.mjs');
  });

  it('runs node-gyp rebuild and exits 0 quietly when it works', () => {
    const r = run(0);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('fake node-gyp rebuild');
    expect(r.stderr).toBe('');
  });

  it('a failure without nodedir names npm_config_nodedir and the headers, with the exit status', () => {
    const r = run(7);
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/building the native addon failed/);
    expect(r.stderr).toMatch(/npm_config_nodedir=\/usr/);
    expect(r.stderr).toMatch(/nodedir=\/usr in ~\/\.npmrc/);
  });

  it('a nodedir without headers is named', () => {
    const r = run(1, { npm_config_nodedir: join(dir, 'nowhere') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`npm_config_nodedir=${join(dir, 'nowhere')} has no include/node/node_api.h`);
    expect(r.stderr).toMatch(/libnode-dev/);
  });

  it('missing build tools are listed', () => {
    const r = run(1, { npm_config_nodedir: '/usr' }, join(dir, 'empty'));
    expect(r.stderr).toMatch(/missing on PATH: cc, make, python3/);
  });
});
