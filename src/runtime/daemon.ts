/**
 * Wiring and lifecycle, nothing else: the start steps open the daemon's
 * parts in an order that matters (see #open), the tap lifecycle
 * (tap-lifecycle.ts) says what happens to a tap, and stop() closes the parts
 * in the reverse order. Signals (src/cli/onlinkd.ts): SIGTERM and SIGINT
 * stop, SIGHUP reloads the configuration (bindings stay).
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { bindingWarnings } from '../protocols/ipv6-mode.js';
import { BindingDirectory } from '../bindings/directory.js';
import { BindingStore } from '../bindings/store.js';
import { removeStaleTempFiles } from '../bindings/persist.js';
import { loadConfig, type Settings } from '../config/config.js';
import { LinkMonitor } from '../io/link-monitor.js';
import { RouteManager, hasEffectiveCapability } from './route-manager.js';
import { UplinkProxy } from './uplink-proxy.js';
import { uplinkFilter } from '../io/bpf-uplink.js';
import { CAP_NET_ADMIN } from '../io/native.js';
import { PacketSocket } from '../io/packet-socket.js';
import { TapSockets } from '../io/tap-sockets.js';
import { SdNotify } from '../io/sd-notify.js';
import { createLogger } from '../util/log.js';
import { withTimeout } from '../util/timer.js';
import { PacketPath } from '../packet/path.js';
import { RaScheduler } from './ra-scheduler.js';
import { RaSender } from './ra-sender.js';
import { PrefixWithdrawals } from './prefix-withdrawals.js';
import { Announcer } from './announcer.js';
import { KernelDrops } from './kernel-drops.js';
import { NotifyStatus, statusLine } from './notify-status.js';
import { prefetchTapSockets } from './socket-prefetch.js';
import { TapLifecycle, socketFailed } from './tap-lifecycle.js';
import { loadOrCreateServerDuid } from './server-duid.js';
import { applyPrivileges, planFromSystem, type PrivilegePlan } from './privileges.js';
import { settingsForReload, withCommandLine, type CommandLineOverrides } from './settings-override.js';
import { Stats } from './stats.js';
import { TapTable } from './tap-table.js';
import { InterfacePolicy } from './interface-policy.js';
import { VERSION } from '../util/version.js';
import { createDaemonContext } from '../control/daemon-context.js';
import { ControlServer } from '../control/server.js';
import { EventBus } from './events.js';
import { bindingCounts, startMetrics, type Metrics } from '../metrics/start.js';

export interface DaemonOptions {
  configPath: string | undefined;
  /** Overrides `[general] datapath` (tests, one-off runs). */
  datapath?: string;
  /** Overrides `[general] control_socket` (`onlinkd --control-socket`: a second instance). */
  controlSocket?: string;
  logger?: Logger;
}

/** The kernel's interface table and the tap table that joins it to the bindings (the second start step). */
interface Interfaces {
  links: LinkMonitor;
  taps: TapTable;
  /** Host routes to bound taps (`[routing] manage`, a binding's ROUTED=). */
  routes: RouteManager;
}

/** Every part the start steps open; all of it exists once start() resolved. */
interface Parts extends Interfaces {
  control: ControlServer;
  /** The socket layer: a receiving socket per bound tap, and the send-only socket. */
  sockets: TapSockets;
  path: PacketPath;
  directory: BindingDirectory;
  ra: RaScheduler;
  announcer: Announcer;
  /** ARP/NS answered on the uplinks for routed VMs (`[routing] manage`, ROUTED=). */
  proxy: UplinkProxy;
  kernelDrops: KernelDrops;
}

export class Daemon {
  #settings: Settings;
  /** Prefixes bindings left while their taps live: deprecated in the RAs that follow (issue 14). */
  readonly #withdrawals = new PrefixWithdrawals();
  readonly #configPath: string | undefined;
  readonly #commandLine: CommandLineOverrides;
  readonly log: Logger;
  readonly store = new BindingStore();
  readonly stats = new Stats();
  /** The `subscribe` stream (control socket): bindings applied and removed, leases acked, announcements. */
  readonly events = new EventBus();
  /** Set when [metrics] listen is: the packet path then observes reply latency into it. */
  #metrics: Metrics | undefined;
  /** Interfaces never bound (loopback, uplinks): asked by binding-add, the binding directory and the tap table. */
  readonly #policy = new InterfacePolicy(this.store, () => this.#settings, () => this.#interfaces?.links);
  readonly #status: NotifyStatus;
  readonly #startedAt = new Date();
  /** Set by the second start step: the control socket and the policy look interfaces up while the rest opens. */
  #interfaces: Interfaces | undefined;
  /** Set when every start step has run. */
  #parts: Parts | undefined;
  /** Start-up; a reload asked over the control socket meanwhile waits for it. */
  #starting: Promise<void> = Promise.resolve();
  /** What the start steps opened, closed in reverse by stop() (after a failed start too). */
  readonly #closers: Array<() => void> = [];
  #stopped = false;

