/**
 * Settings overrides (issue 12): the daemon never changes loaded Settings in
 * place; it makes copies that share every untouched section.
 */
import { describe, expect, it } from 'vitest';
import { defaultSettings, withOverrides } from '../../../src/config/config.js';
import { settingsForReload, withDatapath } from '../../../src/runtime/settings-override.js';

describe('settings overrides', () => {
  it('withDatapath copies, sharing the untouched sections; the original is unchanged', () => {
    const s = defaultSettings();
    const before = JSON.stringify(s);
    const o = withDatapath(s, '/tmp/bindings');
    expect(o.general.datapath).toBe('/tmp/bindings');
    expect(JSON.stringify(s)).toBe(before);
    expect(o.ipv6).toBe(s.ipv6); // a cache keyed on [ipv6] stays valid
    expect(o.general.controlSocket).toBe(s.general.controlSocket);
    expect(Object.isFrozen(o) && Object.isFrozen(o.general)).toBe(true);
    expect(withDatapath(s, undefined)).toBe(s);
    expect(withDatapath(s, s.general.datapath)).toBe(s);
  });

  it('a reload keeps the running datapath and account, with a warning; the rest is the new file', () => {
    const running = withOverrides(defaultSettings(), { general: { datapath: '/a', user: 'onlinkd', group: undefined } });
    const warned: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => void warned.push(msg) };
    const read = withOverrides(defaultSettings(), { general: { datapath: '/b', user: 'nobody', logLevel: 'debug' } });
    const next = settingsForReload(read, running, log);
    expect(next.general).toMatchObject({ datapath: '/a', user: 'onlinkd', group: undefined, logLevel: 'debug' });
    expect(read.general.datapath).toBe('/b'); // not changed in place
    expect(warned).toEqual(['datapath changes need a restart; keeping the current one', '[general] user/group changes need a restart; keeping the current ones']);
    const same = withOverrides(defaultSettings(), { general: { datapath: '/a', user: 'onlinkd', group: undefined } });
    expect(settingsForReload(same, running, log)).toBe(same);
    expect(warned).toHaveLength(2);
  });

  it('a reload keeps the running [routing] (its routes and CAP_NET_ADMIN were set up for it), with a warning', () => {
    const running = withOverrides(defaultSettings(), { routing: { manage: true, table: 254 } });
    const warned: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => void warned.push(msg) };
    const next = settingsForReload(withOverrides(defaultSettings(), { routing: { manage: false, table: 100 }, general: { logLevel: 'debug' } }), running, log);
    expect(next.routing).toEqual({ manage: true, table: 254, rule: false });
    expect(next.general.logLevel).toBe('debug');
    expect(warned).toEqual(['[routing] changes need a restart; keeping the current ones']);
    // `rule` alone is a change too (its rules were installed under it).
    const ruleOnly = withOverrides(running, { routing: { rule: true } });
    expect(settingsForReload(ruleOnly, running, log).routing.rule).toBe(false);
    expect(warned).toHaveLength(2);
  });
});
