/**
 * ControlContext for the running daemon, built from explicit dependencies
 * (no reach into the Daemon class), so it can be tested with a real store
 * and a temp directory.
 *
 * Persistence model: the state directory is the source of truth. A binding
 * added over the socket is written there atomically first and applied to
 * the store right after, so `onlinkctl bind` takes effect at once instead of
 * after the watcher's settle delay; when the watcher then reads the same
 * content it finds an identical binding and does nothing. If the write
 * fails, nothing changes. A delete unlinks the file, then removes the
 * binding. Mutations of one tap are serialised, so two concurrent requests
 * cannot leave the store holding one binding and the file the other.
 */
import type { EventBus, EventSink } from '../runtime/events.js';
import { bindingWarnings } from '../protocols/ipv6-mode.js';
import { sameBinding, type Binding } from '../bindings/binding.js';
import { serializeBinding } from '../bindings/binding-file.js';
import { removeBindingFile, writeBindingFile, type PersistOptions } from '../bindings/persist.js';
import type { BindingEntry, BindingStore } from '../bindings/store.js';
import type { Route } from '../io/route-netlink.js';
import type { Rule } from '../io/rule-netlink.js';
import type { Settings } from '../config/config.js';
import type { Stats } from '../runtime/stats.js';
import type { LinkInfo, Tap, TapTable } from '../runtime/tap-table.js';
import type {
  AnnounceOutcome, BindingInfo, ControlContext, ControlSocketStatus, ReloadOutcome, StatsView, StatusSnapshot,
} from './context.js';
import { routingView, type UplinkAnswering } from './routing-view.js';

export interface DaemonContextDeps {
  store: BindingStore;
  /** State directory (`[general] datapath`); a getter because it is resolved at start. */
  datapath: () => string;
  stats: Stats;
  /** Brings counters read on a timer (the kernel's drop counters) up to date before `statistic-get` answers. */
  refreshStats?: () => void;
  /** Undefined until the daemon has opened its link monitor. */
  taps: () => TapTable | undefined;
  /** Name → live interface (the link monitor): O(1), where TapTable.byName is a scan. */
  links: () => { byName(name: string): LinkInfo | undefined; byIndex(ifindex: number): LinkInfo | undefined } | undefined;
  settings: () => Settings;
  /** Why a binding may not be added (src/runtime/interface-policy.ts); omitted: none is refused. */
  refuseBinding?: (binding: Binding) => { key: string | undefined; detail: string } | undefined;
  /**
   * Starts the announcements for an attached tap (src/runtime/announcer.ts); may
   * return how many frames are planned (0: no uplink configured). A throw is
   * reported as a failure. Omitted: the command is unsupported.
   */
  announce?: (tap: Tap) => AnnounceReturn | Promise<AnnounceReturn>;
  /**
   * Re-reads the configuration; resolves once what it changed is applied
   * (the control socket's group included), so an answer to config-reload
   * and a status-get after it tell the truth.
   */
  reload: () => ReloadOutcome | Promise<ReloadOutcome>;
  /**
   * The control socket as in force (ControlServer.status): a reload may ask
   * for a socket path or group that is not applied, and status-get must
   * report what is, not the configuration file. Omitted: taken from settings.
   */
  control?: () => ControlSocketStatus | undefined;
  /** The routes the route manager keeps now, by tap (RouteManager.managed); undefined until it is open. Omitted: route-list is unsupported. */
  managedRoutes?: () => ReadonlyArray<{ tap: string; route: Route }> | undefined;
  /** The policy rules it keeps (RouteManager.managedRules), likewise. */
  managedRules?: () => ReadonlyArray<{ tap: string; rule: Rule }> | undefined;
  /** What the uplink proxy answers for (UplinkProxy.answering); undefined until it is started. */
  uplinkProxy?: () => UplinkAnswering | undefined;
  startedAt: Date;
  version: string;
  /** The event stream `subscribe` attaches to (runtime/events.ts); omitted: subscribe is unsupported. */
  events?: Pick<EventBus, 'subscribe'>;
  now?: () => Date;
  pid?: number;
  /** Test hook: fault injection for the file writes (own writes are recorded in the store's registry unless this says otherwise). */
  persist?: PersistOptions;
}

export type AnnounceReturn = void | { frames: number };

