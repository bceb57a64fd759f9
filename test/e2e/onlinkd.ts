/**
 * Runs the built daemon (dist/cli/onlinkd.js, what ships) inside a lab's
 * hypervisor namespace, with its own binding directory and config under the
 * lab's private directory, and reads its pino JSON log lines.
 */
import { mkdirSync, renameSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, LabProcess, NsRef } from './lab.js';
import { ONLINKD_NODE_FLAGS } from '../helpers/node-flags.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ONLINKD = join(ROOT, 'dist/cli/onlinkd.js');
export const ONLINKCTL = join(ROOT, 'dist/cli/onlinkctl.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Fails loudly when dist/ is missing or older than src/ (`npm test` builds first; a bare vitest run may not). */
export function assertBuilt(): void {
  let built: number;
  try {
    built = statSync(ONLINKD).mtimeMs;
  } catch {
    throw new Error(`${ONLINKD} is missing: run "npm run build" (npm test does it)`);
  }
  if (newestMtime(join(ROOT, 'src')) > built + 1000) throw new Error('dist/ is older than src/: run "npm run build" (npm test does it)');
}

export type LogLine = Record<string, unknown> & { msg: string; level: string };

export class Onlinkd {
  readonly datapath: string;
  readonly configPath: string;
  /** Each lab daemon has its own control socket: tests never meet the host's /run/onlinkd. */
  readonly socketPath: string;
  #proc: LabProcess | undefined;

  constructor(
    readonly lab: Lab,
    readonly name = 'onlinkd',
    /** The hypervisor namespace it runs in (a second one: Lab.addHypervisor). */
    readonly ns: NsRef = 'hv',
  ) {
    this.datapath = lab.path(name, 'bindings');
    this.configPath = lab.path(name, 'onlinkd.conf');
    this.socketPath = lab.path(name, 'control.sock');
    mkdirSync(this.datapath, { recursive: true });
  }

  get process(): LabProcess {
    if (!this.#proc) throw new Error('onlinkd not started');
    return this.#proc;
  }

  /** Writes a binding file atomically (temp + rename), as a careful hook does. */
  writeBinding(tap: string, text: string): void {
    const tmp = join(this.datapath, `.${tap}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.datapath, tap));
  }

  /** Writes a binding file in place (`cat > FILE`), as nfdhcpd-era hooks do. */
  writeBindingInPlace(tap: string, text: string): void {
    writeFileSync(join(this.datapath, tap), text);
  }

  /**
   * Starts the daemon and waits for "onlinkd ready". `prefix` runs before
   * node and must exec it (setpriv, unshare ... sh -c '...; exec "$@"'), so
   * the process keeps its pid.
   */
  async start(config = '', extraArgs: string[] = [], opts: { prefix?: string[] } = {}): Promise<void> {
    assertBuilt();
    writeFileSync(this.configPath, `[general]\nlog_level = debug\ncontrol_socket = ${this.socketPath}\n${config}`);
    this.#proc = this.lab.spawn(this.ns, [...(opts.prefix ?? []), process.execPath, ...ONLINKD_NODE_FLAGS, ONLINKD, '--config', this.configPath, '--datapath', this.datapath, ...extraArgs]);
    await this.#proc.waitForLine(/"msg":"onlinkd ready"/, { timeoutMs: 10_000 });
  }

  /** Runs onlinkctl against this daemon (from the hv namespace); never throws on a non-zero exit. */
  async ctl(args: string[], timeoutMs = 10_000) {
    return this.lab.exec(this.ns, [process.execPath, ONLINKCTL, '--socket', this.socketPath, ...args], { timeoutMs });
  }

  async stop(): Promise<void> {
    if (this.#proc) await this.#proc.kill();
  }

  logs(): LogLine[] {
    return this.process.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  }

  /** Waits for a log line matching all given fields; returns it. */
  async waitLog(fields: Record<string, unknown>, timeoutMs = 5_000): Promise<LogLine> {
    const line = await this.process.waitForLine(
      (l) => {
        if (!l.startsWith('{')) return false;
        const o = JSON.parse(l) as Record<string, unknown>;
        return Object.entries(fields).every(([k, v]) => o[k] === v);
      },
      { timeoutMs },
    );
    return JSON.parse(line) as LogLine;
  }
}

export function bindingText(b: { mac: string; ip?: string; extra?: string }): string {
  return [
    `MAC=${b.mac}`,
    ...(b.ip ? [`IP=${b.ip}`, 'SUBNET=203.0.113.0/24', 'GATEWAY=203.0.113.1'] : []),
    b.extra ?? '',
  ].join('\n') + '\n';
}
