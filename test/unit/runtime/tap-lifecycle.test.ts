/**
 * TapLifecycle (issue 12): the one subscriber to the tap table, in the order
 * it states. Recorded against a real BindingStore and TapTable with fake
 * parts: every call lands in one list, so the tests read as the order.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { BindingStore } from '../../../src/bindings/store.js';
import { TapLifecycle } from '../../../src/runtime/tap-lifecycle.js';
import { TapTable, type LinkInfo } from '../../../src/runtime/tap-table.js';
import { FakeLinks } from '../../helpers/path-rig.js';
import { defaultSettings } from '../../../src/config/config.js';

function binding(tap: string, mac = 'aa:00:00:00:00:10', more = 'SUBNET6=2001:db8:10::/64\n') {
  const r = parseBindingFile(tap, `MAC=${mac}\n${more}`);
  if (!r.ok) throw new Error(r.error.message);
  return r.binding;
}

const link = (ifindex: number, name: string, up = true): LinkInfo => ({ ifindex, name, mac: 'fe:00:00:00:00:01', up, running: up });

function rig(o: { openFails?: boolean } = {}) {
  const calls: string[] = [];
  const errors: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'error' }, { write: (l: string) => void errors.push(JSON.parse(l) as Record<string, unknown>) });
  const store = new BindingStore();
  const links = new FakeLinks();
  const taps = new TapTable(store, links, log);
  const open = new Set<number>();
  let openFails = o.openFails ?? false;
  const lifecycle = new TapLifecycle({
    taps,
    links,
    store,
    sockets: {
      open: (ifindex, tap) => {
        calls.push(`socket-open ${tap}`);
        if (openFails) return { ok: false, error: 'EMFILE' };
        open.add(ifindex);
        return { ok: true };
      },
      has: (ifindex) => open.has(ifindex),
      close: (ifindex) => void (calls.push(`socket-close ${ifindex}`), open.delete(ifindex)),
    },
    ra: {
      attach: (t) => void calls.push(`ra-attach ${t.binding.tap} burst=${t.link.up}`),
      linkChanged: (t, wasUp) => void calls.push(`ra-link ${t.binding.tap} wasUp=${wasUp}`),
      detach: (i) => void calls.push(`ra-detach ${i}`),
    },
    raSender: { final: (t) => (calls.push(`final-ra ${t.binding.tap} ${t.binding.subnet6?.network ?? '-'}`), true) },
    withdrawals: {
      withdraw: (tap, prefix, len, valid) => void calls.push(`withdraw ${tap} ${prefix}/${len} ${valid}`),
      forget: (tap) => void calls.push(`withdraw-forget ${tap}`),
    },
    settings: () => defaultSettings(),
    announcer: {
      announce: (t, reason) => (calls.push(`announce ${t.binding.tap} ${reason}`), []),
      cancel: (tap) => void calls.push(`announce-cancel ${tap}`),
    },
    path: { forget: (tap) => void calls.push(`path-forget ${tap}`) },
    status: { changed: () => void calls.push('status') },
    log,
  });
  return { calls, errors, store, links, taps, lifecycle, open, setOpenFails: (v: boolean) => void (openFails = v) };
}

describe('TapLifecycle', () => {
  it('a binding meets an up tap: socket, RA schedule with burst, announcement, status — in that order', () => {
    const r = rig();
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10'));
    r.store.set(binding('tap10'));
    expect(r.calls).toEqual(['socket-open tap10', 'ra-attach tap10 burst=true', 'announce tap10 binding-added', 'status']);
  });

  it('a binding for a down tap: no announcement until the tap comes up; then RA burst and announcement', () => {
    const r = rig();
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10', false));
    r.store.set(binding('tap10'));
    expect(r.calls).toEqual(['socket-open tap10', 'ra-attach tap10 burst=false', 'status']);
    r.calls.length = 0;
    r.links.add(link(7, 'tap10', true));
    expect(r.calls).toEqual(['ra-link tap10 wasUp=false', 'announce tap10 tap-up']);
    r.calls.length = 0;
    r.links.add(link(7, 'tap10', true)); // another event, still up: nothing new
    expect(r.calls).toEqual(['ra-link tap10 wasUp=true']);
  });

  it('a binding removed while its tap lives: schedules stopped, final RA through the still-open socket, then it closes', () => {
    const r = rig();
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10'));
    r.store.set(binding('tap10'));
    r.calls.length = 0;
    r.store.remove('tap10');
    expect(r.calls).toEqual(['ra-detach 7', 'announce-cancel tap10', 'final-ra tap10 2001:db8:10::', 'socket-close 7', 'path-forget tap10', 'status']);
  });

  it('no final RA when the tap went away, is down, or the binding was replaced', () => {
    const r = rig();
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10'));
    r.store.set(binding('tap10'));
    r.calls.length = 0;
    r.links.del(7);
    expect(r.calls).toEqual(['ra-detach 7', 'announce-cancel tap10', 'withdraw-forget tap10', 'socket-close 7', 'path-forget tap10', 'status']);
    r.links.add(link(8, 'tap10', false));
    r.calls.length = 0;
    r.store.remove('tap10');
    expect(r.calls.filter((c) => c.startsWith('final-ra'))).toEqual([]);
    r.links.add(link(9, 'tap11'));
    r.store.set(binding('tap11'));
    r.calls.length = 0;
    r.store.set(binding('tap11', 'aa:00:00:00:00:11')); // replaced: detached and attached again
    expect(r.calls.filter((c) => c.startsWith('final-ra') || c.startsWith('withdraw'))).toEqual([]); // same SUBNET6: nothing withdrawn
    expect(r.calls).toContain('announce tap11 binding-added');
  });

  it('a binding whose SUBNET6 changes while the tap lives: the old prefix withdrawn (2 h, RFC 9096) before the new RA burst', () => {
    const r = rig();
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10'));
    r.store.set(binding('tap10'));
    r.calls.length = 0;
    r.store.set(binding('tap10', undefined, 'SUBNET6=2001:db8:20::/64\n'));
    expect(r.calls).toEqual(['socket-open tap10', 'withdraw tap10 2001:db8:10::/64 7200', 'ra-attach tap10 burst=true', 'announce tap10 binding-added', 'status']);
  });

  it('a binding that stops advertising (SUBNET6 gone, MODE6=none): the old binding\'s final RA, as on removal', () => {
    const r = rig();
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10'));
    r.store.set(binding('tap10'));
    r.calls.length = 0;
    r.store.set(binding('tap10', undefined, 'SUBNET6=2001:db8:10::/64\nMODE6=none\n'));
    expect(r.calls.slice(0, 3)).toEqual(['socket-open tap10', 'final-ra tap10 2001:db8:10::', 'ra-attach tap10 burst=true']);
    r.calls.length = 0;
    r.store.set(binding('tap10', undefined, ''));
    expect(r.calls.filter((c) => c.startsWith('final-ra') || c.startsWith('withdraw'))).toEqual([]); // nothing was advertised under none
  });

  it('start-up: while bindings load only sockets open; serve() then starts every bound tap\'s RAs without announcing', () => {
    const r = rig();
    r.links.add(link(7, 'tap10'));
    r.links.add(link(8, 'tap11', false));
    r.store.set(binding('tap10'));
    r.store.set(binding('tap11'));
    r.links.add(link(7, 'tap10')); // a link event while loading
    expect(r.calls).toEqual(['socket-open tap10', 'socket-open tap11']);
    r.calls.length = 0;
    r.lifecycle.serve();
    expect(r.calls).toEqual(['socket-open tap10', 'ra-attach tap10 burst=true', 'socket-open tap11', 'ra-attach tap11 burst=false']);
    expect(r.calls.filter((c) => c.startsWith('announce'))).toEqual([]);
  });

  it('a socket that failed to open is logged and opened again on the tap\'s next link event', () => {
    const r = rig({ openFails: true });
    r.lifecycle.serve();
    r.links.add(link(7, 'tap10'));
    r.store.set(binding('tap10'));
    expect(r.errors).toMatchObject([{ tap: 'tap10', ifindex: 7, err: 'EMFILE', msg: 'cannot open a packet socket on the tap; its guest is not answered' }]);
    r.setOpenFails(false);
    r.calls.length = 0;
    r.links.add(link(7, 'tap10'));
    expect(r.calls[0]).toBe('socket-open tap10');
    expect(r.open.has(7)).toBe(true);
    r.calls.length = 0;
    r.links.add(link(7, 'tap10'));
    expect(r.calls.filter((c) => c.startsWith('socket-open'))).toEqual([]); // open: not again
  });
});
