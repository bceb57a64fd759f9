import { describe, expect, it } from 'vitest';
import { bindingFileText, parseBindingFile } from '../../../src/bindings/binding-file.js';
import { bindingFromArgs } from '../../../src/bindings/binding-args.js';
import { answerLine, dispatch, handleLine, parseLine, type AuditEvent } from '../../../src/control/dispatch.js';
import { COMMANDS, isMutating, type CommandName } from '../../../src/control/commands.js';
import { compareNatural as compareTaps } from '../../../src/util/natural-order.js';
import { FakeContext, READER, ROOT, TAP10, binding } from './fake-context.js';

const BASE = { tap: 'tap10', mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', subnet: '203.0.113.0/24', gateway: '203.0.113.1' };
const BASE_FILE = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n';

function ctxWithTap10(): FakeContext {
  return new FakeContext([binding('tap10', TAP10)]);
}

describe('dispatch: envelope', () => {
  it('malformed JSON is result 1 with the parser reason', async () => {
    const audit: AuditEvent[] = [];
    const r = await handleLine('{"command": "version-get"', new FakeContext(), ROOT, { audit: (e) => audit.push(e) });
    expect(r.result).toBe(1);
    expect(r.text).toMatch(/^malformed JSON: /);
    expect(audit).toEqual([expect.objectContaining({ event: 'bad-request', uid: 0 })]);
  });

  it('parseLine parses once: the request, or the reason answerLine audits and answers without parsing again', async () => {
    expect(parseLine('{"command": "version-get"}')).toEqual({ ok: true, request: { command: 'version-get' } });
    expect(parseLine('null')).toEqual({ ok: true, request: null });
    const bad = parseLine('{oops');
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(/^malformed JSON: /) });
    if (bad.ok) return;
    const audit: AuditEvent[] = [];
    const r = await answerLine(bad, new FakeContext(), ROOT, { audit: (e) => audit.push(e) });
    expect(r).toEqual({ result: 1, text: bad.reason });
    expect(audit).toEqual([{ event: 'bad-request', command: undefined, reason: bad.reason, uid: 0 }]);
    // A parsed request is dispatched as it is.
    const ok = await answerLine(parseLine('{"command": "version-get"}'), new FakeContext(), ROOT);
    expect(ok).toEqual(await dispatch({ command: 'version-get' }, new FakeContext(), ROOT));
  });

  it.each([
    ['a string', '"version-get"', /request/],
    ['null', 'null', /request/],
    ['an array', '[]', /request/],
    ['no command', '{}', /command/],
    ['a numeric command', '{"command": 5}', /command: must be a string/],
    ['an empty command', '{"command": ""}', /command: must not be empty/],
    ['arguments that are not an object', '{"command": "binding-get", "arguments": [1]}', /arguments: must be a JSON object/],
    ['an unknown top-level key', '{"command": "version-get", "service": ["dhcp4"]}', /unknown key "service"/],
  ])('%s is result 1', async (_what, line, message) => {
    const r = await handleLine(line, new FakeContext(), ROOT);
    expect(r.result).toBe(1);
    expect(r.text).toMatch(message);
  });

  it('an unknown command is result 2 and lists the supported ones', async () => {
    const r = await dispatch({ command: 'lease-get' }, new FakeContext(), ROOT);
    expect(r.result).toBe(2);
    expect(r.text).toContain('"lease-get"');
    expect(r.text).toContain('binding-add');
  });

  it('an unknown argument key is result 1 naming the key, for every command', async () => {
    for (const command of Object.keys(COMMANDS)) {
      const args = command === 'binding-add' ? { ...BASE, ipv6: 'x' } : { tap: 'tap10', ipv6: 'x' };
      const r = await dispatch({ command, arguments: args }, ctxWithTap10(), ROOT);
      expect(r.result, command).toBe(1);
      expect(r.text, command).toMatch(/unknown key.*"ipv6"/);
    }
  });

  it('classifies commands: only binding-add, binding-del, announce and config-reload mutate', () => {
    const mutating = (Object.keys(COMMANDS) as CommandName[]).filter(isMutating).sort();
    expect(mutating).toEqual(['announce', 'binding-add', 'binding-del', 'config-reload']);
  });

  it('a read-only peer may read but not mutate, and the denial is audited', async () => {
    const ctx = ctxWithTap10();
    const audit: AuditEvent[] = [];
    for (const command of Object.keys(COMMANDS) as CommandName[]) {
      const args = command === 'binding-add' ? BASE : ['binding-get', 'binding-del', 'announce'].includes(command) ? { tap: 'tap10' } : {};
      const r = await dispatch({ command, arguments: args }, ctx, READER, { audit: (e) => audit.push(e) });
      if (isMutating(command)) {
        expect(r, command).toEqual({ result: 1, text: 'permission denied' });
      } else {
        expect(r.result, command).toBe(0);
      }
    }
    expect(ctx.calls.some((c) => /^(add|del|announce|reload)/.test(c))).toBe(false);
    expect(audit.filter((e) => e.event === 'denied').map((e) => (e as { command: string }).command).sort()).toEqual([
      'announce', 'binding-add', 'binding-del', 'config-reload',
    ]);
  });

  it('an exception in the context is result 1, never a crash', async () => {
    const ctx = ctxWithTap10();
    ctx.addError = new Error('cannot write binding file /x/tap10: read-only file system (EROFS at open)');
    const r = await dispatch({ command: 'binding-add', arguments: BASE }, ctx, ROOT);
    expect(r.result).toBe(1);
    expect(r.text).toContain('read-only file system');
  });
});

