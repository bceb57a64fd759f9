import { describe, expect, it } from 'vitest';
import { decodeDropReason, drop, dropReason, requestDrop } from '../../../src/protocols/drop.js';
import { DecodeError } from '../../../src/wire/result.js';

describe('drop builder', () => {
  it('drop decisions are shared, frozen and say their reason', () => {
    expect(drop('not-ours')).toEqual({ kind: 'drop', reason: 'not-ours' });
    expect(drop('not-ours')).toBe(drop('not-ours'));
    expect(Object.isFrozen(drop('not-ours'))).toBe(true);
    expect(requestDrop('relayed', 3)).toEqual({ kind: 'drop', reason: 'relayed', request: 3 });
    expect(requestDrop('relayed', 3)).toBe(requestDrop('relayed', 3));
    expect(requestDrop('relayed', 1)).not.toBe(requestDrop('relayed', 3));
  });

  it('counter names: prefix-reason, and decode-layer-reason for decoder errors', () => {
    expect(dropReason('ns', 'not-ours')).toBe('ns-not-ours');
    expect(dropReason('send', 'EAGAIN')).toBe('send-EAGAIN');
    expect(decodeDropReason(new DecodeError('udp', 'bad-checksum', 'detail'))).toBe('decode-udp-bad-checksum');
    expect(decodeDropReason(new DecodeError('dhcp4', 'bad-magic'))).toBe('decode-dhcp4-bad-magic');
  });
});
