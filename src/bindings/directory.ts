/**
 * Keeps the BindingStore in step with the state directory (the source of
 * truth). Loads every file at start, then follows changes:
 *
 * - fs.watch (inotify) reports creates, writes, renames into place and
 *   deletes by file name; each name is re-read after a short settle delay,
 *   so a writer that is still writing is read again on its next event and a
 *   half-written file never replaces the last good binding.
 * - inotify can overflow (IN_Q_OVERFLOW) and Node does not surface it, and a
 *   watcher can fail: a periodic rescan compares every file's identity
 *   (inode, size, mtime) and reloads what differs, and a watcher error
 *   triggers a new watcher plus an immediate rescan.
 * - Files this process wrote itself (binding-add over the control socket)
 *   are recognised by their identity (the store's `ownWrites`) and not read
 *   back: the writer has applied them to the store already.
 *
 * Names starting with '.' (temporary files of atomic writers) or ending in
 * '~', '.tmp', '.swp' are ignored, as are names that cannot be interface
 * names (path tricks, longer than IFNAMSIZ).
 *
 * File access is synchronous, in chunks of CHUNK files per event-loop turn.
 * Why: binding files are a few hundred bytes in a local directory, and the
 * asynchronous path cost 4-5 thread-pool round trips (stat, open, fstat,
 * read, close) and ~100 µs of main-thread work per file, against ~10 µs of
 * system calls done directly: with 4096 taps that was most of start-up, and
 * every 30 s rescan cost 0.3 % CPU. A chunk holds the event loop for about a
 * millisecond, so the packet path waits no longer than for one busy turn.
 * The state directory must be local (as /var/lib is): a hung network
 * filesystem would stall the daemon.
 */
