/**
 * The control dispatcher: request (already-parsed JSON) in, response out.
 *
 * Pure in the sense that matters for testing: it touches no socket, file or
 * clock. Everything it reads or changes goes through the ControlContext it
 * is given (daemon-context.ts adapts the running daemon; tests pass a fake),
 * and whatever deserves a log line is handed to an `audit` callback.
 *
 * binding-add is validated by the binding-file parser itself: the request's
 * arguments are turned into the KEY=VALUE text a hook would have written
 * and parsed with parseBindingFile, so a request and a file can never
 * disagree about what is valid, and the error names the same key and reason.
 */
import type { Binding } from '../bindings/binding.js';
import { isValidInterfaceName } from '../bindings/binding.js';
import { bindingFileLine, bindingFileText, parseBindingFile } from '../bindings/binding-file.js';
import { isCandidateName } from '../bindings/directory.js';
import { formatRouteList } from '../bindings/routes.js';
import type { BindingEntry } from '../bindings/store.js';
import type { TapCounters } from '../runtime/stats.js';
import { routerLinkLocal } from '../protocols/router-advert.js';
import {
  BINDING_ADD_KEYS,
  COMMANDS,
  bindingAddArgsSchema,
  failure,
  formatIssues,
  isCommand,
  isMutating,
  listArgsSchema,
  noArgsSchema,
  notFound,
  requestSchema,
  statsArgsSchema,
  success,
  tapArgsSchema,
  unsupported,
  type BindingAddArgs,
  type CommandName,
  type ControlResponse,
} from './protocol.js';

// ---- the context the dispatcher works on ---------------------------------

/** Who is asking (SO_PEERCRED / SO_PEERGROUPS) and what the policy lets them do. */
export interface Peer {
  uid: number;
  gid: number;
  /** Supplementary groups (may be empty when the kernel cannot say). */
  groups: readonly number[];
  pid?: number;
  /** Whether mutating commands are allowed (see server.ts `authorize`). */
  mayMutate: boolean;
}

/** The interface a binding is attached to, when it exists. */
export interface BindingLink {
  ifindex: number;
  up: boolean;
  running: boolean;
  /** MAC onlinkd answers with on this tap (INDEV's), when known. */
  serverMac: string | undefined;
}

export interface BindingInfo {
  tap: string;
  /** Last good binding (undefined when the file never parsed). */
  binding: Binding | undefined;
  /** Error of the last load attempt, if it failed (the last good binding stays in force). */
  error: BindingEntry['error'];
  link: BindingLink | undefined;
  /** Why its interface is refused (never bound: loopback, uplink) or looks unlike a VM's tap (src/runtime/tap-table.ts). */
  problem?: { refused: boolean; message: string } | undefined;
}

export interface StatusSnapshot {
  version: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  /** Store entries (good bindings plus files that never parsed). */
  bindings: number;
  /** Bindings whose tap exists. */
  attached: number;
  /** Entries whose last load failed. */
  rejected: number;
  datapath: string;
  controlSocket: string;
  /** `control_group` in force (null: root and the daemon's user only). */
  controlGroup: string | null;
  /** Configuration a reload asked for that is not in force (key → why); empty when all is applied. */
  notApplied: Record<string, string>;
}

/** The control socket's part of a status snapshot: what is in force (ControlServer.status). */
export type ControlSocketStatus = Pick<StatusSnapshot, 'controlSocket' | 'controlGroup' | 'notApplied'>;

export interface StatsView {
  /** Counters not tied to a bound tap (see src/runtime/stats.ts), passed through as they are. */
  global: Record<string, unknown>;
  taps: Record<string, TapCounters>;
}

export type AnnounceOutcome =
  | { ok: true; text?: string; details?: Record<string, unknown> }
  | { ok: false; reason: 'no-binding' | 'not-attached' | 'unavailable' | 'failed'; message: string };

export type ReloadOutcome = { ok: true; source?: string } | { ok: false; message: string };

