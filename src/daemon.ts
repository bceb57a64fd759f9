/**
 * Wiring and lifecycle: config → logger → binding store and directory →
 * link monitor → tap table → packet socket → packet path. Signals: SIGTERM
 * and SIGINT stop cleanly, SIGHUP reloads the configuration (bindings stay).
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { BindingDirectory } from './bindings/directory.js';
import { BindingStore } from './bindings/store.js';
import { loadConfig, type Settings } from './config.js';
import { LinkMonitor } from './io/link-monitor.js';
import { PacketSocket } from './io/packet-socket.js';
import { createLogger } from './log.js';
import { PacketPath } from './packet-path.js';
import { Stats } from './stats.js';
import { TapTable } from './taps.js';
import { VERSION } from './version.js';

export interface DaemonOptions {
  configPath: string | undefined;
  /** Overrides `[general] datapath` (tests, one-off runs). */
  datapath?: string;
  logger?: Logger;
}

export class Daemon {
  #settings: Settings;
  readonly #configPath: string | undefined;
  readonly #datapath: string | undefined;
  readonly log: Logger;
  readonly store = new BindingStore();
  readonly stats = new Stats();
  #directory: BindingDirectory | undefined;
  #links: LinkMonitor | undefined;
  #socket: PacketSocket | undefined;
  #taps: TapTable | undefined;
  #stopped = false;

  private constructor(settings: Settings, opts: DaemonOptions, log: Logger) {
    this.#settings = settings;
    this.#configPath = opts.configPath;
    this.#datapath = opts.datapath;
    this.log = log;
  }

  get settings(): Settings {
    return this.#settings;
  }

  get taps(): TapTable | undefined {
    return this.#taps;
  }

  /** Loads config and starts serving. Throws (with a clear message) when it cannot start. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const { settings, source } = loadConfig(opts.configPath);
    if (opts.datapath) settings.general.datapath = opts.datapath;
    const log = opts.logger ?? createLogger(settings.general.logLevel);
    const d = new Daemon(settings, opts, log);
    log.info({ version: VERSION, config: source, datapath: settings.general.datapath }, 'onlinkd starting');
    for (const u of settings.unused) log.info({ section: u.section, key: u.key, line: u.line }, 'config key has no effect in onlinkd (nfdhcpd NFQUEUE setting)');
    try {
      await d.#open();
    } catch (e) {
      d.stop();
      throw e;
    }
    return d;
  }

  async #open(): Promise<void> {
    const s = this.#settings;
    mkdirSync(s.general.datapath, { recursive: true, mode: 0o755 });

    // Interfaces first, so bindings loaded next attach at once.
    this.#links = LinkMonitor.open();
    this.#links.on('resync', (reason: string) => this.log.warn({ reason }, 'interface table resynchronised from the kernel'));
    await withTimeout(this.#links.ready, 5000, 'initial interface dump');
    this.#taps = new TapTable(this.store, this.#links, this.log);

    this.#directory = new BindingDirectory(s.general.datapath, this.store, this.log);
    await this.#directory.start();

    this.#socket = PacketSocket.open();
    const path = new PacketPath({
      taps: this.#taps,
      settings: () => this.#settings,
      send: (ifindex, frame) => this.#socket!.send(ifindex, frame),
      stats: this.stats,
      log: this.log,
      now: () => new Date(),
    });
    this.#socket.onFrame((f) => path.handle(f));
    this.#socket.onError((err) => this.log.warn({ err }, 'packet socket error (receiving continues)'));
    this.log.info(
      { bindings: this.store.size, attached: this.#taps.attachedCount, datapath: s.general.datapath },
      'onlinkd ready',
    );
  }

  /** Re-reads the configuration; on error the running configuration stays. */
  reload(): boolean {
    try {
      const { settings, source } = loadConfig(this.#configPath);
      if (this.#datapath) settings.general.datapath = this.#datapath;
      if (settings.general.datapath !== this.#settings.general.datapath) {
        this.log.warn({ datapath: settings.general.datapath }, 'datapath changes need a restart; keeping the current one');
        settings.general.datapath = this.#settings.general.datapath;
      }
      this.#settings = settings;
      this.log.level = settings.general.logLevel;
      this.log.info({ config: source }, 'configuration reloaded');
      return true;
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'configuration reload failed; keeping the running configuration');
      return false;
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#socket?.close();
    this.#directory?.close();
    this.#links?.close();
    this.log.info('onlinkd stopped');
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