export function createDaemonContext(deps: DaemonContextDeps): ControlContext {
  const now = deps.now ?? (() => new Date());
  const chains = new Map<string, Promise<unknown>>();
  const persist: PersistOptions = { ownWrites: deps.store.ownWrites, ...deps.persist };

  /** Runs `fn` after every earlier mutation of the same tap. */
  function serial<T>(tap: string, fn: () => Promise<T>): Promise<T> {
    const prev = chains.get(tap) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    chains.set(tap, settled);
    void settled.then(() => {
      if (chains.get(tap) === settled) chains.delete(tap);
    });
    return next;
  }

  function liveTap(name: string, binding: Binding | undefined): Tap | undefined {
    if (!binding) return undefined;
    const link = deps.links()?.byName(name);
    if (!link) return undefined;
    const tap = deps.taps()?.lookup(link.ifindex);
    return tap && tap.binding.tap === name ? tap : undefined;
  }

  function info(entry: BindingEntry): BindingInfo {
    const tap = liveTap(entry.tap, entry.binding);
    return {
      tap: entry.tap,
      binding: entry.binding,
      error: entry.error,
      link: tap
        ? { ifindex: tap.link.ifindex, up: tap.link.up, running: tap.link.running, serverMac: deps.taps()?.serverMac(tap) }
        : undefined,
      problem: deps.taps()?.problem(entry.tap),
      warnings: bindingWarnings(entry.binding, deps.settings()),
    };
  }

  return {
    version: deps.version,

    status(): StatusSnapshot {
      const s = deps.settings();
      const control = deps.control?.() ?? { controlSocket: s.general.controlSocket, controlGroup: s.general.controlGroup ?? null, notApplied: {} };
      return {
        version: deps.version,
        pid: deps.pid ?? process.pid,
        startedAt: deps.startedAt.toISOString(),
        uptimeSeconds: Math.max(0, Math.floor((now().getTime() - deps.startedAt.getTime()) / 1000)),
        bindings: deps.store.size,
        attached: deps.taps()?.attachedCount ?? 0,
        rejected: deps.store.rejectedCount,
        datapath: deps.datapath(),
        ...control,
      };
    },

    *listBindings(): Iterable<BindingInfo> {
      for (const e of deps.store.entries()) yield info(e);
    },

    refuseBinding(binding: Binding) {
      return deps.refuseBinding?.(binding);
    },

    getBinding(tap: string): BindingInfo | undefined {
      const e = deps.store.entry(tap);
      return e ? info(e) : undefined;
    },

    addBinding(binding: Binding, fileText?: string): Promise<{ previous: Binding | undefined }> {
      return serial(binding.tap, async () => {
        // Throws PersistError and changes nothing when the file cannot be written.
        await writeBindingFile(deps.datapath(), binding.tap, fileText ?? serializeBinding(binding), persist);
        const previous = deps.store.get(binding.tap);
        if (previous && sameBinding(previous, binding)) {
          deps.store.clearError(binding.tap); // same binding: no 'set' event, no re-attach
        } else {
          deps.store.set(binding);
        }
        return { previous };
      });
    },

    delBinding(tap: string): Promise<{ removed: boolean; binding: Binding | undefined }> {
      return serial(tap, async () => {
        // Read first: while the unlink is fsynced, the directory watcher may see it and remove the entry itself.
        const before = deps.store.entry(tap);
        const hadFile = await removeBindingFile(deps.datapath(), tap, persist);
        const binding = deps.store.remove(tap) ?? before?.binding;
        return { removed: hadFile || before !== undefined, binding };
      });
    },

    async announce(name: string): Promise<AnnounceOutcome> {
      const binding = deps.store.get(name);
      if (!binding) return { ok: false, reason: 'no-binding', message: `no binding for tap ${JSON.stringify(name)}` };
      if (!deps.announce) return { ok: false, reason: 'unavailable', message: 'announcements are not available in this onlinkd' };
      const tap = liveTap(name, binding);
      if (!tap) return { ok: false, reason: 'not-attached', message: `tap ${name} does not exist (its binding waits for it); nothing to announce` };
      let r: AnnounceReturn;
      try {
        r = await deps.announce(tap);
      } catch (e) {
        return { ok: false, reason: 'failed', message: `announce on ${name} failed: ${(e as Error).message}` };
      }
      const s = deps.settings().announce;
      const uplink = binding.uplink ?? s.uplink;
      const uplink6 = binding.uplink6 ?? s.uplink6;
      if (r && r.frames === 0) {
        return {
          ok: false,
          reason: 'failed',
          message: `nothing to announce for ${name}: no uplink for its addresses ([announce] uplink/uplink6 or UPLINK/UPLINK6 in the binding)`,
        };
      }
      return {
        ok: true,
        text: `announcing ${[binding.ip, binding.eui64].filter(Boolean).join(' and ') || 'nothing'} for ${name}`,
        details: { ip: binding.ip, eui64: binding.eui64, uplink, uplink6, ...(r ? { frames: r.frames } : {}) },
      };
    },

    stats(tap?: string): StatsView {
      deps.refreshStats?.();
      if (tap === undefined) {
        const snap = deps.stats.snapshot();
        return { global: snap.global, taps: snap.taps };
      }
      const c = deps.stats.tap(tap);
      return { global: structuredClone(deps.stats.global), taps: c ? { [tap]: structuredClone(c) } : {} };
    },

    ...(deps.managedRoutes
      ? {
          routing: () =>
            routingView(
              { routes: deps.managedRoutes!() ?? [], rules: deps.managedRules?.() ?? [], uplinks: deps.uplinkProxy?.() ?? {} },
              deps.settings().routing,
              deps.links(),
            ),
        }
      : {}),

    ...(deps.events ? { subscribe: (sink: EventSink) => deps.events!.subscribe(sink) } : {}),

    async reload(): Promise<ReloadOutcome> {
      return deps.reload();
    },
  };
}