export interface ControlContext {
  readonly version: string;
  /** Cheap snapshot: counts and paths, no I/O. */
  status(): StatusSnapshot;
  /** Every store entry; must not do per-entry I/O (4096 bindings answer in milliseconds). */
  listBindings(): Iterable<BindingInfo>;
  getBinding(tap: string): BindingInfo | undefined;
  /**
   * Why this binding may not be added (its interface is the loopback or an
   * uplink, or it names its own tap as uplink: src/runtime/interface-policy.ts), or
   * undefined. Omitted: every valid binding is accepted.
   */
  refuseBinding?(binding: Binding): { key: string | undefined; detail: string } | undefined;
  /**
   * Persists the binding atomically in the state directory, then applies it
   * to the store. Throws (clear message) when it cannot be written; the
   * previous binding and file stay as they were.
   */
  addBinding(binding: Binding): Promise<{ previous: Binding | undefined }>;
  /** Unlinks the binding file, then removes the binding; `removed: false` when there was none. */
  delBinding(tap: string): Promise<{ removed: boolean; binding: Binding | undefined }>;
  announce(tap: string): Promise<AnnounceOutcome>;
  /** Counters; with `tap`, `taps` holds at most that tap. */
  stats(tap?: string): StatsView;
  reload(): Promise<ReloadOutcome>;
}

/** What the server turns into log lines. */
export type AuditEvent =
  | { event: 'binding-added'; tap: string; mac: string; ip: string | undefined; replaced: boolean; uid: number }
  | { event: 'binding-removed'; tap: string; mac: string | undefined; ip: string | undefined; uid: number }
  | { event: 'announced'; tap: string; uid: number }
  | { event: 'config-reloaded'; ok: boolean; uid: number; reason?: string }
  | { event: 'denied'; command: string; uid: number; gid: number }
  | { event: 'bad-request'; command: string | undefined; reason: string; uid: number }
  | { event: 'failed'; command: string; reason: string; uid: number };

export interface DispatchHooks {
  audit?: (e: AuditEvent) => void;
}

// ---- entry points -----------------------------------------------------------

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
  const bad = (command: string | undefined, reason: string): ControlResponse => {
    hooks.audit?.({ event: 'bad-request', command, reason, uid: peer.uid });
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
  // Permission before anything else: a peer who may not mutate learns nothing from validation errors.
  if (isMutating(command) && !peer.mayMutate) {
    hooks.audit?.({ event: 'denied', command, uid: peer.uid, gid: peer.gid });
    return failure('permission denied');
  }
  try {
    return await run(command, args, ctx, peer, hooks, bad);
  } catch (e) {
    const reason = (e as Error).message ?? String(e);
    hooks.audit?.({ event: 'failed', command, reason, uid: peer.uid });
    return failure(`${command} failed: ${reason}`);
  }
}

