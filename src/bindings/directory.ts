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
 *
 * Names starting with '.' (temporary files of atomic writers) or ending in
 * '~', '.tmp', '.swp' are ignored, as are names that cannot be interface
 * names (path tricks, longer than IFNAMSIZ).
 */
import { constants, watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isValidInterfaceName } from './binding.js';
import { MAX_BINDING_FILE_SIZE, parseBindingFile } from './binding-file.js';
import type { BindingStore } from './store.js';

export interface BindingDirectoryOptions {
  /** Delay before a changed file is read, letting a burst of writes settle. */
  settleMs?: number;
  /** Full rescan period (safety net for lost inotify events). */
  rescanMs?: number;
}

interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

export function isCandidateName(name: string): boolean {
  if (name.startsWith('.') || /(~|\.tmp|\.swp|\.dpkg-[a-z]+)$/.test(name)) return false;
  return true;
}

export class BindingDirectory {
  readonly #dir: string;
  readonly #store: BindingStore;
  readonly #log: Logger;
  readonly #settleMs: number;
  readonly #rescanMs: number;
  readonly #identity = new Map<string, FileIdentity>();
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #warnedNames = new Set<string>();
  #watcher: FSWatcher | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Serialises loads per file so two reads of one name cannot land out of order. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(dir: string, store: BindingStore, log: Logger, opts: BindingDirectoryOptions = {}) {
    this.#dir = dir;
    this.#store = store;
    this.#log = log;
    this.#settleMs = opts.settleMs ?? 25;
    this.#rescanMs = opts.rescanMs ?? 30_000;
  }

  get path(): string {
    return this.#dir;
  }

  /** Loads every binding file, then starts watching. Throws only if the directory cannot be read. */
  async start(): Promise<void> {
    this.#startWatcher();
    await this.rescan();
    this.#rescanTimer = setInterval(() => void this.rescan(), this.#rescanMs);
    this.#rescanTimer.unref();
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#rescanTimer) clearInterval(this.#rescanTimer);
    for (const t of this.#pending.values()) clearTimeout(t);
    this.#pending.clear();
  }

  #startWatcher(): void {
    if (this.#closed) return;
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name !== '') this.#schedule(name);
        else void this.rescan(); // no name: the kernel could not say what changed
      });
      this.#watcher.on('error', (e) => {
        this.#log.warn({ dir: this.#dir, err: e.message }, 'binding directory watcher failed; restarting it and rescanning');
        this.#watcher?.close();
        this.#watcher = undefined;
        setTimeout(() => {
          this.#startWatcher();
          void this.rescan();
        }, 1000).unref();
      });
    } catch (e) {
      throw new Error(`cannot watch binding directory ${this.#dir}: ${(e as Error).message}`);
    }
  }

  #schedule(name: string): void {
    if (this.#closed || !this.#accept(name)) return;
    const old = this.#pending.get(name);
    if (old) clearTimeout(old);
    this.#pending.set(
      name,
      setTimeout(() => {
        this.#pending.delete(name);
        void this.#load(name);
      }, this.#settleMs),
    );
  }

  #accept(name: string): boolean {
    if (!isCandidateName(name)) return false;
    if (!isValidInterfaceName(name)) {
      if (!this.#warnedNames.has(name)) {
        this.#warnedNames.add(name);
        this.#log.warn({ path: join(this.#dir, name) }, 'ignoring binding file: its name is not a valid interface name');
      }
      return false;
    }
    return true;
  }

  /** Reconciles the store with the directory: loads new/changed files, drops vanished ones. */
  async rescan(): Promise<void> {
    if (this.#closed) return;
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (e) {
      this.#log.error({ dir: this.#dir, err: (e as Error).message }, 'cannot read binding directory');
      throw e;
    }
    const present = new Set(names.filter((n) => this.#accept(n)));
    const loads: Promise<void>[] = [];
    for (const name of present) loads.push(this.#load(name, true));
    for (const entry of [...this.#store.entries()]) {
      if (!present.has(entry.tap) && this.#identity.has(entry.tap)) loads.push(this.#load(entry.tap));
    }
    await Promise.all(loads);
  }

  #load(name: string, onlyIfChanged = false): Promise<void> {
    const prev = this.#chains.get(name) ?? Promise.resolve();
    const next = prev.then(() => this.#loadNow(name, onlyIfChanged));
    this.#chains.set(name, next);
    void next.finally(() => {
      if (this.#chains.get(name) === next) this.#chains.delete(name);
    });
    return next;
  }

  async #loadNow(name: string, onlyIfChanged: boolean): Promise<void> {
    if (this.#closed) return;
    const path = join(this.#dir, name);
    let text: string;
    let id: FileIdentity;
    try {
      const st = await stat(path);
      if (!st.isFile()) return;
      id = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
      const known = this.#identity.get(name);
      if (onlyIfChanged && known && known.ino === id.ino && known.size === id.size && known.mtimeMs === id.mtimeMs) return;
      text = await readLimited(path, MAX_BINDING_FILE_SIZE + 1);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') {
        this.#identity.delete(name);
        const removed = this.#store.remove(name);
        if (removed) this.#log.info({ tap: name, mac: removed.mac, ip: removed.ip, path }, 'binding removed');
        return;
      }
      this.#log.error({ tap: name, path, err: err.message }, 'cannot read binding file; last good binding stays');
      return;
    }
    this.#identity.set(name, id);
    const result = parseBindingFile(name, text);
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
    const previous = this.#store.get(name);
    if (previous && JSON.stringify(previous) === JSON.stringify(b)) {
      this.#store.clearError(name);
      return;
    }
    this.#log.info(
      { tap: b.tap, mac: b.mac, ip: b.ip, subnet6: b.subnet6 && `${b.subnet6.network}/${b.subnet6.prefixLength}`, path },
      previous ? 'binding updated' : 'binding loaded',
    );
    this.#store.set(b);
  }
}

/**
 * Reads at most `limit` bytes: a huge or endless file cannot exhaust memory.
 * Opened non-blocking and checked to be a regular file once open: a FIFO or
 * device swapped in after the caller's stat() can neither block a libuv
 * thread on open nor be read (EINVAL "not a regular file").
 */
export async function readLimited(path: string, limit: number): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
    const buf = Buffer.alloc(limit);
    let total = 0;
    while (total < limit) {
      const { bytesRead } = await fh.read(buf, total, limit - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return buf.subarray(0, total).toString('utf8');
  } finally {
    await fh.close();
  }
}
