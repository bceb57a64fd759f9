/**
 * What every reply builder hands the packet path: the frame to send, or why
 * it could not be encoded. Frame encoders throw `EncodeError` only on values
 * the types should have ruled out (a bad MAC, address or name from a
 * binding), so that is a reply that cannot be sent, counted and logged by
 * the caller; anything else thrown is a bug and propagates.
 */
import { EncodeError } from '../wire/result.js';

export type FrameResult = { ok: true; frame: Uint8Array } | { ok: false; error: string };

/**
 * The frame result of an encoder's throw, for a `catch` block (no closure
 * on the success path: builders call the encoder inline and only come here
 * when it threw). Rethrows anything but an EncodeError.
 */
export function encodeFailure(e: unknown): FrameResult {
  if (e instanceof EncodeError) return { ok: false, error: e.message };
  throw e;
}