async function run(
  command: CommandName,
  args: Record<string, unknown>,
  ctx: ControlContext,
  peer: Peer,
  hooks: DispatchHooks,
  bad: (command: string | undefined, reason: string) => ControlResponse,
): Promise<ControlResponse> {
  switch (command) {
    case 'version-get': {
      const a = noArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      return success(`onlinkd ${ctx.version}`, { version: ctx.version });
    }

    case 'status-get': {
      const a = noArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const s = ctx.status();
      return success(`onlinkd ${s.version}: ${s.bindings} bindings, ${s.attached} attached`, { ...s });
    }

    case 'binding-list': {
      const a = listArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const infos = [...ctx.listBindings()].sort((x, y) => compareTaps(x.tap, y.tap));
      const from = a.data.from;
      const start = from === undefined ? 0 : firstAfter(infos, from);
      const end = a.data.limit === undefined ? infos.length : Math.min(infos.length, start + a.data.limit);
      const page = infos.slice(start, end).map((info) => bindingView(info));
      const out: Record<string, unknown> = { count: page.length, total: infos.length, bindings: page };
      if (end < infos.length && page.length > 0) out.next = infos[end - 1]!.tap;
      return success(`${page.length} binding${page.length === 1 ? '' : 's'}`, out);
    }

    case 'binding-get': {
      const a = tapArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const info = ctx.getBinding(a.data.tap);
      if (!info) return notFound(`no binding for tap ${JSON.stringify(a.data.tap)}`);
      return success(`binding for ${info.tap}`, bindingView(info));
    }

    case 'binding-add': {
      const a = bindingAddArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const built = bindingFromArgs(a.data);
      if (!built.ok) return bad(command, built.text);
      const refused = ctx.refuseBinding?.(built.binding);
      if (refused) {
        const key = refused.key === undefined ? 'tap' : ARG_KEY.get(refused.key) ?? refused.key.toLowerCase();
        return bad(command, `invalid binding: ${key}: ${refused.detail}`);
      }
      const { previous } = await ctx.addBinding(built.binding);
      const b = built.binding;
      hooks.audit?.({ event: 'binding-added', tap: b.tap, mac: b.mac, ip: b.ip, replaced: previous !== undefined, uid: peer.uid });
      const info = ctx.getBinding(b.tap) ?? { tap: b.tap, binding: b, error: undefined, link: undefined };
      // Not cached: a hook adding thousands of bindings would otherwise keep a view of each (~800 bytes).
      return success(`binding for ${b.tap} ${previous ? 'replaced' : 'added'}`, bindingView(info, false));
    }

    case 'binding-del': {
      const a = tapArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const tapError = checkTapName(a.data.tap);
      if (tapError) return bad(command, tapError);
      const r = await ctx.delBinding(a.data.tap);
      if (!r.removed) return notFound(`no binding for tap ${JSON.stringify(a.data.tap)}`);
      hooks.audit?.({ event: 'binding-removed', tap: a.data.tap, mac: r.binding?.mac, ip: r.binding?.ip, uid: peer.uid });
      return success(`binding for ${a.data.tap} removed`, { tap: a.data.tap });
    }

    case 'announce': {
      const a = tapArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const o = await ctx.announce(a.data.tap);
      if (o.ok) {
        hooks.audit?.({ event: 'announced', tap: a.data.tap, uid: peer.uid });
        return success(o.text ?? `announcement for ${a.data.tap} sent`, { tap: a.data.tap, ...(o.details ?? {}) });
      }
      if (o.reason === 'no-binding') return notFound(o.message);
      if (o.reason === 'unavailable') return unsupported(o.message);
      return failure(o.message);
    }

    case 'statistic-get': {
      const a = statsArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const tap = a.data.tap;
      const s = ctx.stats(tap);
      if (tap === undefined) return success(`statistics for ${Object.keys(s.taps).length} taps`, { global: s.global, taps: s.taps });
      const counters = s.taps[tap];
      if (!counters && !ctx.getBinding(tap)) return notFound(`no binding or statistics for tap ${JSON.stringify(tap)}`);
      return success(`statistics for ${tap}`, {
        taps: { [tap]: counters ?? { requests: {}, replies: {}, drops: {}, lastSeen: undefined } },
      });
    }

    case 'config-reload': {
      const a = noArgsSchema.safeParse(args);
      if (!a.success) return bad(command, formatIssues(a.error.issues, 'arguments'));
      const o = await ctx.reload();
      hooks.audit?.(o.ok ? { event: 'config-reloaded', ok: true, uid: peer.uid } : { event: 'config-reloaded', ok: false, uid: peer.uid, reason: o.message });
      return o.ok ? success('configuration reloaded', o.source ? { source: o.source } : undefined) : failure(o.message);
    }
  }
}

// ---- binding-add: arguments → binding-file text → Binding -------------------

