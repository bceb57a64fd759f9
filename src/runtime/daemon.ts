/**
 * Wiring and lifecycle: config → logger → control socket → link monitor →
 * tap table → packet path → tap sockets and binding directory → RA
 * scheduler → announcer (see #open for why in that order). Signals: SIGTERM
 * and SIGINT stop cleanly, SIGHUP reloads the configuration (bindings stay).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { BindingDirectory, isBindingFileName } from '../bindings/directory.js';
import { BindingStore } from '../bindings/store.js';
import { removeStaleTempFiles } from '../bindings/persist.js';
import { loadConfig, type Settings } from '../config/config.js';
import { LinkMonitor } from '../io/link-monitor.js';
import { PacketSocket, type SendResult } from '../io/packet-socket.js';
import { TapSockets } from '../io/tap-sockets.js';
import { SdNotify } from '../io/sd-notify.js';
import { createLogger } from '../util/log.js';
import { PacketPath } from '../packet/path.js';
import { finalRouterAdvertisement, unsolicitedRouterAdvertisement } from '../protocols/router-advert.js';
import { ndpReplyFrame, type NdpDecision } from '../protocols/ndp-frame.js';
import { RaScheduler, type RaKind } from './ra-scheduler.js';
import { Announcer } from './announcer.js';
import { loadOrCreateServerDuid } from './server-duid.js';
import { applyPrivileges, planFromSystem, type PrivilegePlan } from './privileges.js';
import { Stats } from './stats.js';
import { TapTable, type Tap } from './tap-table.js';
import { InterfacePolicy } from './interface-policy.js';
import type { Binding } from '../bindings/binding.js';
import { withinInterval } from '../util/interval.js';
import { VERSION } from '../util/version.js';
// ---- control socket (src/control) ----
import { createDaemonContext } from '../control/daemon-context.js';
import { ControlServer } from '../control/server.js';
// ---- end control socket ----

type RaBuilder = (b: Binding, s: Settings['ipv6'], mac: string) => NdpDecision;

/** An RA frame and what it was built from (see Daemon.#sendRa). */
interface CachedRa {
  settings: Settings['ipv6'];
  mac: string;
  frame: Uint8Array;
}

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
  /** Interfaces never bound (loopback, uplinks): asked by binding-add, the binding directory and the tap table. */
  readonly #policy = new InterfacePolicy(this.store, () => this.#settings, () => this.#links);
  #directory: BindingDirectory | undefined;
  #links: LinkMonitor | undefined;
  /** Send-only: frames for interfaces without a tap socket of ours (uplinks: announcements) go out here. */
  #socket: PacketSocket | undefined;
  /** Receiving: one socket per bound tap, so one tap's flood cannot overflow another's queue. */
  #tapSockets: TapSockets | undefined;
  #taps: TapTable | undefined;
  #path: PacketPath | undefined;
  #ra: RaScheduler | undefined;
  #announcer: Announcer | undefined;
  // ---- control socket (src/control) ----
  #control: ControlServer | undefined;
  readonly #startedAt = new Date();
  // ---- end control socket ----
  #stopped = false;
  readonly #notify = new SdNotify();
  #statusTimer: NodeJS.Timeout | undefined;
  #kernelTimer: NodeJS.Timeout | undefined;
  /** Kernel drops per tap not logged yet, and when the last such line was logged. */
  readonly #kernelLost = new Map<string, number>();
  #kernelLoggedAt = 0;
  /** Periodic and initial RA frames by binding (weak: a removed binding takes its frame along). */
  readonly #unsolicitedRas = new WeakMap<Binding, CachedRa>();

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
      await d.#open(planFromSystem(settings.general)); // an unknown [general] user stops here, before anything opens
    } catch (e) {
      d.stop();
      throw e;
    }
    return d;
  }

  /**
   * Start-up, in an order that matters: the control socket first (a second
   * onlinkd stops there, before it touches a tap), interfaces before
   * bindings (so a binding attaches as it loads), the packet path before the
   * tap sockets that feed it, and the announcer last (see #startAnnouncer).
   * Started as root with [general] user, privileges are dropped as soon as
   * what needs root is open (control socket, netlink, send socket, server
   * DUID), before any binding file is read (src/runtime/privileges.ts).
   */
  async #open(privileges: PrivilegePlan): Promise<void> {
    mkdirSync(this.#settings.general.datapath, { recursive: true, mode: 0o755 });
    // A removed binding's counters go with it: taps come and go for years, counters must not pile up.
    this.store.on('removed', (b) => this.stats.forget(b.tap));
    this.#control = await this.#openControl(privileges.action === 'drop' ? privileges.account.uid : undefined);
    await this.#removeInterruptedWrites();
    await this.#openLinks();
    this.#path = await this.#openPacketPath();
    applyPrivileges(privileges, { log: this.log, datapath: this.#settings.general.datapath });
    await this.#loadBindingsAndListen(this.#path);
    this.#startRouterAdvertisements();
    this.#startAnnouncer();
    this.#taps!.on('detached', (binding, ifindex) => this.#onDetached(binding, ifindex));
    // Frames the kernel dropped because we read too slowly show up here (and in statistic-get).
    this.#kernelTimer = setInterval(() => this.readKernelStats(), 10_000);
    this.#kernelTimer.unref();
    this.#ready();
  }

  // ---- control socket (src/control) ----
  /** `daemonUid`: the user onlinkd becomes ([general] user), allowed on the socket and trusted to own its directory. */
  #openControl(daemonUid: number | undefined): Promise<ControlServer> {
    return ControlServer.start({
      path: this.#settings.general.controlSocket,
      group: this.#settings.general.controlGroup,
      daemonUid,
      log: this.log,
      context: createDaemonContext({
        store: this.store,
        datapath: () => this.#settings.general.datapath,
        stats: this.stats,
        refreshStats: () => this.readKernelStats(),
        taps: () => this.#taps,
        links: () => this.#links,
        settings: () => this.#settings,
        refuseBinding: (b) => this.#policy.refuseBinding(b),
        announce: (tap) => {
          if (!this.#announcer) throw new Error('onlinkd is still starting');
          return { frames: this.#announcer.announce(tap, 'command').length };
        },
        reload: async () => {
          const r = this.reload();
          await this.#control?.settled(); // the control_group it changed is in force before the answer
          return r.ok ? { ok: true } : { ok: false, message: `configuration reload failed, the running configuration stays: ${r.error}` };
        },
        control: () => this.#control?.status(),
        startedAt: this.#startedAt,
        version: VERSION,
      }),
    });
  }
  // ---- end control socket ----

  /** Temp files of binding writes killed midway (we hold the control socket: no other onlinkd writes here). */
  async #removeInterruptedWrites(): Promise<void> {
    const datapath = this.#settings.general.datapath;
    const stale = await removeStaleTempFiles(datapath, this.#startedAt.getTime());
    if (stale.length > 0) this.log.info({ datapath, files: stale }, 'removed temporary files left by an interrupted binding write');
  }

  /** The kernel's interface table, and the tap table that joins it to the bindings. */
  async #openLinks(): Promise<void> {
    this.#links = LinkMonitor.open();
    this.#links.on('resync', (reason: string) => this.log.warn({ reason }, 'interface table resynchronised from the kernel'));
    await withTimeout(this.#links.ready, 5000, 'initial interface dump');
    this.#taps = new TapTable(this.store, this.#links, this.log, this.#policy);
  }

  async #openPacketPath(): Promise<PacketPath> {
    const serverDuid = await loadOrCreateServerDuid(this.#settings.general.datapath, this.log);
    this.#socket = PacketSocket.open({ receive: false });
    return new PacketPath({
      taps: this.#taps!,
      settings: () => this.#settings,
      send: (ifindex, frame) => this.#send(ifindex, frame),
      stats: this.stats,
      log: this.log,
      now: Date.now,
      serverDuid,
      onRateLimited: (tap, waitMs) => this.#tapSockets?.pause(tap.link.ifindex, waitMs),
    });
  }

  /**
   * Per-tap receive sockets (one tap's flood cannot overflow another's
   * queue) that follow the tap table, and the binding directory loaded
   * while the sockets of its taps open.
   */
  async #loadBindingsAndListen(path: PacketPath): Promise<void> {
    const taps = this.#taps!;
    const tapSockets = new TapSockets({
      onFrame: (f) => path.handle(f),
      onError: (tap, ifindex, err) => {
        // ENETDOWN: the tap went down or away; the link monitor reports it and the socket follows the tap.
        if (err === 'ENETDOWN') this.log.debug({ tap, ifindex, err }, 'packet socket: tap down');
        else this.log.warn({ tap, ifindex, err }, 'packet socket error (receiving continues)');
      },
      onOpenFailed: (tap, ifindex, err) => this.#socketFailed(tap, ifindex, err),
    });
    this.#tapSockets = tapSockets;
    const listen = (tap: Tap) => {
      const r = tapSockets.open(tap.link.ifindex, tap.binding.tap);
      if (!r.ok) this.#socketFailed(tap.binding.tap, tap.link.ifindex, r.error);
    };
    taps.on('attached', listen);
    taps.on('linkChanged', (tap) => {
      if (!tapSockets.has(tap.link.ifindex)) listen(tap); // an earlier open failed: retry on the next link event
    });
    taps.on('detached', (_binding, ifindex) => tapSockets.close(ifindex));
    // With thousands of taps, creating their sockets is the slowest part of start-up: open the
    // sockets of the taps that have a binding file now, on a pool thread, while the files load.
    // Only with a second CPU to run on: on one, the two would just take turns (measured: slower).
    const datapath = this.#settings.general.datapath;
    const prepared = availableParallelism() > 1 ? tapSockets.prepare(this.#bindingFileTaps(datapath)) : Promise.resolve();
    this.#directory = new BindingDirectory(datapath, this.store, this.log, { admit: (b) => this.#policy.refuseBinding(b) });
    await this.#directory.start();
    for (const b of this.store.bindings()) {
      const tap = taps.byName(b.tap);
      if (tap) listen(tap);
    }
    await prepared;
    tapSockets.dropSpare();
  }

  /** Unsolicited RAs: the scheduler follows the tap table; the taps bound at start get their initial bursts. */
  #startRouterAdvertisements(): void {
    const taps = this.#taps!;
    const ra = new RaScheduler({ settings: () => this.#settings, send: (tap, kind) => this.#sendUnsolicitedRa(tap, kind), log: this.log });
    this.#ra = ra;
    taps.on('attached', (tap) => ra.attach(tap));
    taps.on('linkChanged', (tap, previous) => ra.linkChanged(tap, previous?.up ?? false));
    for (const b of this.store.bindings()) {
      const tap = taps.byName(b.tap);
      if (tap) ra.attach(tap);
    }
  }

  /**
   * Announcements upstream (gratuitous ARP, unsolicited NA) when a bound tap
   * comes up or a binding arrives for an up tap. Started after the bindings
   * are loaded on purpose: the taps bound at start are not announced. A
   * restart changes nothing on the wire, and 4096 VMs announced at once
   * would be a storm upstream for no news.
   */
  #startAnnouncer(): void {
    const taps = this.#taps!;
    const announcer = new Announcer({
      settings: () => this.#settings,
      links: this.#links!,
      send: (ifindex, frame) => this.#send(ifindex, frame),
      stats: this.stats,
      log: this.log,
    });
    this.#announcer = announcer;
    taps.on('attached', (tap) => {
      if (tap.link.up) announcer.announce(tap, 'binding-added');
    });
    taps.on('linkChanged', (tap, previous) => {
      if (tap.link.up && !(previous?.up ?? false)) announcer.announce(tap, 'tap-up');
    });
  }

  /** READY=1 for systemd, and a status line kept current as taps come and go (coalesced). */
  #ready(): void {
    this.log.info(
      { bindings: this.store.size, attached: this.#taps!.attachedCount, datapath: this.#settings.general.datapath, systemd: this.#notify.enabled },
      'onlinkd ready',
    );
    const err = this.#notify.ready(this.#statusLine());
    if (err) this.log.warn({ err }, 'sd_notify READY failed');
    const refresh = () => {
      if (this.#statusTimer || !this.#notify.enabled) return;
      this.#statusTimer = setTimeout(() => {
        this.#statusTimer = undefined;
        this.#notify.status(this.#statusLine());
      }, 1000);
      this.#statusTimer.unref();
    };
    this.#taps!.on('attached', refresh);
    this.#taps!.on('detached', refresh);
  }

  /**
   * Refreshes the kernel's receive counters (every 10 s and on statistic-get);
   * a growing drop count is worth a warning: one line per 10 s at most, with
   * the taps that lost frames.
   */
  readKernelStats(): void {
    if (!this.#tapSockets) return;
    const k = this.#tapSockets.readKernelStats();
    for (const [tap, n] of k.drops) {
      if (this.store.get(tap)) this.stats.drop(tap, 'kernel-buffer-full', n); // a removed binding's counters are gone
      this.#kernelLost.set(tap, (this.#kernelLost.get(tap) ?? 0) + n);
    }
    this.stats.global.kernel = k.total;
    const now = Date.now();
    if (this.#kernelLost.size > 0 && !withinInterval(now, this.#kernelLoggedAt, 10_000)) {
      const taps = Object.fromEntries(this.#kernelLost);
      const lost = Object.values(taps).reduce((a, b) => a + b, 0);
      this.log.warn({ lost, total: k.total.drops, taps }, 'packet socket receive queue overflowed: frames lost (a guest sends faster than its rate)');
      this.#kernelLost.clear();
      this.#kernelLoggedAt = now;
    }
  }

  /**
   * Sends a frame out of an interface: through the tap's own bound socket
   * when it has one (no per-send interface lookup in the kernel), else
   * through the shared send socket (uplinks, a tap whose socket failed).
   */
  #send(ifindex: number, frame: Uint8Array): SendResult {
    return this.#tapSockets?.send(ifindex, frame) ?? this.#socket!.send(ifindex, frame);
  }

  #statusLine(): string {
    return `serving ${this.#taps?.attachedCount ?? 0} of ${this.store.size} bindings`;
  }

  #sendUnsolicitedRa(tap: Tap, kind: RaKind): void {
    const sent = this.#sendRa(tap, unsolicitedRouterAdvertisement, this.#unsolicitedRas);
    if (!sent) return;
    if (sent.ok) this.stats.reply(tap.binding.tap, `ra-${kind}`);
    else this.stats.drop(tap.binding.tap, `send-${sent.error}`);
  }

  /**
   * Builds an RA for the tap (the responder decides) and sends it; undefined
   * when there is nothing to send. With `cache`, the frame is kept for the
   * next RA of the same binding, settings and server MAC (all replaced, not
   * mutated, on change): periodic RAs are the same every time, and building
   * them was most of the daemon's idle cost at 4096 taps.
   */
  #sendRa(tap: Tap, build: RaBuilder, cache?: WeakMap<Binding, CachedRa>): SendResult | undefined {
    const mac = this.#taps?.serverMac(tap);
    if (!mac || !this.#socket) return undefined;
    const settings = this.#settings.ipv6;
    const kept = cache?.get(tap.binding);
    if (kept && kept.settings === settings && kept.mac === mac) return this.#send(tap.link.ifindex, kept.frame);
    const d = build(tap.binding, settings, mac);
    if (d.kind === 'drop') return undefined;
    const built = ndpReplyFrame(d.reply, mac);
    if (!built.ok) return undefined;
    cache?.set(tap.binding, { settings, mac, frame: built.frame });
    return this.#send(tap.link.ifindex, built.frame);
  }

  /**
   * A binding and its tap parted. When the binding went away while the tap
   * lives, tell the guest with a final RA (router lifetime 0) so it drops its
   * default route now; when the tap went away, there is no one to tell.
   */
  #onDetached(binding: Binding, ifindex: number): void {
    this.#ra?.detach(ifindex);
    this.#announcer?.cancel(binding.tap);
    this.#path?.forget(binding.tap);
    const link = this.#links?.byIndex(ifindex);
    if (!link || link.name !== binding.tap || this.store.get(binding.tap) || !link.up) return;
    if (this.#sendRa({ binding, link }, finalRouterAdvertisement)?.ok) {
      this.log.info({ tap: binding.tap, mac: binding.mac }, 'final router advertisement (lifetime 0) sent for removed binding');
    }
  }

  #socketFailed(tap: string, ifindex: number, err: string): void {
    this.log.error({ tap, ifindex, err }, 'cannot open a packet socket on the tap; its guest is not answered');
  }

  /** ifindexes of the interfaces named by a binding file in `datapath` (start-up: their sockets are opened ahead). */
  #bindingFileTaps(datapath: string): number[] {
    let names: string[];
    try {
      names = readdirSync(datapath);
    } catch {
      return []; // the directory load reports it
    }
    const out: number[] = [];
    for (const name of names) {
      if (!isBindingFileName(name)) continue;
      const link = this.#links?.byName(name);
      if (link && !this.#policy.refuse(link)) out.push(link.ifindex); // never a socket on the loopback or an uplink
    }
    return out;
  }

  /** Re-reads the configuration; on error the running configuration stays. */
  reload(): { ok: true } | { ok: false; error: string } {
    this.#notify.reloading();
    try {
      const { settings, source } = loadConfig(this.#configPath);
      if (this.#datapath) settings.general.datapath = this.#datapath;
      if (settings.general.datapath !== this.#settings.general.datapath) {
        this.log.warn({ datapath: settings.general.datapath }, 'datapath changes need a restart; keeping the current one');
        settings.general.datapath = this.#settings.general.datapath;
      }
      const { user, group } = this.#settings.general;
      if (settings.general.user !== user || settings.general.group !== group) {
        this.log.warn({ user: settings.general.user, group: settings.general.group }, '[general] user/group changes need a restart; keeping the current ones');
        Object.assign(settings.general, { user, group });
      }
      const periodChanged = settings.ipv6.raPeriod !== this.#settings.ipv6.raPeriod || settings.ipv6.enable !== this.#settings.ipv6.enable;
      this.#settings = settings;
      // ---- control socket: applies control_group, reports a control_socket that needs a restart (logs either)
      void this.#control?.reconfigure({ socket: settings.general.controlSocket, group: settings.general.controlGroup });
      this.log.level = settings.general.logLevel;
      if (periodChanged) this.#ra?.reschedule();
      this.#taps?.recheck(); // [announce] uplink/uplink6 may now name a bound tap (or no longer)
      this.log.info({ config: source }, 'configuration reloaded');
      return { ok: true };
    } catch (e) {
      const error = (e as Error).message;
      this.log.error({ err: error }, 'configuration reload failed; keeping the running configuration');
      return { ok: false, error };
    } finally {
      this.#notify.reloaded(this.#statusLine());
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#notify.stopping();
    if (this.#statusTimer) clearTimeout(this.#statusTimer);
    if (this.#kernelTimer) clearInterval(this.#kernelTimer);
    // No withdrawal on stop: routing goes on without the daemon, a restart must change nothing.
    this.#ra?.stop();
    this.#announcer?.stop();
    void this.#control?.close(); // ---- control socket (src/control): closes and unlinks it
    this.#tapSockets?.closeAll();
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