describe('dispatch: read commands', () => {
  it('version-get', async () => {
    expect(await dispatch({ command: 'version-get' }, new FakeContext(), ROOT)).toEqual({
      result: 0, text: 'onlinkd 9.9.9', arguments: { version: '9.9.9' },
    });
  });

  it('status-get', async () => {
    const r = await dispatch({ command: 'status-get', arguments: {} }, ctxWithTap10(), ROOT);
    expect(r.result).toBe(0);
    expect(r.arguments).toMatchObject({ version: '9.9.9', bindings: 1, attached: 0, datapath: '/var/lib/onlinkd' });
  });

  it('binding-get: the view, the live link with a zoned router link-local, and not found', async () => {
    const ctx = ctxWithTap10();
    ctx.infos.get('tap10')!.link = { ifindex: 7, up: true, running: true, serverMac: 'fe:54:00:00:00:01' };
    const r = await dispatch({ command: 'binding-get', arguments: { tap: 'tap10' } }, ctx, READER);
    expect(r.result).toBe(0);
    expect(r.arguments).toEqual({
      tap: 'tap10',
      state: 'attached',
      binding: {
        mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', subnet: '203.0.113.0/24', gateway: '203.0.113.1',
        subnet6: '2001:db8:10::/64', gateway6: '2001:db8:10::1', eui64: '2001:db8:10:0:a800:ff:fe00:10', hostname: 'vm10',
        macspoof: false, private: false, windows: false, indev: 'tap10',
      },
      link: { ifindex: 7, up: true, running: true, mac: 'fe:54:00:00:00:01', routerLinkLocal: 'fe80::fc54:ff:fe00:1%tap10' },
    });
    const missing = await dispatch({ command: 'binding-get', arguments: { tap: 'tap99' } }, ctx, ROOT);
    expect(missing).toEqual({ result: 3, text: 'no binding for tap "tap99"' });
  });

  it('binding-get shows a rejected file and the last good binding', async () => {
    const ctx = ctxWithTap10();
    ctx.infos.get('tap10')!.error = { message: 'line 2: IP: "300.1.1.1" is not an IPv4 address', line: 2, key: 'IP' };
    ctx.infos.set('tap11', { tap: 'tap11', binding: undefined, error: { message: 'MAC: missing', line: undefined, key: 'MAC' }, link: undefined });
    const a = await dispatch({ command: 'binding-get', arguments: { tap: 'tap10' } }, ctx, ROOT);
    expect(a.arguments).toMatchObject({ state: 'waiting', binding: { ip: '203.0.113.10' }, error: { line: 2, key: 'IP' } });
    const b = await dispatch({ command: 'binding-get', arguments: { tap: 'tap11' } }, ctx, ROOT);
    expect(b.result).toBe(0);
    expect(b.arguments).toEqual({ tap: 'tap11', state: 'rejected', error: { message: 'MAC: missing', key: 'MAC' } });
  });

  it('binding-list sorts taps by number and pages with from/limit', async () => {
    const ctx = new FakeContext(['tap10', 'tap2', 'tap1', 'eth0'].map((t) => binding(t, 'MAC=aa:00:00:00:00:01\n')));
    const all = await dispatch({ command: 'binding-list' }, ctx, ROOT);
    expect((all.arguments!.bindings as Array<{ tap: string }>).map((b) => b.tap)).toEqual(['eth0', 'tap1', 'tap2', 'tap10']);
    expect(all.arguments).toMatchObject({ count: 4, total: 4 });
    expect(all.arguments!.next).toBeUndefined();
    const p1 = await dispatch({ command: 'binding-list', arguments: { limit: 3 } }, ctx, ROOT);
    expect((p1.arguments!.bindings as Array<{ tap: string }>).map((b) => b.tap)).toEqual(['eth0', 'tap1', 'tap2']);
    expect(p1.arguments!.next).toBe('tap2');
    const p2 = await dispatch({ command: 'binding-list', arguments: { limit: 3, from: 'tap2' } }, ctx, ROOT);
    expect((p2.arguments!.bindings as Array<{ tap: string }>).map((b) => b.tap)).toEqual(['tap10']);
    expect(p2.arguments!.next).toBeUndefined();
    const bad = await dispatch({ command: 'binding-list', arguments: { limit: 0 } }, ctx, ROOT);
    expect(bad.result).toBe(1);
    expect(bad.text).toMatch(/arguments\.limit/);
  });

  it('binding-list over 4096 bindings is a fast snapshot', async () => {
    const ctx = new FakeContext();
    for (let i = 0; i < 4096; i++) {
      const mac = `aa:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      const b = binding(`tap${i}`, `MAC=${mac}\nSUBNET6=2001:db8:${i.toString(16)}::/64\n`);
      ctx.infos.set(b.tap, { tap: b.tap, binding: b, error: undefined, link: { ifindex: i + 10, up: true, running: true, serverMac: 'fe:54:00:00:00:01' } });
    }
    await dispatch({ command: 'binding-list' }, ctx, ROOT); // warm-up (JIT)
    const t0 = performance.now();
    const r = await dispatch({ command: 'binding-list' }, ctx, ROOT);
    const line = JSON.stringify(r);
    const ms = performance.now() - t0;
    expect(r.arguments!.count).toBe(4096);
    expect(line.length).toBeGreaterThan(4096 * 100);
    // Measured ~15 ms on the 2-core CI machine; the bound leaves room for a loaded host.
    expect(ms).toBeLessThan(250);
  });

  it('statistic-get: all, one tap, a bound tap without counters, an unknown tap', async () => {
    const ctx = ctxWithTap10();
    ctx.counters.set('tap10', { requests: { 'dhcp-discover': 2 }, replies: { 'dhcp-offer': 2 }, drops: {}, lastSeen: '2026-01-01T00:00:00.000Z' });
    const all = await dispatch({ command: 'statistic-get' }, ctx, ROOT);
    expect(all.arguments).toEqual({ global: { frames: 7, drops: { 'no-binding': 7 } }, taps: { tap10: ctx.counters.get('tap10') } });
    const one = await dispatch({ command: 'statistic-get', arguments: { tap: 'tap10' } }, ctx, ROOT);
    expect(one.arguments).toEqual({ taps: { tap10: ctx.counters.get('tap10') } });
    ctx.counters.clear();
    const zero = await dispatch({ command: 'statistic-get', arguments: { tap: 'tap10' } }, ctx, ROOT);
    expect(zero.result).toBe(0);
    expect(zero.arguments).toEqual({ taps: { tap10: { requests: {}, replies: {}, drops: {}, lastSeen: undefined } } });
    const none = await dispatch({ command: 'statistic-get', arguments: { tap: 'tap99' } }, ctx, ROOT);
    expect(none.result).toBe(3);
  });
});

describe('dispatch: binding-add', () => {
  it('adds, then replaces, and audits with tap, mac, ip and uid', async () => {
    const ctx = new FakeContext();
    const audit: AuditEvent[] = [];
    const r = await dispatch({ command: 'binding-add', arguments: { ...BASE, mtu: 1500, macspoof: true, routes: ['10.0.0.0/8 via 203.0.113.1'], dns: ['192.0.2.53'] } }, ctx, ROOT, { audit: (e) => audit.push(e) });
    expect(r.result).toBe(0);
    expect(r.text).toBe('binding for tap10 added');
    const b = ctx.infos.get('tap10')!.binding!;
    expect(b).toMatchObject({ mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', mtu: 1500, macspoof: true, dns: ['192.0.2.53'] });
    expect(b.routes).toEqual([{ destination: '10.0.0.0', prefixLength: 8, router: '203.0.113.1' }]);
    // The binding equals what the same keys in a file give.
    const file = parseBindingFile('tap10', `${BASE_FILE}MTU=1500\nMACSPOOF=1\nROUTES=10.0.0.0/8 via 203.0.113.1\nDNS=192.0.2.53\n`);
    expect(file.ok && file.binding).toEqual(b);
    const again = await dispatch({ command: 'binding-add', arguments: { ...BASE, ip: '203.0.113.11' } }, ctx, ROOT, { audit: (e) => audit.push(e) });
    expect(again.text).toBe('binding for tap10 replaced');
    expect(audit).toEqual([
      { event: 'binding-added', tap: 'tap10', mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', replaced: false, uid: 0 },
      { event: 'binding-added', tap: 'tap10', mac: 'aa:00:00:00:00:10', ip: '203.0.113.11', replaced: true, uid: 0 },
    ]);
  });

  it('null, "" and false mean unset, as an empty value in a file', async () => {
    const ctx = new FakeContext();
    const r = await dispatch({ command: 'binding-add', arguments: { tap: 'tap10', mac: 'AA:00:00:00:00:10', ip: null, hostname: '', private: false, mtu: null } }, ctx, ROOT);
    expect(r.result).toBe(0);
    expect(ctx.infos.get('tap10')!.binding).toMatchObject({ mac: 'aa:00:00:00:00:10', ip: undefined, hostname: undefined, private: false, mtu: undefined });
  });

  it('arp_responder is a typed key: true/false set it, null leaves [arp] responder in force; a string is a type error', async () => {
    const ctx = new FakeContext();
    expect((await dispatch({ command: 'binding-add', arguments: { ...BASE, arp_responder: false } }, ctx, ROOT)).result).toBe(0);
    expect(ctx.infos.get('tap10')!.binding!.arpResponder).toBe(false);
    const view = await dispatch({ command: 'binding-get', arguments: { tap: 'tap10' } }, ctx, ROOT);
    expect(view.arguments!.binding).toMatchObject({ arp_responder: false });
    expect((await dispatch({ command: 'binding-add', arguments: { ...BASE, arp_responder: null } }, ctx, ROOT)).result).toBe(0);
    expect(ctx.infos.get('tap10')!.binding!.arpResponder).toBeUndefined();
    const bad = await dispatch({ command: 'binding-add', arguments: { ...BASE, arp_responder: 'yes' } }, ctx, ROOT);
    expect(bad).toEqual({ result: 1, text: 'arguments.arp_responder: must be true or false' });
  });

  it('the binding-get view round-trips through binding-add', async () => {
    const ctx = new FakeContext();
    const args = { ...BASE, subnet6: '2001:db8:10::/64', gateway6: '2001:db8:10::1', eui64: '2001:db8:10::a800:ff:fe00:10', hostname: 'vm10', mtu: 9000,
      private: true, windows: true, uplink: 'eth1', uplink6: 'eth2', indev: 'br0', routes: ['10.0.0.0/8 via 203.0.113.1', '169.254.169.254/32 via 203.0.113.1'],
      dns: ['192.0.2.53', '192.0.2.54'], dns6: ['2001:db8::53'], domain: 'example.org', tags: 'a b' };
    expect((await dispatch({ command: 'binding-add', arguments: args }, ctx, ROOT)).result).toBe(0);
    const first = ctx.infos.get('tap10')!.binding;
    const view = (await dispatch({ command: 'binding-get', arguments: { tap: 'tap10' } }, ctx, ROOT)).arguments!;
    const ctx2 = new FakeContext();
    const r = await dispatch({ command: 'binding-add', arguments: { tap: 'tap10', ...(view.binding as object) } }, ctx2, ROOT);
    expect(r.result).toBe(0);
    expect(ctx2.infos.get('tap10')!.binding).toEqual(first);
  });

  // Each case: the argument and the same value in a binding file must fail with the same key and reason.
  const CASES: Array<[string, string | number | boolean]> = [
    ['mac', 'not-a-mac'],
    ['mac', ''],
    ['ip', '203.0.113.300'],
    ['ip', '198.51.100.10'],
    ['subnet', '203.0.113.0'],
    ['gateway', '198.51.100.1'],
    ['gateway', '203.0.113.10'],
    ['subnet6', '2001:db8::'],
    ['gateway6', 'fe80::1%tap10'],
    ['eui64', '2001:db9::1'],
    ['eui64', 'zzz'],
    ['mtu', 67],
    ['mtu', 70000],
    ['mtu', 'abc'],
    ['mtu', 1500.5],
    ['uplink', 'this-name-is-too-long'],
    ['indev', 'a/b'],
    ['routes', '10.0.0.0/8'],
    ['routes', '10.0.0.1/8 via 203.0.113.1'],
    ['dns', '192.0.2.1,nope'],
    ['dns6', 'fe80::1%eth0'],
    ['domain', 'bad..domain'],
    ['hostname', 'has space'],
  ];
  it.each(CASES)('%s=%s fails exactly as in a binding file', async (key, value) => {
    const fileKey = key.toUpperCase();
    const text = key === 'subnet6' || key === 'eui64' ? `${BASE_FILE}SUBNET6=2001:db8:10::/64\n${fileKey}=${value}\n` : `${BASE_FILE}${fileKey}=${value}\n`;
    const fromFile = parseBindingFile('tap10', text);
    expect(fromFile.ok).toBe(false);
    if (fromFile.ok) return;
    const args: Record<string, unknown> = { ...BASE, [key]: value };
    if (key === 'eui64') args.subnet6 = '2001:db8:10::/64';
    const ctx = new FakeContext();
    const r = await dispatch({ command: 'binding-add', arguments: args }, ctx, ROOT);
    expect(r.result).toBe(1);
    expect(r.text).toBe(`invalid binding: ${fromFile.error.key!.toLowerCase()}: ${fromFile.error.detail}`);
    expect(ctx.calls).toEqual([]); // nothing persisted or applied
  });

  it('a missing SUBNET for an IP names subnet, as the file parser does', async () => {
    const r = await dispatch({ command: 'binding-add', arguments: { tap: 'tap10', mac: 'aa:00:00:00:00:10', ip: '203.0.113.10' } }, new FakeContext(), ROOT);
    expect(r.text).toBe('invalid binding: subnet: missing: an IP needs its SUBNET (for the netmask)');
  });

  it.each([
    [{ tap: 'tap10' }, /^arguments\.mac: missing \(required\)$/],
    [{ ...BASE, ip: 5 }, /arguments\.ip: must be a string/],
    [{ ...BASE, macspoof: 'yes' }, /arguments\.macspoof: must be true or false/],
    [{ ...BASE, mtu: true }, /arguments\.mtu: must be a number/],
    [{ ...BASE, routes: [1] }, /arguments\.routes: must be a string or an array of strings/],
    [{ ...BASE, tap: 7 }, /arguments\.tap: must be a string/],
    [{ ...BASE, tap: '../etc' }, /tap: "..\/etc" is not a valid interface name/],
    [{ ...BASE, tap: '.tap10' }, /would be skipped in the state directory/],
    [{ ...BASE, tap: 'tap10.tmp' }, /would be skipped in the state directory/],
    [{ ...BASE, tap: 'tap10~' }, /not a valid interface name/],
    [{ ...BASE, hostname: 'vm10\nMACSPOOF=1' }, /hostname: contains a control character/],
    [{ ...BASE, extra: 'x' }, /unknown key "extra"/],
  ])('type and shape errors: %j', async (args, message) => {
    const ctx = new FakeContext();
    const r = await dispatch({ command: 'binding-add', arguments: args }, ctx, ROOT);
    expect(r.result).toBe(1);
    expect(r.text).toMatch(message);
    expect(ctx.infos.size).toBe(0);
  });

  it('what bindingFromArgs accepts reads back unchanged from the file written, whether that file quotes or not', () => {
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{}, false],
      [{ dns: '192.0.2.1 192.0.2.2' }, false], // the request needs quoting, the file (commas) does not
      [{ routes: '10.0.0.0/8 via 203.0.113.1' }, true],
      [{ routes: [] }, false],
      [{ tags: "it's" }, true],
      [{ tags: 'a"b' }, true],
      [{ tags: '$HOME;x' }, true],
    ];
    for (const [extra, quoted] of cases) {
      const r = bindingFromArgs({ ...BASE, ...extra } as never);
      expect(r.ok, JSON.stringify(extra)).toBe(true);
      if (!r.ok) continue;
      const file = bindingFileText(r.binding);
      expect(file.quoted, JSON.stringify(extra)).toBe(quoted);
      const again = parseBindingFile('tap10', file.text);
      expect(again.ok && again.binding, JSON.stringify(extra)).toEqual(r.binding);
    }
  });

  it('bindingFromArgs makes the file it stores once, in the format a hook writes (values as shell words, issue 11)', () => {
    const r = bindingFromArgs({ ...BASE, macspoof: true, dns: ['192.0.2.1', '192.0.2.2'], routes: ['10.0.0.0/8 via 203.0.113.1', '10.1.0.0/16 via 203.0.113.1'] });
    expect(r.ok && r.text).toBe(
      'INDEV=tap10\nIP=203.0.113.10\nMAC=aa:00:00:00:00:10\nHOSTNAME=\nTAGS=\nGATEWAY=203.0.113.1\nSUBNET=203.0.113.0/24\nGATEWAY6=\nSUBNET6=\nEUI64=\n' +
        "PRIVATE=\nMTU=\nMACSPOOF=1\nDNS=192.0.2.1,192.0.2.2\nROUTES='10.0.0.0/8 via 203.0.113.1, 10.1.0.0/16 via 203.0.113.1'\n",
    );
    expect(r.ok && parseBindingFile('tap10', r.text)).toEqual({ ok: true, binding: r.ok && r.binding });
    // A request's value is what was sent, quotes included (it used to lose a pair of outer quotes).
    const q = bindingFromArgs({ ...BASE, tags: '"x"' });
    expect(q.ok && q.binding.tags).toBe('"x"');
  });
});

describe('dispatch: binding-del, announce, config-reload', () => {
  it('binding-del removes, audits, and says not found the second time', async () => {
    const ctx = ctxWithTap10();
    const audit: AuditEvent[] = [];
    const r = await dispatch({ command: 'binding-del', arguments: { tap: 'tap10' } }, ctx, ROOT, { audit: (e) => audit.push(e) });
    expect(r).toEqual({ result: 0, text: 'binding for tap10 removed', arguments: { tap: 'tap10' } });
    expect(audit).toEqual([{ event: 'binding-removed', tap: 'tap10', mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', uid: 0 }]);
    expect((await dispatch({ command: 'binding-del', arguments: { tap: 'tap10' } }, ctx, ROOT)).result).toBe(3);
    expect((await dispatch({ command: 'binding-del', arguments: { tap: '../x' } }, ctx, ROOT)).result).toBe(1);
  });

  it('announce: sent, no binding (3), tap absent (1), unavailable (2)', async () => {
    const ctx = ctxWithTap10();
    expect((await dispatch({ command: 'announce', arguments: { tap: 'tap10' } }, ctx, ROOT)).result).toBe(0);
    expect((await dispatch({ command: 'announce', arguments: { tap: 'tap99' } }, ctx, ROOT)).result).toBe(3);
    ctx.announceResult = { ok: false, reason: 'not-attached', message: 'tap tap10 does not exist' };
    expect(await dispatch({ command: 'announce', arguments: { tap: 'tap10' } }, ctx, ROOT)).toEqual({ result: 1, text: 'tap tap10 does not exist' });
    ctx.announceResult = { ok: false, reason: 'unavailable', message: 'no announcer' };
    expect((await dispatch({ command: 'announce', arguments: { tap: 'tap10' } }, ctx, ROOT)).result).toBe(2);
    expect((await dispatch({ command: 'announce', arguments: {} }, ctx, ROOT)).text).toMatch(/arguments\.tap/);
  });

  it('config-reload reports success and failure', async () => {
    const ctx = new FakeContext();
    expect(await dispatch({ command: 'config-reload' }, ctx, ROOT)).toEqual({
      result: 0, text: 'configuration reloaded', arguments: { source: '/etc/onlinkd/onlinkd.conf' },
    });
    ctx.reloadResult = { ok: false, message: '/etc/onlinkd/onlinkd.conf:3: mtu: unknown key in [dhcp]' };
    expect(await dispatch({ command: 'config-reload' }, ctx, ROOT)).toEqual({ result: 1, text: '/etc/onlinkd/onlinkd.conf:3: mtu: unknown key in [dhcp]' });
  });
});

describe('compareTaps', () => {
  it('orders interface names naturally and totally', () => {
    const names = ['tap10', 'tap2', 'eth0', 'tap1', 'vm10-1', 'vm10-0', 'vm9-10', 'tap01', 'tap', 'br0.100', 'br0.20', 'Tap3'];
    expect([...names].sort(compareTaps)).toEqual(['Tap3', 'br0.20', 'br0.100', 'eth0', 'tap', 'tap01', 'tap1', 'tap2', 'tap10', 'vm9-10', 'vm10-0', 'vm10-1']);
    for (const a of names) {
      expect(compareTaps(a, a)).toBe(0);
      for (const b of names) if (a !== b) expect(Math.sign(compareTaps(a, b))).toBe(-Math.sign(compareTaps(b, a)));
    }
  });
});
