/**
 * The uplink proxy's runtime (src/runtime/uplink-proxy.ts) with fakes
 * (uplink-proxy-rig.ts): a socket is opened for an uplink exactly while it
 * has something to answer for, follows the uplink's ifindex, survives
 * open() failing, and the index is rebuilt once per turn. Its frames:
 * uplink-proxy-frames.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { VM4, rig, uplinkLink, vm40 } from './uplink-proxy-rig.js';

describe('uplink proxy: sockets follow what there is to answer for', () => {
  it('opens a socket only for an uplink with something to answer, after the turn', () => {
    const r = rig({ uplink: 'uplink0', uplink6: 'uplink1' });
    r.links.add(uplinkLink(3, 'uplink1', 'fe:00:00:00:00:41'));
    r.bind(vm40({ eui64: undefined })); // IPv4 only: nothing for uplink1
    expect(r.opens).toBe(0); // not before the turn ends
    r.flush();
    expect(r.sockets.map((s) => s.ifindex)).toEqual([2]);
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1, v6: 0, listening: true } });
  });

  it('opens nothing for bindings that are not routed, or whose tap is down or absent', () => {
    const r = rig({ manage: false });
    r.bind(vm40());
    r.bind(vm40({ tap: 'tap41', routed: true }), false);
    r.flush();
    expect(r.opens).toBe(0);
    expect(r.proxy.answering()).toEqual({});
  });

  it('closes the socket when the last routed binding goes, or its tap goes down; opens again when one comes back', () => {
    const r = rig();
    r.bind(vm40());
    r.bind(vm40({ tap: 'tap41', ip: '203.0.113.41', eui64: undefined }));
    r.flush();
    const first = r.open();
    r.unbind('tap40');
    r.flush();
    expect(first.closed).toBe(false); // tap41 is still answered for
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1, v6: 0, listening: true } });
    r.setUp('tap41', false);
    r.flush();
    expect(first.closed).toBe(true);
    expect(r.proxy.answering()).toEqual({});
    r.setUp('tap41', true);
    r.flush();
    expect(r.sockets).toHaveLength(2);
    expect(r.open().closed).toBe(false);
  });

  it('a re-created uplink (new ifindex) gets a new socket at its link event; an unrelated link event does nothing', () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    const old = r.open(2);
    r.links.add(uplinkLink(9, 'eth9', 'fe:00:00:00:00:09'));
    expect(r.queue).toHaveLength(0); // not an uplink: no rebuild
    r.links.del(2);
    r.links.add(uplinkLink(12));
    r.flush();
    expect(old.closed).toBe(true);
    expect(r.open(12).closed).toBe(false);
    expect(r.opens).toBe(2);
  });

  it('an uplink that disappears closes its socket and is warned about once; its return opens a socket', () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    r.links.del(2);
    r.flush();
    expect(r.sockets[0]!.closed).toBe(true);
    r.proxy.changed();
    r.flush();
    expect(r.logs.filter((l) => l.level === 'warn' && /not present/.test(l.msg))).toHaveLength(1);
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1, v6: 1, listening: false } });
    r.links.add(uplinkLink(13));
    r.flush();
    expect(r.open(13).closed).toBe(false);
  });

  it('survives open() throwing: logged once, not retried on every change, retried at the uplink\'s next link event', () => {
    const r = rig();
    r.failOpen(Object.assign(new Error('socket: Operation not permitted'), { code: 'EPERM' }));
    r.bind(vm40());
    r.flush();
    expect(r.opens).toBe(1);
    r.bind(vm40({ tap: 'tap41', ip: '203.0.113.41' }));
    r.flush();
    expect(r.opens).toBe(1);
    const errors = r.logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.obj).toMatchObject({ uplink: 'uplink0', ifindex: 2, err: 'EPERM' });
    expect(r.proxy.answering().uplink0?.listening).toBe(false);
    // The operator fixes it; the uplink's next link event (same interface: flags, carrier) retries.
    r.failOpen(undefined);
    r.links.add(uplinkLink(2));
    r.flush();
    expect(r.opens).toBe(2);
    expect(r.open(2).closed).toBe(false);
    expect(r.proxy.answering().uplink0?.listening).toBe(true);
  });

  it('a failed uplink that is no longer wanted is tried again (and logged again) when it is wanted again', () => {
    const r = rig();
    r.failOpen(Object.assign(new Error('socket: Cannot allocate memory'), { code: 'ENOMEM' }));
    r.bind(vm40());
    r.flush();
    r.unbind('tap40');
    r.flush();
    r.bind(vm40());
    r.flush();
    expect(r.opens).toBe(2);
    expect(r.logs.filter((l) => l.level === 'error')).toHaveLength(2);
    r.failOpen(undefined);
    r.unbind('tap40');
    r.flush();
    r.bind(vm40());
    r.flush();
    expect(r.open(2).closed).toBe(false);
  });

  it('coalesces: a thousand changes in one turn are one rebuild', () => {
    const r = rig();
    for (let i = 0; i < 1000; i++) r.bind(vm40({ tap: `tap${1000 + i}`, ip: `203.0.${113 + (i >> 8)}.${i & 0xff}`, eui64: undefined }));
    expect(r.queue).toHaveLength(1);
    r.flush();
    expect(r.bindingReads).toBe(1);
    expect(r.opens).toBe(1);
    expect(r.proxy.answering()).toEqual({ uplink0: { v4: 1000, v6: 0, listening: true } });
    r.proxy.changed(); // the next turn schedules again
    expect(r.queue).toHaveLength(1);
  });

  it('two taps claiming one address: warned once, not at every rebuild', () => {
    const r = rig();
    r.bind(vm40());
    r.bind(vm40({ tap: 'tap41', eui64: undefined }));
    r.flush();
    r.proxy.changed();
    r.flush();
    const warns = r.logs.filter((l) => l.level === 'warn' && /two routed taps/.test(l.msg));
    expect(warns.map((w) => w.obj)).toEqual([{ address: VM4, tap: 'tap40', other: 'tap41' }]);
  });

  it('close() closes every socket, and later changes or link events open nothing', () => {
    const r = rig();
    r.bind(vm40());
    r.flush();
    r.proxy.close();
    expect(r.sockets[0]!.closed).toBe(true);
    r.proxy.changed();
    r.links.add(uplinkLink(2));
    r.flush();
    expect(r.opens).toBe(1);
  });
});