/** Argument key → binding-file key. */
const FILE_KEY: Record<Exclude<keyof BindingAddArgs, 'tap'>, string> = {
  mac: 'MAC', ip: 'IP', subnet: 'SUBNET', gateway: 'GATEWAY', subnet6: 'SUBNET6', gateway6: 'GATEWAY6', eui64: 'EUI64',
  hostname: 'HOSTNAME', tags: 'TAGS', mtu: 'MTU', macspoof: 'MACSPOOF', private: 'PRIVATE', windows: 'WINDOWS',
  indev: 'INDEV', uplink: 'UPLINK', uplink6: 'UPLINK6', routes: 'ROUTES', dns: 'DNS', dns6: 'DNS6', domain: 'DOMAIN',
};
const ARG_KEY = new Map(Object.entries(FILE_KEY).map(([arg, file]) => [file, arg]));

export type BindingFromArgs = { ok: true; binding: Binding; text: string } | { ok: false; text: string; key: string | undefined; reason: string };

/** A tap name that is an interface name and that the state directory would not skip. */
export function checkTapName(tap: string): string | undefined {
  if (!isValidInterfaceName(tap)) return `tap: ${JSON.stringify(tap)} is not a valid interface name (1-15 of A-Z a-z 0-9 _ . : @ -)`;
  if (!isCandidateName(tap)) return `tap: ${JSON.stringify(tap)} would be skipped in the state directory (dot files and names ending in ~, .tmp, .swp are ignored)`;
  return undefined;
}

/**
 * Builds the binding-file text for binding-add arguments and parses it with
 * the binding-file parser. Also checks that the binding survives being
 * written and read back unchanged, so what is persisted is exactly what is
 * applied (and the directory watcher re-reading it changes nothing).
 */
export function bindingFromArgs(args: BindingAddArgs): BindingFromArgs {
  const fail = (key: string | undefined, reason: string): BindingFromArgs => ({
    ok: false,
    key,
    reason,
    text: `invalid binding: ${key ? `${key}: ` : ''}${reason}`,
  });
  const tapError = checkTapName(args.tap);
  if (tapError) return { ok: false, key: 'tap', reason: tapError.slice('tap: '.length), text: `invalid binding: ${tapError}` };

  const lines: string[] = [];
  for (const key of BINDING_ADD_KEYS) {
    if (key === 'tap') continue;
    const v = args[key];
    if (v === undefined || v === null || v === false) continue;
    let value: string;
    if (v === true) value = '1';
    else if (typeof v === 'number') value = String(v);
    else if (Array.isArray(v)) value = v.join(key === 'routes' ? ', ' : ',');
    else value = v;
    // A newline would start a new KEY=VALUE line: the request could smuggle in keys.
    if (/[\x00-\x1f\x7f]/.test(value)) return fail(key, 'contains a control character (newline, tab, NUL, ...)');
    lines.push(bindingFileLine(FILE_KEY[key], value));
  }
  const text = `${lines.join('\n')}\n`;
  const parsed = parseBindingFile(args.tap, text);
  if (!parsed.ok) {
    const e = parsed.error;
    const key = e.key === undefined ? undefined : ARG_KEY.get(e.key) ?? e.key.toLowerCase();
    return fail(key, e.detail);
  }
  const b = parsed.binding;
  // Asked of the file that will be written, not of the request's values: the parser normalises them
  // (ROUTES is rewritten "DEST/LEN via ROUTER, ..."), and a key whose normal form is quoted is covered
  // whatever the request sent. A file that quotes nothing reads back as written; only one that quotes
  // something needs the round trip (about half the cost of an add).
  const file = bindingFileText(b);
  if (!file.quoted) return { ok: true, binding: b, text };
  const again = parseBindingFile(args.tap, file.text);
  if (!again.ok) return fail(undefined, `cannot be stored as a binding file: ${again.error.message}`);
  for (const k of Object.keys(b) as Array<keyof Binding>) {
    if (JSON.stringify(b[k]) !== JSON.stringify(again.binding[k])) {
      return fail(k, 'value cannot be stored in a binding file unchanged (quotes?)');
    }
  }
  return { ok: true, binding: b, text };
}

// ---- views -------------------------------------------------------------------

