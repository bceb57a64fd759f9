/**
 * Human-readable output of onlinkctl. Input is a response's `arguments`
 * (untyped JSON from the daemon), so every accessor tolerates missing or
 * odd fields: an older or newer daemon must not make the client crash.
 */
import { KEYS, argName, familyMember } from '../bindings/schema.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(str).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Left-aligned columns separated by two spaces; no trailing blanks. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** `list`: one row per binding. */
export function formatBindingList(args: unknown): string {
  const a = obj(args);
  const list = Array.isArray(a.bindings) ? a.bindings.map(obj) : [];
  if (list.length === 0) return 'no bindings\n';
  const rows = list.map((v) => {
    const b = obj(v.binding);
    const link = obj(v.link);
    let state = str(v.state);
    if (state === 'attached') state = link.up === true ? 'up' : 'down';
    if (v.error) state += ' (!)';
    return [str(v.tap), state, str(b.mac), str(b.ip), str(b.subnet6 ?? b.eui64), str(b.hostname)];
  });
  let out = table(['TAP', 'STATE', 'MAC', 'IPV4', 'IPV6 PREFIX', 'HOSTNAME'], rows);
  if (list.some((v) => v.error)) out += '(!) the binding file was rejected; the last good binding stays in force (see "onlinkctl show TAP")\n';
  if (typeof a.next === 'string') out += `more: onlinkctl list --from ${a.next}\n`;
  return out;
}

/** The binding's keys as `show` lines, in schema order (bindings/schema.ts); flags go on one line. */
const SHOW_FIELDS: Array<[string, string]> = KEYS.filter((k) => k.kind !== 'flag').map((k) => [argName(k), k.label ?? argName(k)]);
const SWITCHES = new Set(KEYS.filter((k) => k.kind === 'switch').map(argName));
const FLAGS = KEYS.filter((k) => k.kind === 'flag').map(argName);

/** `show TAP`: key/value lines. */
export function formatBindingShow(args: unknown): string {
  const v = obj(args);
  const b = obj(v.binding);
  const rows: Array<[string, string]> = [['tap', str(v.tap)], ['state', str(v.state)]];
  for (const [k, label] of SHOW_FIELDS) {
    if (b[k] !== undefined) rows.push([label, SWITCHES.has(k) && typeof b[k] === 'boolean' ? (b[k] ? 'yes' : 'no') : str(b[k])]);
  }
  const flags = FLAGS.filter((f) => b[f] === true);
  if (flags.length) rows.push(['flags', flags.join(', ')]);
  rows.push(...optionRows(b));
  for (const [k, val] of Object.entries(obj(v.extra))) rows.push([`extra ${k}`, str(val)]);
  const link = obj(v.link);
  if (v.link !== undefined) {
    rows.push(['ifindex', str(link.ifindex)]);
    rows.push(['link', `${link.up ? 'up' : 'down'}${link.running ? ', running' : ''}`]);
    if (link.mac !== undefined) rows.push(['server MAC', str(link.mac)]);
    if (link.routerLinkLocal !== undefined) rows.push(['router link-local', str(link.routerLinkLocal)]);
  }
  // The interface is refused (loopback, uplink: never bound) or does not look like a VM's tap (src/runtime/tap-table.ts).
  if (v.problem !== undefined) rows.push(['interface', str(v.problem)]);
  // Bindings that parse but cannot do what they say under the settings in force (protocols/ipv6-mode.ts).
  if (Array.isArray(v.warnings)) for (const w of v.warnings) rows.push(['warning', str(w)]);
  const err = obj(v.error);
  if (v.error !== undefined) {
    rows.push([
      'error',
      `${str(err.message)}${v.binding ? ' (last good binding stays in force)' : ' (no binding in force)'}`,
    ]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, val]) => `${`${k}:`.padEnd(w + 1)}  ${val}`.trimEnd()).join('\n') + '\n';
}

/** Key-family members (`option_42`) as `option 42 (ntp-servers)` lines, in family and code order. */
function optionRows(b: Json): Array<[string, string]> {
  const members = Object.keys(b)
    .map((k) => ({ k, m: familyMember(k, true) }))
    .filter((x) => x.m !== undefined)
    .sort((x, y) => x.m!.family.prefix.localeCompare(y.m!.family.prefix) || x.m!.code - y.m!.code);
  return members.map(({ k, m }) => {
    const name = m!.family.catalog.optionInfo(m!.code)?.name;
    return [`${m!.family.label} ${m!.code}${name ? ` (${name})` : ''}`, str(b[k])];
  });
}

function counters(c: unknown): string {
  const entries = Object.entries(obj(c));
  return entries.length ? entries.map(([k, n]) => `${k}=${str(n)}`).join(' ') : '-';
}

