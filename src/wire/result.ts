/**
 * Decoders never throw on hostile input: they return a typed result.
 * `DecodeError` names the layer and what was wrong, so drop counters and
 * debug logs can say why a frame was dropped without a stack trace.
 */
export class DecodeError {
  constructor(
    /** Protocol layer that refused the bytes: 'ethernet', 'ipv4', 'udp', 'dhcp4', ... */
    readonly layer: string,
    /** Short machine-friendly reason, e.g. 'truncated', 'bad-checksum', 'bad-magic'. */
    readonly reason: string,
    /** Human detail for logs. */
    readonly detail: string = '',
  ) {}

  toString(): string {
    return `${this.layer}: ${this.reason}${this.detail ? ` (${this.detail})` : ''}`;
  }
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function fail<T = never>(layer: string, reason: string, detail = ''): Decoded<T> {
  return { ok: false, error: new DecodeError(layer, reason, detail) };
}
