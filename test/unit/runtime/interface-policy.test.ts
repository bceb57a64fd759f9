/**
 * Issue 11, defect 10: the loopback and the uplinks are never bound. Refused
 * at binding-add (result 1), for binding files (rejected, last good binding
 * stays), and by the tap table whatever the source (no attach, so no packet
 * socket; reported once). An attached interface that is not a tap or veth is
 * reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeLinks } from '../../helpers/path-rig.js';
import { BindingDirectory } from '../../../src/bindings/directory.js';
import { BindingStore } from '../../../src/bindings/store.js';
import type { SettingsOverrides } from '../../../src/config/config.js';
import { settingsWith } from '../../helpers/settings.js';
import { bindingView } from '../../../src/control/binding-view.js';
import { dispatch } from '../../../src/control/dispatch.js';
import { formatBindingShow } from '../../../src/cli/onlinkctl-format.js';
import { IFF_LOOPBACK, InterfacePolicy } from '../../../src/runtime/interface-policy.js';
import { TapTable, type LinkInfo, type Tap } from '../../../src/runtime/tap-table.js';
import { FakeContext, ROOT, binding } from '../control/fake-context.js';

const FILE = (extra = '') => `MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n${extra}`;
const link = (ifindex: number, name: string, more: Partial<LinkInfo> = {}): LinkInfo => ({
  ifindex, name, mac: `fe:00:00:00:00:${ifindex.toString(16).padStart(2, '0')}`, up: true, running: true, flags: 0x1043, kind: 'tun', ...more,
});

function world() {
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
  let settings = settingsWith({ announce: { uplink: 'eth0', uplink6: 'bond0' } });
  const store = new BindingStore();
  const links = new FakeLinks();
  const policy = new InterfacePolicy(store, () => settings, () => links);
  /** A reload: the policy sees new settings from its next call on. */
  const reload = (o: SettingsOverrides) => void (settings = settingsWith(o, settings));
  const taps = new TapTable(store, links, log, policy);
  const attached: string[] = [];
  taps.on('attached', (t: Tap) => attached.push(t.binding.tap));
  return { logs, log, reload, store, links, policy, taps, attached };
}

describe('binding-add refuses the loopback and the uplinks (result 1)', () => {
  async function add(args: Record<string, unknown>) {
    const w = world();
    w.store.set(binding('tap20', FILE('UPLINK=vlan42\n')));
    w.links.add(link(1, 'lo', { flags: 0x49 | IFF_LOOPBACK, kind: undefined }));
    const ctx = new FakeContext();
    Object.assign(ctx, { refuseBinding: (b: Parameters<InterfacePolicy['refuseBinding']>[0]) => w.policy.refuseBinding(b) });
    const r = await dispatch({ command: 'binding-add', arguments: { mac: 'aa:00:00:00:00:10', ip: '203.0.113.10', subnet: '203.0.113.0/24', gateway: '203.0.113.1', ...args } }, ctx, ROOT);
    return { r, calls: ctx.calls };
  }

  it.each([
    ['lo', {}, /tap: interface lo is .*loopback/],
    ['eth0', {}, /tap: interface eth0 is an uplink \(\[announce\] uplink\)/],
    ['bond0', {}, /tap: interface bond0 is an uplink \(\[announce\] uplink6\)/],
    ['vlan42', {}, /tap: interface vlan42 is an uplink \(UPLINK\/UPLINK6 of a binding\)/],
    ['tap10', { uplink: 'tap10' }, /uplink: tap10 is the binding's own tap/],
    ['tap10', { uplink6: 'lo' }, /uplink6: lo is the loopback interface/],
  ])('%s %j', async (tap, extra, text) => {
    const { r, calls } = await add({ tap, ...extra });
    expect(r.result).toBe(1);
    expect(r.text).toMatch(text);
    expect(calls.filter((c) => c.startsWith('add'))).toEqual([]); // nothing written, nothing applied
  });

  it('an ordinary tap is added', async () => {
    const { r } = await add({ tap: 'tap10', uplink: 'eth0' });
    expect(r.result).toBe(0);
  });

  it('a live interface with IFF_LOOPBACK is refused whatever its name', async () => {
    const w = world();
    w.links.add(link(5, 'lo2', { flags: IFF_LOOPBACK | 1 }));
    expect(w.policy.refuseBinding(binding('lo2', FILE()))?.detail).toMatch(/loopback interface \(IFF_LOOPBACK\)/);
  });
});

describe('binding files for the loopback or an uplink are rejected; the last good binding stays', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects lo and eth0 like a file that does not parse, and keeps tap10 whose rewrite names itself as uplink', async () => {
    dir = mkdtempSync(join(tmpdir(), 'onlinkd-policy-'));
    const w = world();
    writeFileSync(join(dir, 'lo'), FILE());
    writeFileSync(join(dir, 'eth0'), FILE('MACSPOOF=1\n'));
    writeFileSync(join(dir, 'tap10'), FILE());
    const bd = new BindingDirectory(dir, w.store, w.log, { settleMs: 5, rescanMs: 60_000, admit: (b) => w.policy.refuseBinding(b) });
    try {
      await bd.start();
      expect(w.store.bindings().map((b) => b.tap)).toEqual(['tap10']);
      expect(w.store.entry('lo')?.error?.message).toMatch(/interface lo is the loopback interface/);
      expect(w.store.entry('eth0')?.error?.message).toMatch(/interface eth0 is an uplink/);
      expect(w.logs.filter((l) => l.msg === 'binding file rejected').map((l) => l.tap).sort()).toEqual(['eth0', 'lo']);
      writeFileSync(join(dir, 'tap10'), FILE('UPLINK=tap10\nHOSTNAME=changed\n'));
      await bd.rescan();
      expect(w.store.get('tap10')?.hostname).toBeUndefined(); // the last good binding
      expect(w.store.entry('tap10')?.error).toMatchObject({ key: 'UPLINK' });
    } finally {
      bd.close();
    }
  });
});