function total(c: unknown): number {
  return Object.values(obj(c)).reduce<number>((s, n) => s + (typeof n === 'number' ? n : 0), 0);
}

/** `stats [TAP]`: a summary table, then per-kind counters. */
export function formatStats(args: unknown): string {
  const a = obj(args);
  const taps = Object.entries(obj(a.taps)).sort(([x], [y]) => x.localeCompare(y, 'en', { numeric: true }));
  let out = '';
  if (taps.length) {
    out += table(
      ['TAP', 'REQUESTS', 'REPLIES', 'DROPS', 'LAST SEEN'],
      taps.map(([tap, c]) => {
        const t = obj(c);
        return [tap, String(total(t.requests)), String(total(t.replies)), String(total(t.drops)), str(t.lastSeen) || '-'];
      }),
    );
    for (const [tap, c] of taps) {
      const t = obj(c);
      out += `\n${tap}\n  requests: ${counters(t.requests)}\n  replies:  ${counters(t.replies)}\n  drops:    ${counters(t.drops)}\n`;
    }
  } else {
    out += 'no per-tap statistics yet\n';
  }
  if (a.global !== undefined) {
    const g = obj(a.global);
    out += `\nglobal: frames=${str(g.frames)} drops: ${counters(g.drops)}\n`;
    // Whatever else the daemon counts globally (e.g. kernel: packets, drops).
    for (const [k, v] of Object.entries(g)) {
      if (k === 'frames' || k === 'drops') continue;
      out += `${k}: ${v !== null && typeof v === 'object' ? counters(v) : str(v)}\n`;
    }
  }
  return out;
}

/**
 * `routes`: what the routing keeps, a row per route; then, when there are
 * any, the policy rules (`[routing] rule`) and the uplinks the proxy answers
 * ARP/NS on, each a table of its own under a title.
 */
export function formatRouteList(args: unknown): string {
  const a = obj(args);
  const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : '?');
  const head = `[routing] manage = ${yesNo(a.manage)}, table ${str(a.table) || '?'}, rule = ${yesNo(a.rule)}\n`;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(obj) : []);
  const taps = list(a.taps);
  const routes = taps.flatMap((t) =>
    list(t.routes).map((r) => [str(t.tap), str(r.family), str(r.destination), str(r.gateway) || '-', str(r.table), str(r.oif) || `#${str(r.ifindex)}`]),
  );
  const rules = taps.flatMap((t) => list(t.rules).map((r) => [str(t.tap), str(r.family), str(r.iif) || '-', str(r.table), str(r.priority)]));
  const uplinks = list(a.uplinks).map((u) => [str(u.uplink), str(u.ipv4Addresses), str(u.ipv6Addresses), yesNo(u.listening)]);
  let out = head + (routes.length === 0 ? 'no routes managed\n' : table(['TAP', 'FAMILY', 'DESTINATION', 'GATEWAY', 'TABLE', 'OIF'], routes));
  if (rules.length > 0) out += `\nRULES\n${table(['TAP', 'FAMILY', 'IIF', 'TABLE', 'PRIORITY'], rules)}`;
  if (uplinks.length > 0) out += `\nUPLINK PROXY (ARP/NS answered for routed VMs)\n${table(['UPLINK', 'IPV4', 'IPV6', 'LISTENING'], uplinks)}`;
  return out;
}

export function formatStatus(args: unknown): string {
  const s = obj(args);
  const rows: Array<[string, unknown]> = [
    ['version', s.version],
    ['pid', s.pid],
    ['started', s.startedAt],
    ['uptime', typeof s.uptimeSeconds === 'number' ? formatDuration(s.uptimeSeconds) : undefined],
    ['bindings', s.bindings],
    ['attached', s.attached],
    ['rejected', s.rejected],
    ['datapath', s.datapath],
    ['control socket', s.controlSocket],
    ['control group', s.controlGroup === null ? '(none: root and the daemon user only)' : s.controlGroup],
  ];
  // What a reload asked for and did not get (a moved socket needs a restart): never hidden.
  const notApplied = s.notApplied !== null && typeof s.notApplied === 'object' ? Object.entries(s.notApplied as Record<string, unknown>) : [];
  for (const [key, why] of notApplied) rows.push([`not applied: ${key}`, why]);
  const present = rows.filter(([, v]) => v !== undefined);
  const w = Math.max(...present.map(([k]) => k.length));
  return present.map(([k, v]) => `${`${k}:`.padEnd(w + 1)}  ${str(v)}`).join('\n') + '\n';
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return [d ? `${d}d` : '', d || h ? `${h}h` : '', d || h || m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

/** `--json`: the response arguments, pretty-printed, one document per run. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value ?? {}, null, 2)}\n`;
}
