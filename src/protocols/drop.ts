/**
 * Drops: the one builder of "nothing to send" decisions and of the counter
 * names the packet path counts them under. A drop is the common answer to
 * a hostile flood, so neither allocates once a reason has been seen: the
 * decisions are shared frozen objects and the names are kept strings (a
 * counter key built fresh per frame would also be hashed fresh per frame).
 * The sets are bounded by the code (reasons are literals in the
 * responders, decode reasons literals in the codecs), not by the guest.
 */
import type { DecodeError } from '../wire/result.js';

/** A responder's decision to send nothing; `reason` names the drop counter. */
export interface Drop {
  readonly kind: 'drop';
  readonly reason: string;
}

/** A drop that also says which request it was (DHCP: the request counter is named after it). */
export interface RequestDrop<R extends number> extends Drop {
  readonly request: R;
}

const drops = new Map<string, Drop>();
const requestDrops = new Map<string, Map<number, RequestDrop<number>>>();

/** The shared drop decision for `reason`. */
export function drop(reason: string): Drop {
  let d = drops.get(reason);
  if (!d) drops.set(reason, (d = Object.freeze({ kind: 'drop', reason })));
  return d;
}

/** The shared drop decision for `reason` on a request of type `request`. */
export function requestDrop<R extends number>(reason: string, request: R): RequestDrop<R> {
  let byRequest = requestDrops.get(reason);
  if (!byRequest) requestDrops.set(reason, (byRequest = new Map()));
  let d = byRequest.get(request);
  if (!d) byRequest.set(request, (d = Object.freeze({ kind: 'drop', reason, request })));
  return d as RequestDrop<R>;
}

const names = new Map<string, Map<string, string>>();

/** The counter name `${prefix}-${reason}` ('ns-not-ours', 'send-EAGAIN', ...), built once per pair. */
export function dropReason(prefix: string, reason: string): string {
  let byReason = names.get(prefix);
  if (!byReason) names.set(prefix, (byReason = new Map()));
  let name = byReason.get(reason);
  if (name === undefined) byReason.set(reason, (name = `${prefix}-${reason}`));
  return name;
}

/** The counter name of a frame a decoder refused: 'decode-<layer>-<reason>' ('decode-udp-bad-checksum'). */
export function decodeDropReason(error: DecodeError): string {
  return dropReason('decode', dropReason(error.layer, error.reason));
}
