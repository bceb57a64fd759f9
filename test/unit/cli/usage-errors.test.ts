/**
 * Usage errors (issue 16, item 7): one line and a pointer to --help, never
 * the whole help; and onlinkd's command line overrides of [general].
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { run, USAGE } from '../../../src/cli/onlinkctl-run.js';
import { USAGE as ONLINKD_USAGE } from '../../../src/cli/onlinkd-usage.js';
import { defaultSettings } from '../../../src/config/config.js';
import { ONLINKD, assertBuilt } from '../../e2e/onlinkd.js';
import { withCommandLine } from '../../../src/runtime/settings-override.js';

async function ctl(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: {} });
  return { code, out, err };
}

describe('usage errors', () => {
  it.each([[['--bogus']], [['frobnicate']], [[]], [['show']], [['list', '--limit', '0']], [['status', '--timeout', 'x']]])('onlinkctl %j: two lines, exit 2', async (argv) => {
    const r = await ctl(argv);
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^onlinkctl: \S/);
    expect(lines[1]).toBe("Try 'onlinkctl --help' for more information.");
    expect(r.err).not.toContain('Usage:');
  });

  it('onlinkctl --help still prints the whole help', async () => {
    const r = await ctl(['--help']);
    expect(r).toMatchObject({ code: 0, out: USAGE });
  });

  it('onlinkd with an unknown option: two lines, exit 2 (the entry file, as run)', () => {
    assertBuilt();
    const r = spawnSync(process.execPath, [ONLINKD, '--bogus'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^onlinkd: .*--bogus/), "Try 'onlinkd --help' for more information."]);
  });

  it('onlinkd --help documents --control-socket', () => {
    expect(ONLINKD_USAGE).toMatch(/--control-socket PATH[\s\S]*overrides \[general\] control_socket/);
  });
});

describe('onlinkd command line overrides', () => {
  it('--control-socket and --datapath replace the file values; nothing given is the same object', () => {
    const s = defaultSettings();
    const o = withCommandLine(s, { controlSocket: '/tmp/second.sock', datapath: '/tmp/b' });
    expect(o.general).toMatchObject({ controlSocket: '/tmp/second.sock', datapath: '/tmp/b' });
    expect(s.general.controlSocket).not.toBe('/tmp/second.sock');
    expect(o.dhcp).toBe(s.dhcp);
    expect(withCommandLine(s, {})).toBe(s);
    expect(withCommandLine(s, { controlSocket: s.general.controlSocket })).toBe(s);
  });
});