import { lstatSync, watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { isValidInterfaceName, sameBinding, type Binding } from './binding.js';
import { BindingParseError, MAX_BINDING_FILE_SIZE, parseBindingFile, type BindingParseResult } from './binding-file.js';
import { identityOf, sameIdentity, type FileIdentity, type OwnWrites } from './own-writes.js';
import type { BindingStore } from './store.js';
import { readLimitedSync } from '../util/read-limited.js';
import { safeInterval, safeTimeout } from '../util/timer.js';

export interface BindingDirectoryOptions {
  /** Delay before a changed file is read, letting a burst of writes settle. */
  settleMs?: number;
  /** Full rescan period (safety net for lost inotify events). */
  rescanMs?: number;
  /** Registry of this process's own writes (default: the store's `ownWrites`). */
  ownWrites?: OwnWrites;
  /**
   * Why a parsed binding may not be applied (its interface is the loopback
   * or an uplink: src/runtime/interface-policy.ts); such a file is rejected like one
   * that does not parse, and the last good binding stays.
   */
  admit?: (binding: Binding) => { key: string | undefined; detail: string } | undefined;
}

/** Files handled per event-loop turn (see the module comment). */
const CHUNK = 256;

/** Invalid names remembered as warned about (see BindingDirectory#warnedNames). */
const MAX_WARNED_NAMES = 1024;

export function isCandidateName(name: string): boolean {
  if (name.startsWith('.') || /(~|\.tmp|\.swp|\.dpkg-[a-z]+)$/.test(name)) return false;
  return true;
}

/** A name the directory loads a binding from: a candidate that is also an interface name (no logging). */
export function isBindingFileName(name: string): boolean {
  return isCandidateName(name) && isValidInterfaceName(name);
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class BindingDirectory {
  readonly #dir: string;
  readonly #store: BindingStore;
  readonly #log: Logger;
  readonly #settleMs: number;
  readonly #rescanMs: number;
  readonly #own: OwnWrites;
  readonly #admit: BindingDirectoryOptions['admit'];
  readonly #identity = new Map<string, FileIdentity>();
  /** Names with an event not handled yet → time of their latest event (one timer for all of them). */
  readonly #pending = new Map<string, number>();
  #settleTimer: NodeJS.Timeout | undefined;
  /**
   * Invalid names already warned about (logged once while the file is there).
   * A name forgotten when a rescan no longer lists it (a name's validity never
   * changes: the file going away is the only way out), and the whole set when
   * it reaches MAX_WARNED_NAMES between rescans: whoever can write the state
   * directory could otherwise grow it by one entry per name it ever created.
   */
  readonly #warnedNames = new Set<string>();
  /** Names found to be symbolic links, logged once (see #refuseLink). */
  readonly #warnedLinks = new Set<string>();
  #watcher: FSWatcher | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The rescan in progress, and whether another was asked for meanwhile. */
  #rescanning: Promise<void> | undefined;
  #rescanAgain = false;
  #unsubscribe: (() => void) | undefined;

  constructor(dir: string, store: BindingStore, log: Logger, opts: BindingDirectoryOptions = {}) {
    this.#dir = dir;
    this.#store = store;
    this.#log = log;
    this.#settleMs = opts.settleMs ?? 25;
    this.#rescanMs = opts.rescanMs ?? 30_000;
    this.#own = opts.ownWrites ?? store.ownWrites;
    this.#admit = opts.admit;
  }

  get path(): string {
    return this.#dir;
  }

  /** Loads every binding file, then starts watching. Throws only if the directory cannot be read. */
  async start(): Promise<void> {
    this.#startWatcher();
    // A write of ours acknowledged (or failed) after the watcher saw its file: look at the name again.
    const base = resolve(this.#dir);
    this.#unsubscribe = this.#own.onSettled((path) => {
      if (dirname(path) === base) this.#schedule(basename(path));
    });
    await this.rescan();
    this.#rescanTimer = safeInterval('binding-rescan', () => void this.rescan().catch(() => undefined), this.#rescanMs, this.#log);
    this.#rescanTimer.unref();
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#rescanTimer) clearInterval(this.#rescanTimer);
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    this.#pending.clear();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #startWatcher(): void {
    if (this.#closed) return;
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name !== '') this.#schedule(name);
        else void this.rescan().catch(() => undefined); // no name: the kernel could not say what changed
      });
      this.#watcher.on('error', (e) => {
        this.#log.warn({ dir: this.#dir, err: e.message }, 'binding directory watcher failed; restarting it and rescanning');
        this.#watcher?.close();
        this.#watcher = undefined;
        safeTimeout('binding-watcher-restart', () => {
          this.#startWatcher();
          void this.rescan().catch(() => undefined);
        }, 1000, this.#log).unref();
      });
    } catch (e) {
      throw new Error(`cannot watch binding directory ${this.#dir}: ${(e as Error).message}`);
    }
  }

  /** An event for `name`: read it once no event has come for settleMs. */
  #schedule(name: string): void {
    if (this.#closed || !this.#accept(name)) return;
    this.#pending.delete(name); // re-insert: the map stays ordered by latest event
    this.#pending.set(name, Date.now());
    this.#settleTimer ??= safeTimeout('binding-settle', () => this.#flush(), this.#settleMs, this.#log);
  }

  #flush(): void {
    this.#settleTimer = undefined;
    if (this.#closed) return;
    const now = Date.now();
    let done = 0;
    for (const [name, at] of this.#pending) {
      const wait = at + this.#settleMs - now;
      if (wait > 0 && wait <= this.#settleMs) {
        // Every later entry had its event later still: wait for this one.
        this.#settleTimer = safeTimeout('binding-settle', () => this.#flush(), wait, this.#log);
        return;
      }
      this.#pending.delete(name);
      this.#load(name, false);
      if (++done >= CHUNK) break;
    }
    if (this.#pending.size > 0) this.#settleTimer = safeTimeout('binding-settle', () => this.#flush(), 0, this.#log);
  }

  #accept(name: string): boolean {
    if (!isCandidateName(name)) return false;
    if (!isValidInterfaceName(name)) {
      if (!this.#warnedNames.has(name)) {
        if (this.#warnedNames.size >= MAX_WARNED_NAMES) this.#warnedNames.clear();
        this.#warnedNames.add(name);
        this.#log.warn({ path: join(this.#dir, name) }, 'ignoring binding file: its name is not a valid interface name');
      }
      return false;
    }
    return true;
  }

  /** Reconciles the store with the directory: loads new/changed files, drops vanished ones. */
  rescan(): Promise<void> {
    if (this.#rescanning) {
      this.#rescanAgain = true;
      return this.#rescanning;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.#rescanAgain = false;
          await this.#rescanOnce();
        } while (this.#rescanAgain && !this.#closed);
      } finally {
        this.#rescanning = undefined;
      }
    };
    this.#rescanning = run();
    return this.#rescanning;
  }

  async #rescanOnce(): Promise<void> {
    if (this.#closed) return;
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (e) {
      this.#log.error({ dir: this.#dir, err: (e as Error).message }, 'cannot read binding directory');
      throw e;
    }
    if (this.#warnedNames.size > 0) {
      const listed = new Set(names);
      for (const w of this.#warnedNames) if (!listed.has(w)) this.#warnedNames.delete(w);
    }
    const present = new Set(names.filter((n) => this.#accept(n)));
    let n = 0;
    for (const name of present) {
      if (this.#closed) return;
      this.#load(name, true);
      if (++n % CHUNK === 0) await nextTurn();
    }
    for (const entry of [...this.#store.entries()]) {
      if (!present.has(entry.tap) && this.#identity.has(entry.tap)) this.#load(entry.tap, false);
    }
  }

  /**
   * Brings one name up to date. `onlyIfChanged` (rescans): a file whose
   * identity is the one last read is not read again. Watcher events always
   * read (two same-size writes within one mtime tick look alone), except a
   * file this process wrote itself.
   */
  #load(name: string, onlyIfChanged: boolean): void {
    if (this.#closed) return;
    const path = join(this.#dir, name);
    let text: string;
    let id: FileIdentity;
    try {
      const known = this.#identity.get(name);
      // Our own write (control socket): applied to the store by the writer already, nothing to read.
      const ours = (seen: FileIdentity): boolean => {
        const own = this.#own.match(path, seen);
        if (own === 'durable') {
          this.#identity.set(name, seen);
          if (this.#store.get(name)) this.#store.clearError(name);
        }
        // 'pending': looked at again when the write settles (OwnWrites.onSettled).
        return own !== undefined;
      };
      // One stat answers a rescan of an unchanged file, and an event for our own write; otherwise open at once.
      if ((onlyIfChanged && known) || this.#own.size > 0) {
        const st = lstatSync(path, { throwIfNoEntry: false });
        if (!st) return this.#gone(name, path);
        if (st.isSymbolicLink()) return this.#refuseLink(name, path);
        if (!st.isFile()) return;
        const seen = identityOf(st);
        if (onlyIfChanged && sameIdentity(known, seen)) return;
        if (ours(seen)) return;
      }
      // Never through a symbolic link (ELOOP, see #refuseLink), never a FIFO or device, at most the limit.
      const r = readLimitedSync(path, MAX_BINDING_FILE_SIZE + 1, { skip: (st) => ours(identityOf(st)) });
      if (r === undefined) return; // not a regular file (a directory, a FIFO), or our own write
      text = r.text;
      id = identityOf(r.stat);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return this.#gone(name, path);
      if (err.code === 'ELOOP') return this.#refuseLink(name, path);
      this.#log.error({ tap: name, path, err: err.message }, 'cannot read binding file; last good binding stays');
      return;
    }
    this.#warnedLinks.delete(name);
    this.#identity.set(name, id);
    const result = this.#admitted(parseBindingFile(name, text));
    if (!result.ok) {
      this.#store.reject(name, result.error);
      const kept = this.#store.get(name);
      this.#log.warn(
        { tap: name, path, line: result.error.line, key: result.error.key, err: result.error.detail, kept: kept !== undefined },
        kept ? 'binding file rejected; last good binding stays in force' : 'binding file rejected',
      );
      return;
    }
    const b = result.binding;
    for (const n of result.notes ?? []) this.#log.warn({ tap: name, path, line: n.line, key: n.key }, `binding file reads differently from nfdhcpd: ${n.detail}`);
    const previous = this.#store.get(name);
    if (previous && sameBinding(previous, b)) {
      this.#store.clearError(name);
      return;
    }
    this.#log.info(
      { tap: b.tap, mac: b.mac, ip: b.ip, subnet6: b.subnet6 && `${b.subnet6.network}/${b.subnet6.prefixLength}`, path },
      previous ? 'binding updated' : 'binding loaded',
    );
    this.#store.set(b);
  }

  /** A parsed binding that `admit` refuses, as a failed parse (no line: the file is fine, its interface is not). */
  #admitted(result: BindingParseResult): BindingParseResult {
    const refused = result.ok ? this.#admit?.(result.binding) : undefined;
    return refused ? { ok: false, error: new BindingParseError(undefined, refused.key, refused.detail) } : result;
  }

  /**
   * A symbolic link where a binding file should be: never followed. Only
   * writers of the state directory can plant one, but following it would let
   * them make the daemon read any file it can (and quote it in parse errors).
   * The last good binding stays; logged once until the name changes again.
   */
  #refuseLink(name: string, path: string): void {
    if (this.#warnedLinks.has(name)) return;
    this.#warnedLinks.add(name);
    this.#log.warn({ tap: name, path }, 'ignoring binding file: it is a symbolic link (never followed); last good binding stays');
  }

  #gone(name: string, path: string): void {
    this.#warnedLinks.delete(name);
    this.#identity.delete(name);
    const removed = this.#store.remove(name);
    if (removed) this.#log.info({ tap: name, mac: removed.mac, ip: removed.ip, path }, 'binding removed');
  }
}
