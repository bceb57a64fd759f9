/**
 * route-list (issue 15 item 4): what onlinkd's routing keeps, per tap, from
 * the route manager's managed() and managedRules() and the uplink proxy's
 * answering() through the daemon context, the command, and `onlinkctl
 * routes` (tables and --json) against a control server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingStore } from '../../../src/bindings/store.js';
import { formatRouteList } from '../../../src/cli/onlinkctl-format.js';
import { run } from '../../../src/cli/onlinkctl-run.js';
import { createDaemonContext, type DaemonContextDeps } from '../../../src/control/daemon-context.js';
import { dispatch } from '../../../src/control/dispatch.js';
import type { Route } from '../../../src/io/route-netlink.js';
import { Stats } from '../../../src/runtime/stats.js';
import type { LinkInfo } from '../../../src/runtime/tap-table.js';
import type { Rule } from '../../../src/io/rule-netlink.js';
import { wantedRoutes, wantedRules } from '../../../src/runtime/wanted-routes.js';
import { testBinding } from '../../helpers/binding.js';
import { settingsWith } from '../../helpers/settings.js';
import { READER, ROOT, startTestServer, type TestServer } from './fake-context.js';

const ROUTING = { manage: true, table: 254, rule: true };
const link = (ifindex: number, name: string): LinkInfo =>
  ({ ifindex, name, mac: 'fe:00:00:00:00:01', up: true, running: true, lowerUp: true, operstate: 'up', mtu: 1500, kind: 'tun' }) as LinkInfo;
const LINKS = new Map([[9, link(9, 'tap9')], [10, link(10, 'tap10')]]);

/** What the route manager holds for tap10 (IPv4, EUI64, PREFIX6 via IP6) and tap9 (IPv4), in its (insertion) order. */
function managed(): Array<{ tap: string; route: Route }> {
  const b10 = testBinding({ eui64: '2001:db8:10::a800:ff:fe00:10', ip6: '2001:db8:10::10', prefix6: { network: '2001:db8:100::', prefixLength: 56 } });
  const b9 = testBinding({ tap: 'tap9', indev: 'tap9', ip: '203.0.113.9' });
  return [
    ...wantedRoutes(b10, 10, ROUTING).map((route) => ({ tap: 'tap10', route })),
    ...wantedRoutes(b9, 9, ROUTING).map((route) => ({ tap: 'tap9', route })),
  ];
}

/** What it holds with `[routing] rule = yes`: tap10's two families' rules, none for tap9 (whose rules are not wanted here). */
function managedRules(): Array<{ tap: string; rule: Rule }> {
  const b10 = testBinding({ eui64: '2001:db8:10::a800:ff:fe00:10', ip6: '2001:db8:10::10' });
  return wantedRules(b10, ROUTING).map((rule) => ({ tap: 'tap10', rule }));
}

/** UplinkProxy.answering(), in its (insertion) order: the command sorts naturally. */
const ANSWERING = { uplink10: { v4: 0, v6: 1, listening: false }, uplink9: { v4: 2, v6: 3, listening: true } };

function context(over: Partial<DaemonContextDeps> = {}) {
  return createDaemonContext({
    store: new BindingStore(),
    datapath: () => '/nonexistent',
    stats: new Stats(),
    taps: () => undefined,
    links: () => ({ byName: () => undefined, byIndex: (i: number) => LINKS.get(i) }),
    settings: () => settingsWith({ routing: ROUTING }),
    reload: () => ({ ok: true }),
    managedRoutes: managed,
    managedRules,
    uplinkProxy: () => ANSWERING,
    startedAt: new Date('2026-01-01T00:00:00Z'),
    version: '1.2.3',
    ...over,
  });
}

