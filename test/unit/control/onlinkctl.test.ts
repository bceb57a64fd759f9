/**
 * onlinkctl: output formatting (tables and --json) in-process, and exit
 * status / stdout / stderr of the real CLI spawned against a test server.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBindingList, formatBindingShow, formatDuration, formatStats, formatStatus, table } from '../../../src/cli/onlinkctl-format.js';
import { run } from '../../../src/cli/onlinkctl-run.js';
import { FakeContext, TAP10, binding, startTestServer, type TestServer } from './fake-context.js';

const LOADER = fileURLToPath(new URL('../io/ts-loader.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../../src/cli/onlinkctl.ts', import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', LOADER, CLI, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** The same CLI in-process (run()), for the checks that need no separate process. */
async function ctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env: {} });
  return { code, out, err };
}

describe('onlinkctl formatting', () => {
  it('table aligns columns without trailing blanks', () => {
    expect(table(['A', 'LONG'], [['xxx', 'y'], ['z', '']])).toBe('A    LONG\nxxx  y\nz\n');
  });

  it('list: one row per binding, state from the link, a marker for rejected files, paging hint', () => {
    const out = formatBindingList({
      count: 3,
      bindings: [
        { tap: 'tap2', state: 'attached', binding: { mac: 'aa:00:00:00:00:02', ip: '203.0.113.2', subnet6: '2001:db8:2::/64', hostname: 'vm2' }, link: { up: true } },
        { tap: 'tap10', state: 'waiting', binding: { mac: 'aa:00:00:00:00:10' }, error: { message: 'x' } },
        { tap: 'tap11', state: 'rejected', error: { message: 'MAC: missing' } },
      ],
      next: 'tap11',
    });
    expect(out).toBe(
      [
        'TAP    STATE         MAC                IPV4         IPV6 PREFIX      HOSTNAME',
        'tap2   up            aa:00:00:00:00:02  203.0.113.2  2001:db8:2::/64  vm2',
        'tap10  waiting (!)   aa:00:00:00:00:10',
        'tap11  rejected (!)',
        '(!) the binding file was rejected; the last good binding stays in force (see "onlinkctl show TAP")',
        'more: onlinkctl list --from tap11',
        '',
      ].join('\n'),
    );
    expect(formatBindingList({ bindings: [] })).toBe('no bindings\n');
    expect(formatBindingList(undefined)).toBe('no bindings\n'); // tolerant of odd input
  });

  it('show: key/value lines with the zoned router link-local and the error', () => {
    const out = formatBindingShow({
      tap: 'tap10',
      state: 'attached',
      binding: { mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', routes: ['10.0.0.0/8 via 203.0.113.1'], macspoof: true, private: false, indev: 'tap10' },
      link: { ifindex: 7, up: true, running: true, mac: 'fe:54:00:00:00:01', routerLinkLocal: 'fe80::fc54:ff:fe00:1%tap10' },
      error: { message: 'line 3: IP: "x" is not an IPv4 address' },
    });
    expect(out).toBe(
      [
        'tap:                tap10',
        'state:              attached',
        'MAC:                aa:00:00:00:00:10',
        'IPv4:               203.0.113.10',
        'routes:             10.0.0.0/8 via 203.0.113.1',
        'indev:              tap10',
        'flags:              macspoof',
        'ifindex:            7',
        'link:               up, running',
        'server MAC:         fe:54:00:00:00:01',
        'router link-local:  fe80::fc54:ff:fe00:1%tap10',
        'error:              line 3: IP: "x" is not an IPv4 address (last good binding stays in force)',
        '',
      ].join('\n'),
    );
  });

  it('stats and status', () => {
    const out = formatStats({
      global: { frames: 3, drops: { 'no-binding': 3 }, kernel: { packets: 9, drops: 0 } },
      taps: { tap10: { requests: { 'dhcp-discover': 2, rs: 1 }, replies: { 'dhcp-offer': 2 }, drops: {}, lastSeen: '2026-01-01T00:00:00.000Z' } },
    });
    expect(out).toContain('TAP    REQUESTS  REPLIES  DROPS  LAST SEEN\ntap10  3         2        0      2026-01-01T00:00:00.000Z\n');
    expect(out).toContain('  requests: dhcp-discover=2 rs=1\n  replies:  dhcp-offer=2\n  drops:    -\n');
    expect(out).toContain('global: frames=3 drops: no-binding=3\nkernel: packets=9 drops=0\n');
    expect(formatStatus({ version: '1.0.0', uptimeSeconds: 90061, bindings: 2 })).toBe('version:   1.0.0\nuptime:    1d 1h 1m 1s\nbindings:  2\n');
    expect(formatDuration(59)).toBe('59s');
  });
});

describe('onlinkctl against a test server', () => {
  let dir: string;
  let sock: string;
  let ctx: FakeContext;
  let server: TestServer;

  beforeAll(async () => {
    ctx = new FakeContext([binding('tap10', TAP10)]);
    server = await startTestServer(ctx, 'onlinkctl-');
    ({ dir, path: sock } = server);
  });
  afterAll(() => server.close());

  it('list (table) and list --json; ONLINKD_SOCKET selects the socket', async () => {
    const t = await cli(['list'], { ONLINKD_SOCKET: sock });
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^TAP\s+STATE\s+MAC/);
    expect(t.out).toMatch(/tap10\s+waiting\s+aa:00:00:00:00:10\s+203\.0\.113\.10\s+2001:db8:10::\/64\s+vm10/);
    const j = await cli(['--socket', sock, '--json', 'list']);
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.out);
    expect(parsed).toMatchObject({ count: 1, total: 1, bindings: [{ tap: 'tap10', binding: { ip: '203.0.113.10' } }] });
  });

  it('bind, show, unbind; not found exits 3', async () => {
    const b = await cli(['-s', sock, 'bind', 'tap30', '--mac', 'aa:00:00:00:00:30', '--ip', '203.0.113.30', '--subnet', '203.0.113.0/24',
      '--gateway', '203.0.113.1', '--mtu', '1400', '--macspoof', '--windows', '--routes', '10.0.0.0/8 via 203.0.113.1', '--routes', '10.1.0.0/16 via 203.0.113.1']);
    expect(b).toEqual({ code: 0, out: 'binding for tap30 added\n', err: '' });
    expect(ctx.infos.get('tap30')!.binding).toMatchObject({ mtu: 1400, macspoof: true, windows: true, routes: [expect.anything(), expect.anything()] });
    const s = await ctl(['-s', sock, 'show', 'tap30']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^IPv4: +203\.0\.113\.30$/m);
    expect(s.out).toMatch(/^flags: +macspoof, windows$/m);
    const sj = await ctl(['-s', sock, '--json', 'show', 'tap30']);
    expect(JSON.parse(sj.out)).toMatchObject({ tap: 'tap30', binding: { mtu: 1400 } });
    expect(await ctl(['-s', sock, 'unbind', 'tap30'])).toEqual({ code: 0, out: 'binding for tap30 removed\n', err: '' });
    const nf = await cli(['-s', sock, 'show', 'tap30']);
    expect(nf).toEqual({ code: 3, out: '', err: 'onlinkctl: no binding for tap "tap30"\n' });
    const nfj = await cli(['-s', sock, '--json', 'unbind', 'tap30']);
    expect(nfj.code).toBe(3);
    expect(JSON.parse(nfj.out)).toEqual({ result: 3, text: 'no binding for tap "tap30"' });
  });

  it('bind --arp-responder yes|no sets the typed key; show prints it; another word is a usage error', async () => {
    expect((await cli(['-s', sock, 'bind', 'tap32', '--mac', 'aa:00:00:00:00:32', '--arp-responder', 'no'])).code).toBe(0);
    expect(ctx.infos.get('tap32')!.binding!.arpResponder).toBe(false);
    expect((await ctl(['-s', sock, 'show', 'tap32'])).out).toMatch(/^ARP responder: +no$/m);
    expect((await cli(['-s', sock, 'bind', 'tap32', '--mac', 'aa:00:00:00:00:32', '--arp-responder', 'maybe'])).code).toBe(2);
    await ctl(['-s', sock, 'unbind', 'tap32']);
  });

  it('a binding the daemon rejects exits 1 with the binding-file message', async () => {
    const r = await cli(['-s', sock, 'bind', 'tap31', '--mac', 'aa:00:00:00:00:31', '--ip', '203.0.113.300', '--subnet', '203.0.113.0/24']);
    expect(r).toEqual({ code: 1, out: '', err: 'onlinkctl: invalid binding: ip: "203.0.113.300" is not an IPv4 address\n' });
    const m = await ctl(['-s', sock, 'bind', 'tap31', '--mac', 'aa:00:00:00:00:31', '--mtu', 'big']);
    expect(m.err).toBe('onlinkctl: invalid binding: mtu: "big" is not an MTU (68..65535)\n');
  });

  it('status, version, stats, reload, announce', async () => {
    const st = await ctl(['-s', sock, 'status']);
    expect(st.code).toBe(0);
    expect(st.out).toContain('uptime:          1h 2m 5s\n');
    const v = await ctl(['-s', sock, 'version']);
    expect(v.out).toMatch(/^onlinkd 9\.9\.9\nonlinkctl \d+\.\d+\.\d+/);
    ctx.counters.set('tap10', { requests: { rs: 1 }, replies: { ra: 1 }, drops: {}, lastSeen: undefined });
    const s = await ctl(['-s', sock, 'stats', 'tap10']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^TAP\s+REQUESTS/);
    expect((await ctl(['-s', sock, 'stats', 'tap77'])).code).toBe(3);
    expect(await ctl(['-s', sock, 'reload'])).toEqual({ code: 0, out: 'configuration reloaded\n', err: '' });
    expect((await ctl(['-s', sock, 'announce', 'tap10'])).code).toBe(0);
    expect((await ctl(['-s', sock, 'announce', 'tap99'])).code).toBe(3);
  });

  it('usage errors exit 2 without contacting the daemon', async () => {
    for (const args of [[], ['frobnicate'], ['show'], ['bind', 'tap1'], ['list', '--mac', 'x'], ['--bogus'], ['stats', 'a', 'b'], ['-t', 'soon', 'list']]) {
      const r = await run(['-s', join(dir, 'none.sock'), ...args], { stdout: () => undefined, stderr: () => undefined, env: {} });
      expect(r, args.join(' ')).toBe(2);
    }
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Exit status: 0 success');
  });

  it('a missing daemon exits 1 with a hint', async () => {
    const r = await cli(['-s', join(dir, 'none.sock'), 'list']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`onlinkctl: no control socket at ${join(dir, 'none.sock')}: is onlinkd running? (use --socket or ONLINKD_SOCKET for another path)\n`);
  });
});