  private constructor(settings: Settings, opts: DaemonOptions, log: Logger) {
    this.#settings = settings;
    this.#configPath = opts.configPath;
    this.#commandLine = { datapath: opts.datapath, controlSocket: opts.controlSocket };
    this.log = log;
    this.#status = new NotifyStatus({
      notify: new SdNotify(),
      line: () => statusLine(this.#interfaces?.taps.attachedCount ?? 0, this.store.size),
      log,
    });
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** Loads config and starts serving. Throws (with a clear message) when it cannot start. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const loaded = loadConfig(opts.configPath);
    const settings = withCommandLine(loaded.settings, opts);
    const log = opts.logger ?? createLogger(settings.general.logLevel);
    const d = new Daemon(settings, opts, log);
    log.info({ version: VERSION, config: loaded.source, datapath: settings.general.datapath }, 'onlinkd starting');
    for (const u of settings.unused) log.info({ section: u.section, key: u.key, line: u.line }, 'config key has no effect in onlinkd (nfdhcpd NFQUEUE setting)');
    d.#starting = d.#open(planFromSystem(settings.general)); // an unknown [general] user stops here, before anything opens
    try {
      await d.#starting;
    } catch (e) {
      d.stop();
      throw e;
    }
    return d;
  }

  /**
   * Start-up, in an order that matters: the control socket first (a second
   * onlinkd stops there, before it touches a tap), interfaces before
   * bindings (so a binding attaches as it loads), the packet path and its
   * socket layer before the bindings whose taps feed it, and the tap
   * lifecycle's full course (RA bursts, announcements) only once the
   * bindings are loaded (see tap-lifecycle.ts). Started as root with
   * [general] user, privileges are dropped as soon as what needs root is
   * open (control socket, netlink, send socket, server DUID), before any
   * binding file is read (src/runtime/privileges.ts).
   */
  async #open(privileges: PrivilegePlan): Promise<void> {
    const { datapath } = this.#settings.general;
    mkdirSync(datapath, { recursive: true, mode: 0o755 });
    // A removed binding's counters go with it: taps come and go for years, counters must not pile up.
    this.store.on('removed', (b) => {
      this.stats.forget(b.tap);
      this.events.emit('binding-removed', b.tap, b.mac, b.ip);
    });
    // A binding that parses but cannot do what it says (MODE6=dhcpv6 with nothing to give) is said once, when applied.
    this.store.on('set', (b) => {
      for (const w of bindingWarnings(b, this.#settings) ?? []) this.log.warn({ tap: b.tap, mac: b.mac }, w);
      this.events.emit('binding-applied', b.tap, b.mac, b.ip);
    });
    const control = await this.#openControl(privileges.action === 'drop' ? privileges.account.uid : undefined);
    await this.#openMetrics(); // before the privilege drop: a port below 1024 needs root
    await this.#removeInterruptedWrites();
    const interfaces = await this.#openInterfaces();
    const { sockets, path } = await this.#openPacketPath(interfaces.taps);
    applyPrivileges(privileges, { log: this.log, datapath, routing: this.#settings.routing.manage });
    if (this.#settings.routing.manage && !hasEffectiveCapability(CAP_NET_ADMIN)) {
      this.log.error('[routing] manage = yes but onlinkd lacks CAP_NET_ADMIN: no host route can be installed (README "Routed hypervisors": the systemd drop-in)');
    }
    const served = this.#serveTaps(interfaces, sockets, path);
    const directory = await this.#loadBindings(interfaces, sockets, served.lifecycle);
    const kernelDrops = this.#own(new KernelDrops({ sockets, store: this.store, stats: this.stats, log: this.log }), (k) => k.stop());
    kernelDrops.start();
    this.#parts = { ...interfaces, control, sockets, path, directory, ra: served.ra, announcer: served.announcer, proxy: served.proxy, kernelDrops };
    this.log.info(
      { bindings: this.store.size, attached: interfaces.taps.attachedCount, datapath, systemd: this.#status.enabled },
      'onlinkd ready',
    );
    this.#status.ready();
  }

  /** Registers what closes `part` (stop() runs them in reverse); returns `part`. */
  #own<T>(part: T, close: (part: T) => void): T {
    this.#closers.push(() => close(part));
    return part;
  }

  /** `daemonUid`: the user onlinkd becomes ([general] user), allowed on the socket and trusted to own its directory. */
  async #openControl(daemonUid: number | undefined): Promise<ControlServer> {
    const control: ControlServer = await ControlServer.start({
      path: this.#settings.general.controlSocket,
      group: this.#settings.general.controlGroup,
      daemonUid,
      log: this.log,
      context: createDaemonContext({
        store: this.store,
        datapath: () => this.#settings.general.datapath,
        stats: this.stats,
        refreshStats: () => this.#parts?.kernelDrops.read(),
        taps: () => this.#interfaces?.taps,
        links: () => this.#interfaces?.links,
        managedRoutes: () => this.#interfaces?.routes.managed(),
        managedRules: () => this.#interfaces?.routes.managedRules(),
        uplinkProxy: () => this.#parts?.proxy.answering(),
        settings: () => this.#settings,
        refuseBinding: (b) => this.#policy.refuseBinding(b),
        announce: (tap) => {
          if (!this.#parts) throw new Error('onlinkd is still starting');
          return { frames: this.#parts.announcer.announce(tap, 'command').length };
        },
        reload: async () => {
          await this.#starting; // every part is open before a reload applies to it
          const r = this.reload();
          await control.settled(); // the control_group it changed is in force before the answer
          return r.ok ? { ok: true } : { ok: false, message: `configuration reload failed, the running configuration stays: ${r.error}` };
        },
        control: () => control.status(),
        events: this.events,
        startedAt: this.#startedAt,
        version: VERSION,
      }),
    });
    // Closed last: a new onlinkd cannot take over while this one still holds taps.
    return this.#own(control, (c) => void c.close());
  }

  /** `[metrics] listen`: the Prometheus endpoint (metrics/), off when unset; a change needs a restart. */
  async #openMetrics(): Promise<void> {
    const started = await startMetrics(this.#settings.metrics.listen, {
      stats: this.stats,
      refresh: () => this.#parts?.kernelDrops.read(),
      bindings: () => bindingCounts(this.store, this.#interfaces?.taps),
    }, this.log);
    if (!started) return;
    this.#own(started.server, (s) => s.close());
    this.#metrics = started.metrics;
  }

  /** Temp files of binding writes killed midway (we hold the control socket: no other onlinkd writes here). */
  async #removeInterruptedWrites(): Promise<void> {
    const datapath = this.#settings.general.datapath;
    const stale = await removeStaleTempFiles(datapath, this.#startedAt.getTime());
    if (stale.length > 0) this.log.info({ datapath, files: stale }, 'removed temporary files left by an interrupted binding write');
  }

  async #openInterfaces(): Promise<Interfaces> {
    const links = this.#own(LinkMonitor.open(), (l) => l.close());
    links.on('resync', (reason: string) => this.log.warn({ reason }, 'interface table resynchronised from the kernel'));
    await withTimeout(links.ready, 5000, 'initial interface dump');
    // Routes already there (ours from the last run) are read before any binding attaches: a restart re-adds none.
    const routes = this.#own(RouteManager.open(() => this.#settings.routing, this.log), (r) => r.close());
    await withTimeout(routes.ready, 5000, 'initial route dump');
    this.#interfaces = { links, routes, taps: new TapTable(this.store, links, this.log, this.#policy) };
    return this.#interfaces;
  }

  /**
   * The packet path and its socket layer, joined directly: frames go from
   * the tap sockets to the path, replies from the path to the sockets. The
   * send-only socket (uplinks, taps without a socket of ours) opens here,
   * before the privilege drop; no tap socket opens yet.
   */
  async #openPacketPath(taps: TapTable): Promise<{ sockets: TapSockets; path: PacketPath }> {
    const serverDuid = await loadOrCreateServerDuid(this.#settings.general.datapath, this.log);
    const sendSocket = this.#own(PacketSocket.open({ receive: false }), (s) => s.close());
    const sockets = this.#own(
      new TapSockets({
        sendSocket,
        onError: (tap, ifindex, err) => {
          // ENETDOWN: the tap went down or away; the link monitor reports it and the socket follows the tap.
          if (err === 'ENETDOWN') this.log.debug({ tap, ifindex, err }, 'packet socket: tap down');
          else this.log.warn({ tap, ifindex, err }, 'packet socket error (receiving continues)');
        },
        onOpenFailed: (tap, ifindex, err) => socketFailed(this.log, tap, ifindex, err),
      }),
      (s) => s.closeAll(),
    );
    const path = new PacketPath({ taps, settings: () => this.#settings, out: sockets, stats: this.stats, log: this.log, now: Date.now, serverDuid, withdrawals: this.#withdrawals,
      events: this.events, observeReply: this.#metrics && ((s: number) => this.#metrics!.observeReply(s)) });
    sockets.deliverTo(path);
    return { sockets, path };
  }

  /** RA scheduling and sending, announcements, and the tap lifecycle that drives them from the tap table. */
  #serveTaps({ links, taps, routes }: Interfaces, sockets: TapSockets, path: PacketPath) {
    const settings = () => this.#settings;
    const withdrawals = this.#withdrawals;
    const raSender = new RaSender({ taps, settings, out: sockets, stats: this.stats, log: this.log, withdrawals });
    const ra = this.#own(new RaScheduler({ settings, send: (tap, kind) => raSender.unsolicited(tap, kind), log: this.log }), (r) => r.stop());
    const announcer = this.#own(new Announcer({ settings, links, send: (i, f) => sockets.send(i, f), stats: this.stats, log: this.log, events: this.events }), (a) => a.stop());
    const proxy = this.#own(new UplinkProxy({
      bindings: () => this.store.bindings(),
      tap: (name) => taps.byName(name),
      links,
      settings,
      open: (ifindex) => PacketSocket.open({ ifindex, filter: uplinkFilter(), allMulticast: true, receiveBufferBytes: UPLINK_RECEIVE_BUFFER }),
      stats: this.stats,
      log: this.log,
    }), (p) => p.close());
    const lifecycle = new TapLifecycle({ taps, links, store: this.store, sockets, ra, raSender, withdrawals, settings, announcer, path, status: this.#status, routes, proxy, log: this.log });
    return { ra, announcer, proxy, lifecycle };
  }

  /**
   * The binding directory, loaded while the sockets of its taps open (see
   * socket-prefetch.ts); then the lifecycle serves every bound tap.
   */
  async #loadBindings({ links }: Interfaces, sockets: TapSockets, lifecycle: TapLifecycle): Promise<BindingDirectory> {
    const datapath = this.#settings.general.datapath;
    const prefetched = prefetchTapSockets({ sockets, datapath, links, policy: this.#policy });
    const directory = this.#own(new BindingDirectory(datapath, this.store, this.log, { admit: (b) => this.#policy.refuseBinding(b) }), (d) => d.close());
    await directory.start();
    await prefetched;
    sockets.dropSpare();
    lifecycle.serve();
    return directory;
  }

  /** Re-reads the configuration; on error the running configuration stays. */
  reload(): { ok: true } | { ok: false; error: string } {
    this.#status.reloading();
    try {
      const { settings: read, source } = loadConfig(this.#configPath);
      const settings = settingsForReload(withCommandLine(read, this.#commandLine), this.#settings, this.log);
      const periodChanged = settings.ipv6.raPeriod !== this.#settings.ipv6.raPeriod || settings.ipv6.enable !== this.#settings.ipv6.enable;
      this.#settings = settings;
      const p = this.#parts;
      // The control socket applies control_group and reports a control_socket that needs a restart (logs either).
      void p?.control.reconfigure({ socket: settings.general.controlSocket, group: settings.general.controlGroup });
      this.log.level = settings.general.logLevel;
      if (periodChanged) p?.ra.reschedule();
      p?.taps.recheck(); // [announce] uplink/uplink6 may now name a bound tap (or no longer)
      p?.proxy.changed(); // and which uplink answers for the routed VMs
      this.log.info({ config: source }, 'configuration reloaded');
      return { ok: true };
    } catch (e) {
      const error = (e as Error).message;
      this.log.error({ err: error }, 'configuration reload failed; keeping the running configuration');
      return { ok: false, error };
    } finally {
      this.#status.reloaded();
    }
  }

  /** No withdrawal on stop: routing goes on without the daemon, a restart must change nothing. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#status.stopping();
    // The control socket goes first, out of the reverse order: a stopping daemon takes no more requests,
    // and closing thousands of tap sockets takes seconds, during which a successor (a restart that does
    // not wait, as systemd does, for this process to exit) must find the path free, not answered by a
    // listener that never accepts. The closer registered for it then finds it closed.
    void this.#parts?.control.close();
    for (const close of this.#closers.reverse()) close();
    this.#closers.length = 0;
    this.log.info('onlinkd stopped');
  }
}

/** An uplink socket queues only ARP requests and NSs (its filter): 1 MiB holds thousands. */
const UPLINK_RECEIVE_BUFFER = 1024 * 1024;
