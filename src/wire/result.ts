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

/**
 * Thrown by encoders when handed a value the type system could not rule
 * out (an address string that is not an address, a port above 65535, a
 * label longer than 63 octets). That is a bug in the caller, not hostile
 * input: values reaching an encoder come from validated bindings/config or
 * from a decoder. Encoders whose failure depends on the peer (a DHCP reply
 * that does not fit the client's maximum message size) return an
 * `Encoded<T>` instead of throwing.
 */
export class EncodeError extends Error {
  constructor(
    readonly layer: string,
    readonly reason: string,
    readonly detail: string = '',
  ) {
    super(`${layer}: ${reason}${detail ? ` (${detail})` : ''}`);
    this.name = 'EncodeError';
  }
}

/**
 * Result of an encoder that can refuse for a reason outside the caller's
 * control (e.g. reason 'too-big'). Same shape as `Decoded<T>`, so callers
 * handle both alike; the error is a `DecodeError` value (no stack trace).
 */
export type Encoded<T> = Decoded<T>;
