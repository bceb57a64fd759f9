/**
 * The control dispatcher: request (already-parsed JSON) in, response out.
 *
 * Pure in the sense that matters for testing: it touches no socket, file or
 * clock. Everything it reads or changes goes through the ControlContext it
 * is given (daemon-context.ts adapts the running daemon; tests pass a fake),
 * and whatever deserves a log line is handed to an `audit` callback. What
 * each command does is its entry in the command table (commands.ts).
 */
import { COMMANDS, isCommand, type Command } from './commands.js';
import type { ControlContext, DispatchHooks, Peer } from './context.js';
import { failure, formatIssues, requestSchema, unsupported, type ControlResponse } from './protocol.js';

export type {
  AnnounceOutcome, AuditEvent, BindingInfo, BindingLink, ControlContext, ControlSocketStatus, DispatchHooks, Peer, ReloadOutcome,
  RoutingView, StatsView, StatusSnapshot,
} from './context.js';

/** One request line parsed as JSON, or why it is not JSON (the text of its result-1 answer). */
export type ParsedLine = { ok: true; request: unknown } | { ok: false; reason: string };

/** Parses a request line once; the server reads the command from it before `answerLine` runs it. */
export function parseLine(line: string): ParsedLine {
  try {
    return { ok: true, request: JSON.parse(line) };
  } catch (e) {
    return { ok: false, reason: `malformed JSON: ${(e as Error).message}` };
  }
}

/** Dispatches a parsed line; malformed JSON is audited and answered with result 1. */
export async function answerLine(parsed: ParsedLine, ctx: ControlContext, peer: Peer, hooks: DispatchHooks = {}): Promise<ControlResponse> {
  if (parsed.ok) return dispatch(parsed.request, ctx, peer, hooks);
  hooks.audit?.({ event: 'bad-request', command: undefined, reason: parsed.reason, uid: peer.uid });
  return failure(parsed.reason);
}

/** Parses one request line and dispatches it. Malformed JSON is result 1. */
export async function handleLine(line: string, ctx: ControlContext, peer: Peer, hooks: DispatchHooks = {}): Promise<ControlResponse> {
  return answerLine(parseLine(line), ctx, peer, hooks);
}

export async function dispatch(request: unknown, ctx: ControlContext, peer: Peer, hooks: DispatchHooks = {}): Promise<ControlResponse> {
  const audit = hooks.audit ?? (() => undefined);
  const bad = (command: string | undefined, reason: string): ControlResponse => {
    audit({ event: 'bad-request', command, reason, uid: peer.uid });
    return failure(reason);
  };
  const envelope = requestSchema.safeParse(request);
  if (!envelope.success) {
    // Name the command if we can, so the log says what was attempted.
    const cmd = typeof (request as { command?: unknown } | null)?.command === 'string' ? (request as { command: string }).command : undefined;
    return bad(cmd?.slice(0, 64), formatIssues(envelope.error.issues, ''));
  }
  const { command, arguments: args = {} } = envelope.data;
  if (!isCommand(command)) {
    return unsupported(`unsupported command ${JSON.stringify(command)}; supported: ${Object.keys(COMMANDS).join(', ')}`);
  }
  const c: Command<unknown> = COMMANDS[command] as Command<unknown>;
  // Permission before anything else: a peer who may not mutate learns nothing from validation errors.
  if (c.mutating && !peer.mayMutate) {
    audit({ event: 'denied', command, uid: peer.uid, gid: peer.gid });
    return failure('permission denied');
  }
  try {
    const a = c.schema.safeParse(args);
    if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
    return await c.run(a.data, { ctx, peer, audit, bad: (reason) => bad(command, reason) });
  } catch (e) {
    const reason = (e as Error).message ?? String(e);
    audit({ event: 'failed', command, reason, uid: peer.uid });
    return failure(`${command} failed: ${reason}`);
  }
}