describe('the tap table never attaches (opens no socket on) the loopback or an uplink', () => {
  it('a binding for an IFF_LOOPBACK interface is not attached, and reported once with the reason', () => {
    const w = world();
    w.store.set(binding('lo5', FILE())); // admitted by name (no such link yet), then the link turns out to be a loopback
    w.links.add(link(5, 'lo5', { flags: IFF_LOOPBACK | 1, kind: undefined }));
    w.links.add(link(5, 'lo5', { flags: IFF_LOOPBACK | 0x41, kind: undefined })); // link events repeat
    expect(w.attached).toEqual([]);
    expect(w.taps.lookup(5)).toBeUndefined();
    expect(w.taps.problem('lo5')).toEqual({ refused: true, message: 'interface lo5 is a loopback interface (IFF_LOOPBACK)' });
    expect(w.logs.filter((l) => String(l.msg).startsWith('binding refused'))).toHaveLength(1);
  });

  it('a bound tap that another binding names as UPLINK is detached, and attached again when that binding goes', () => {
    const w = world();
    w.links.add(link(11, 'tap11'));
    w.store.set(binding('tap11', FILE()));
    expect(w.taps.lookup(11)?.binding.tap).toBe('tap11');
    const detached: number[] = [];
    w.taps.on('detached', (_b, i) => detached.push(i));
    w.store.set(binding('tap10', FILE('UPLINK=tap11\n')));
    expect(detached).toEqual([11]);
    expect(w.taps.lookup(11)).toBeUndefined();
    expect(w.taps.problem('tap11')?.refused).toBe(true);
    w.store.remove('tap10');
    expect(w.taps.lookup(11)?.binding.tap).toBe('tap11');
    expect(w.taps.problem('tap11')).toBeUndefined();
  });

  it('a reload that makes a bound tap an uplink detaches it on recheck(); attached taps that stay allowed are left alone', () => {
    const w = world();
    w.links.add(link(11, 'tap11'));
    w.links.add(link(12, 'tap12'));
    w.store.set(binding('tap11', FILE()));
    w.store.set(binding('tap12', FILE()));
    expect(w.attached).toEqual(['tap11', 'tap12']);
    w.reload({ announce: { uplink: 'tap11' } });
    w.taps.recheck();
    expect(w.taps.lookup(11)).toBeUndefined();
    expect(w.taps.lookup(12)?.binding.tap).toBe('tap12');
    expect(w.attached).toEqual(['tap11', 'tap12']); // no second 'attached' for tap12
    w.reload({ announce: { uplink: 'eth0' } });
    w.taps.recheck();
    expect(w.attached).toEqual(['tap11', 'tap12', 'tap11']);
  });

  it('an attached interface that is not a tap or veth is served but reported (log and problem)', () => {
    const w = world();
    w.links.add(link(7, 'eth1', { kind: undefined }));
    w.links.add(link(8, 'br0', { kind: 'bridge' }));
    w.links.add(link(9, 'veth9', { kind: 'veth' }));
    for (const t of ['eth1', 'br0', 'veth9']) w.store.set(binding(t, FILE()));
    expect(w.attached).toEqual(['eth1', 'br0', 'veth9']);
    expect(w.taps.problem('eth1')).toEqual({ refused: false, message: expect.stringMatching(/no link kind .*not a tap or veth/) });
    expect(w.taps.problem('br0')?.message).toBe('interface br0 is a bridge device, not a tap or veth');
    expect(w.taps.problem('veth9')).toBeUndefined();
    expect(w.logs.filter((l) => l.msg === 'binding attached to an interface that does not look like a VM tap').map((l) => l.tap)).toEqual(['eth1', 'br0']);
  });
});

describe('onlinkctl show reports the interface problem', () => {
  it('a refused binding is in state "refused" with the reason; a suspicious one stays attached with it', () => {
    const b = binding('lo5', FILE());
    const refused = bindingView({ tap: 'lo5', binding: b, error: undefined, link: undefined, problem: { refused: true, message: 'interface lo5 is a loopback interface (IFF_LOOPBACK)' } });
    expect(refused).toMatchObject({ state: 'refused', problem: 'interface lo5 is a loopback interface (IFF_LOOPBACK)' });
    expect(formatBindingShow(refused)).toMatch(/^interface: +interface lo5 is a loopback interface \(IFF_LOOPBACK\)$/m);
    const link = { ifindex: 8, up: true, running: true, serverMac: 'fe:00:00:00:00:08' };
    const odd = bindingView({ tap: 'br0', binding: binding('br0', FILE()), error: undefined, link, problem: { refused: false, message: 'interface br0 is a bridge device, not a tap or veth' } });
    expect(odd).toMatchObject({ state: 'attached', problem: 'interface br0 is a bridge device, not a tap or veth' });
  });
});
