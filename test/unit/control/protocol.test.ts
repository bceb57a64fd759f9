import { describe, expect, it } from 'vitest';
import { COMMANDS, isCommand } from '../../../src/control/commands.js';
import {
  BINDING_ADD_KEYS, MAX_REQUEST_BYTES, bindingAddArgsSchema, encodeRequest, encodeResponse, formatIssues, requestSchema, responseSchema,
} from '../../../src/control/protocol.js';

describe('control protocol', () => {
  it('knows the commands DESIGN.md requires', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual([
      'announce', 'binding-add', 'binding-del', 'binding-get', 'binding-list', 'config-reload', 'route-list', 'statistic-get', 'status-get', 'subscribe', 'version-get',
    ]);
    expect(isCommand('binding-add')).toBe(true);
    expect(isCommand('toString')).toBe(false); // no prototype keys
    expect(isCommand('__proto__')).toBe(false);
  });

  it('binding-add takes exactly the binding-file keys in lower case, plus tap', () => {
    // DESIGN.md "Names that are fixed" and the binding-file contract.
    expect([...BINDING_ADD_KEYS].sort()).toEqual([
      'arp_responder', 'bootfile', 'bootfile6', 'bootfile_efi', 'dns', 'dns6', 'domain', 'eui64', 'gateway', 'gateway6', 'hostname', 'indev', 'ip',
      'ipxe_bootfile', 'mac', 'macspoof', 'mtu', 'next_server', 'private', 'routes', 'subnet', 'subnet6', 'tags', 'tap', 'uplink', 'uplink6', 'windows',
      'mode6', 'ip6', 'prefix6', 'ipv6_only', 'captive_portal', 'routes6', 'pref64', 'routed',
    ].sort());
    expect(bindingAddArgsSchema.safeParse({ tap: 'tap10', mac: 'x', mtu: 1500, macspoof: false, private: null }).success).toBe(true);
  });

  it('requests and responses are one line each', () => {
    const req = encodeRequest('binding-add', { tap: 'tap10', hostname: 'a\nb' });
    expect(req.indexOf('\n')).toBe(req.length - 1);
    expect(requestSchema.parse(JSON.parse(req))).toEqual({ command: 'binding-add', arguments: { tap: 'tap10', hostname: 'a\nb' } });
    const res = encodeResponse({ result: 1, text: 'x\ny' });
    expect(res.indexOf('\n')).toBe(res.length - 1);
    expect(responseSchema.safeParse({ result: 4, text: '' }).success).toBe(false);
    expect(encodeRequest('version-get')).toBe('{"command":"version-get"}\n');
    expect(MAX_REQUEST_BYTES).toBe(65536);
  });

  it('formats issues with their path and names unknown keys', () => {
    const r = bindingAddArgsSchema.safeParse({ tap: 1, mac: 'x', ipv6: 'y', foo: 1 });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(formatIssues(r.error.issues, 'arguments')).toBe('arguments.tap: must be a string (interface name); arguments: unknown keys "ipv6", "foo"');
  });
});