const ANSWER = {
  manage: true,
  table: 254,
  rule: true,
  taps: [
    { tap: 'tap9', routes: [{ family: 'ipv4', destination: '203.0.113.9/32', table: 254, oif: 'tap9', ifindex: 9 }], rules: [] },
    {
      tap: 'tap10',
      routes: [
        { family: 'ipv4', destination: '203.0.113.10/32', table: 254, oif: 'tap10', ifindex: 10 },
        { family: 'ipv6', destination: '2001:db8:10::10/128', table: 254, oif: 'tap10', ifindex: 10 },
        // RFC 5952 §4.2.2: `::` never stands for one group (the kernel's text, which routes compare by).
        { family: 'ipv6', destination: '2001:db8:10:0:a800:ff:fe00:10/128', table: 254, oif: 'tap10', ifindex: 10 },
        { family: 'ipv6', destination: '2001:db8:100::/56', gateway: '2001:db8:10::10', table: 254, oif: 'tap10', ifindex: 10 },
      ],
      rules: [
        { family: 'ipv4', iif: 'tap10', table: 254, priority: 32700 },
        { family: 'ipv6', iif: 'tap10', table: 254, priority: 32700 },
      ],
    },
  ],
  uplinks: [
    { uplink: 'uplink9', ipv4Addresses: 2, ipv6Addresses: 3, listening: true },
    { uplink: 'uplink10', ipv4Addresses: 0, ipv6Addresses: 1, listening: false },
  ],
};

describe('route-list', () => {
  it('answers the managed routes and rules per tap (natural tap order), the oif by name, the proxied uplinks, with [routing] in force; read-only', async () => {
    const r = await dispatch({ command: 'route-list' }, context(), READER);
    expect(r).toEqual({ result: 0, text: '5 routes, 2 rules on 2 taps ([routing] manage = yes, rule = yes)', arguments: ANSWER });
  });

  it('says when [routing] manage is off (a ROUTED=yes binding may still have routes), and an oif no longer known', async () => {
    const ctx = context({
      settings: () => settingsWith({ routing: { manage: false, table: 7, rule: false } }),
      links: () => ({ byName: () => undefined, byIndex: () => undefined }),
      managedRoutes: () => managed().slice(-1),
      // A stale rule of ours without an iif, kept under the tap it was read for until swept.
      managedRules: () => [{ tap: 'tap8', rule: { family: 10, iif: '', table: 7, priority: 32700 } }],
      uplinkProxy: () => undefined,
    });
    const r = await dispatch({ command: 'route-list' }, ctx, ROOT);
    expect(r).toEqual({
      result: 0,
      text: '1 route, 1 rule on 2 taps ([routing] manage = no, rule = no)',
      arguments: {
        manage: false,
        table: 7,
        rule: false,
        taps: [
          { tap: 'tap8', routes: [], rules: [{ family: 'ipv6', iif: '', table: 7, priority: 32700 }] },
          { tap: 'tap9', routes: [{ family: 'ipv4', destination: '203.0.113.9/32', table: 254, ifindex: 9 }], rules: [] },
        ],
        uplinks: [],
      },
    });
    // Before the route manager and the proxy are open: nothing yet, not an error.
    const early = await dispatch({ command: 'route-list' }, context({ managedRoutes: () => undefined, managedRules: () => undefined, uplinkProxy: () => undefined }), ROOT);
    expect(early).toMatchObject({ result: 0, arguments: { taps: [], uplinks: [] } });
    // A context without the rule and proxy dependencies answers empty lists.
    const bare = await dispatch({ command: 'route-list' }, context({ managedRules: undefined, uplinkProxy: undefined }), ROOT);
    expect(bare).toMatchObject({ result: 0, arguments: { uplinks: [], taps: [{ tap: 'tap9', rules: [] }, { tap: 'tap10', rules: [] }] } });
  });

  it('takes no arguments; without a route manager it is unsupported', async () => {
    expect(await dispatch({ command: 'route-list', arguments: { tap: 'tap9' } }, context(), ROOT)).toMatchObject({ result: 1 });
    expect(await dispatch({ command: 'route-list' }, context({ managedRoutes: undefined }), ROOT)).toMatchObject({ result: 2 });
  });
});