/**
 * The client-facing form of a binding: `binding` holds the binding-add
 * arguments that would recreate it (so `{tap, ...binding}` round-trips),
 * `link` the live interface, with the router link-local address onlinkd
 * speaks from written with its zone id (RFC 4007: never without).
 */
export function bindingView(info: BindingInfo, cache = true): Record<string, unknown> {
  const view: Record<string, unknown> = {
    tap: info.tap,
    state: !info.binding ? 'rejected' : info.link ? 'attached' : info.problem?.refused ? 'refused' : 'waiting',
  };
  const b = info.binding;
  if (b) {
    view.binding = cache ? bindingFields(b) : fieldsOf(b);
    if (Object.keys(b.extra).length > 0) view.extra = b.extra;
  }
  if (info.link) {
    const l = info.link;
    view.link = compact({
      ifindex: l.ifindex,
      up: l.up,
      running: l.running,
      mac: l.serverMac,
      routerLinkLocal: l.serverMac ? `${routerLinkLocal(l.serverMac)}%${info.tap}` : undefined,
    });
  }
  if (info.error) view.error = compact({ ...info.error });
  if (info.problem) view.problem = info.problem.message;
  return view;
}

/**
 * Bindings are immutable (a change replaces the object), so their view can
 * be cached by identity: a binding-list of thousands of taps then costs a
 * walk and a JSON.stringify, not thousands of formatting passes on the
 * event loop the packet path shares. Views are only ever serialised.
 */
const fieldsCache = new WeakMap<Binding, Record<string, unknown>>();

function bindingFields(b: Binding): Record<string, unknown> {
  let f = fieldsCache.get(b);
  if (!f) {
    f = fieldsOf(b);
    fieldsCache.set(b, f);
  }
  return f;
}

function fieldsOf(b: Binding): Record<string, unknown> {
  return compact({
    mac: b.mac,
    ip: b.ip,
    subnet: b.subnet && `${b.subnet.network}/${b.subnet.prefixLength}`,
    gateway: b.gateway,
    subnet6: b.subnet6 && `${b.subnet6.network}/${b.subnet6.prefixLength}`,
    gateway6: b.gateway6,
    eui64: b.eui64,
    hostname: b.hostname,
    tags: b.tags,
    mtu: b.mtu,
    macspoof: b.macspoof,
    private: b.private,
    windows: b.windows,
    indev: b.indev,
    uplink: b.uplink,
    uplink6: b.uplink6,
    routes: b.routes.length ? formatRouteList(b.routes).split(', ') : undefined,
    dns: b.dns,
    dns6: b.dns6,
    domain: b.domain,
  });
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Natural order of interface names: tap2 before tap10, vm10-0 before
 * vm10-1; digit runs compare by value, everything else by code unit.
 * Hand-written (no Intl.Collator): a total, locale-free order that costs
 * nothing to set up on the daemon's event loop.
 */
export function compareTaps(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ie = i;
      while (ie < a.length && isDigit(a.charCodeAt(ie))) ie++;
      let je = j;
      while (je < b.length && isDigit(b.charCodeAt(je))) je++;
      let is = i;
      while (is < ie - 1 && a.charCodeAt(is) === 48) is++;
      let js = j;
      while (js < je - 1 && b.charCodeAt(js) === 48) js++;
      if (ie - is !== je - js) return ie - is - (je - js);
      for (let k = 0; k < ie - is; k++) {
        const d = a.charCodeAt(is + k) - b.charCodeAt(js + k);
        if (d !== 0) return d;
      }
      i = ie;
      j = je;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0) return rest;
  return a < b ? -1 : a > b ? 1 : 0; // "tap01" vs "tap1": equal by value, still ordered
}

/** Index of the first entry sorting after `from` (binary search; entries are sorted). */
function firstAfter(infos: readonly BindingInfo[], from: string): number {
  let lo = 0;
  let hi = infos.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTaps(infos[mid]!.tap, from) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
