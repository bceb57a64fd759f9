/**
 * Control plane: `binding-add` over the daemon's Unix socket (JSON lines,
 * Kea-style `{"command", "arguments"}` → `{"result", "text"}`), sustained,
 * as a VM-lifecycle hook would call it. Several connections, each keeping a
 * few requests in flight (the server answers one connection's requests in
 * order). The bindings are for taps that do not exist (they wait for their
 * tap), so only the control plane and the binding store are measured.
 */
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { benchBinding } from './servers.js';

export interface ControlOptions {
  socketPath: string;
  /** Directory of binding files, to check that every acknowledged add was written. */
  datapath?: string;
  count: number;
  connections: number;
  /** Requests in flight per connection. */
  pipeline: number;
  /** First index of the generated taps (names ctl<index>). */
  firstIndex?: number;
  /** The k-th request (0-based) instead of binding-add of the generated tap firstIndex + k (routes.ts: its own bindings, then binding-del). */
  request?: (k: number) => { command: string; arguments: Record<string, unknown> };
  timeoutMs?: number;
}

export type ControlResult =
  | { status: 'not-yet'; message: string }
  | {
      status: 'ok';
      count: number;
      ok: number;
      errors: number;
      firstError: string | undefined;
      seconds: number;
      addsPerS: number;
      latencyMs: { p50: number; p99: number; max: number };
      /** Binding files found for the acknowledged adds (when datapath is given). */
      filesWritten: number | undefined;
    };

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))]!;
}

export function controlArgs(i: number): Record<string, unknown> {
  const b = benchBinding(i, `ctl${i}`);
  return {
    tap: b.tap,
    mac: b.mac,
    ip: b.ip,
    subnet: b.subnet,
    gateway: b.gateway,
    subnet6: b.subnet6,
    gateway6: b.gateway6,
    eui64: b.eui64,
    hostname: b.hostname,
  };
}

export async function benchBindingAdd(o: ControlOptions): Promise<ControlResult> {
  if (!existsSync(o.socketPath)) {
    return {
      status: 'not-yet',
      message: `not yet: the daemon opened no control socket at ${o.socketPath} (src/control/ is not wired into the daemon yet)`,
    };
  }
  const first = o.firstIndex ?? 100_000;
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();

  const worker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = net.createConnection(o.socketPath);
      const sentAt: bigint[] = [];
      const acked: number[] = [];
      let buf = '';
      let inflight = 0;
      let done = false;
      const timer = setTimeout(() => finish(new Error(`binding-add bench: no progress for ${o.timeoutMs ?? 60_000} ms`)), o.timeoutMs ?? 60_000);
      const finish = (e?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        if (e) reject(e);
        else resolve();
      };
      const pump = (): void => {
        while (inflight < o.pipeline && next < o.count) {
          const k = next++;
          inflight++;
          sentAt.push(process.hrtime.bigint());
          acked.push(first + k);
          sock.write(`${JSON.stringify(o.request?.(k) ?? { command: 'binding-add', arguments: controlArgs(first + k) })}\n`);
        }
        if (inflight === 0 && next >= o.count) finish();
      };
      sock.setEncoding('utf8');
      sock.on('connect', pump);
      sock.on('error', (e) => finish(e));
      sock.on('close', () => (inflight > 0 ? finish(new Error('binding-add bench: the daemon closed the connection')) : finish()));
      sock.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const t = sentAt.shift()!;
          acked.shift();
          inflight--;
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          let res: { result?: number; text?: string };
          try {
            res = JSON.parse(line) as typeof res;
          } catch {
            res = { result: -1, text: `unparsable response: ${line.slice(0, 200)}` };
          }
          if (res.result === 0) ok++;
          else {
            errors++;
            firstError ??= `${res.result}: ${res.text}`;
          }
        }
        timer.refresh();
        pump();
      });
    });

  await Promise.all(Array.from({ length: o.connections }, () => worker()));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  let filesWritten: number | undefined;
  if (o.datapath) {
    const names = new Set(readdirSync(o.datapath));
    filesWritten = 0;
    for (let k = 0; k < o.count; k++) if (names.has(`ctl${first + k}`)) filesWritten++;
  }
  return {
    status: 'ok',
    count: o.count,
    ok,
    errors,
    firstError,
    seconds,
    addsPerS: ok / seconds,
    latencyMs: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1) ?? 0 },
    filesWritten,
  };
}