describe('onlinkctl routes', () => {
  it('formats a row per route, "-" for no gateway, the ifindex when the oif has no name; then the rules and the uplinks; tolerates odd input', () => {
    const out = formatRouteList({
      ...ANSWER,
      taps: [...ANSWER.taps, { tap: 'tap11', routes: [{ family: 'ipv4', destination: '203.0.113.11/32', table: 254, ifindex: 11 }], rules: [{ family: 'ipv6', iif: '', table: 7, priority: 32700 }] }],
    });
    expect(out).toBe(
      [
        '[routing] manage = yes, table 254, rule = yes',
        'TAP    FAMILY  DESTINATION                        GATEWAY          TABLE  OIF',
        'tap9   ipv4    203.0.113.9/32                     -                254    tap9',
        'tap10  ipv4    203.0.113.10/32                    -                254    tap10',
        'tap10  ipv6    2001:db8:10::10/128                -                254    tap10',
        'tap10  ipv6    2001:db8:10:0:a800:ff:fe00:10/128  -                254    tap10',
        'tap10  ipv6    2001:db8:100::/56                  2001:db8:10::10  254    tap10',
        'tap11  ipv4    203.0.113.11/32                    -                254    #11',
        '',
        'RULES',
        'TAP    FAMILY  IIF    TABLE  PRIORITY',
        'tap10  ipv4    tap10  254    32700',
        'tap10  ipv6    tap10  254    32700',
        'tap11  ipv6    -      7      32700',
        '',
        'UPLINK PROXY (ARP/NS answered for routed VMs)',
        'UPLINK    IPV4  IPV6  LISTENING',
        'uplink9   2     3     yes',
        'uplink10  0     1     no',
        '',
      ].join('\n'),
    );
    // No rules and no uplinks: no empty tables.
    expect(formatRouteList({ manage: false, table: 254, rule: false, taps: [], uplinks: [] })).toBe('[routing] manage = no, table 254, rule = no\nno routes managed\n');
    // Rules and uplinks show even when no route does.
    expect(formatRouteList({ manage: true, table: 9, rule: true, taps: [{ tap: 't', routes: [], rules: [{ family: 'ipv4', iif: 't', table: 9, priority: 1 }] }], uplinks: [{ uplink: 'u', ipv4Addresses: 1, ipv6Addresses: 0, listening: true }] })).toBe(
      '[routing] manage = yes, table 9, rule = yes\nno routes managed\n\nRULES\nTAP  FAMILY  IIF  TABLE  PRIORITY\nt    ipv4    t    9      1\n\nUPLINK PROXY (ARP/NS answered for routed VMs)\nUPLINK  IPV4  IPV6  LISTENING\nu       1     0     yes\n',
    );
    expect(formatRouteList({ taps: [{ tap: 'x', routes: 'no', rules: 'no' }, 7], uplinks: 3 })).toBe('[routing] manage = ?, table ?, rule = ?\nno routes managed\n');
  });

  describe('against a control server', () => {
    let server: TestServer;
    const ctl = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await run(['-s', server.path, ...args], { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env: {} });
      return { code, out, err };
    };

    beforeAll(async () => {
      server = await startTestServer(context(), 'onlinkctl-routes-');
    });
    afterAll(() => server.close());

    it('prints the table, --json the raw answer; an argument is a usage error', async () => {
      const t = await ctl(['routes']);
      expect(t).toMatchObject({ code: 0, err: '' });
      expect(t.out).toBe(formatRouteList(ANSWER));
      const j = await ctl(['--json', 'routes']);
      expect(j.code).toBe(0);
      expect(JSON.parse(j.out)).toEqual(ANSWER);
      expect((await ctl(['routes', 'tap9'])).code).toBe(2);
    });
  });
});
