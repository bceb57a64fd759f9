/**
 * Own writes: the directory watcher would re-read every file this process
 * just wrote (and parse it again). OwnWrites remembers the identity (inode,
 * size, mtime) of each file written, so the watcher can recognise it
 * without reading it. One registry per binding store (BindingStore
 * `ownWrites`): the control context's writes record into it, the store's
 * directory watcher reads it.
 */
import type { Stats } from 'node:fs';
import { resolve } from 'node:path';

/** What tells one version of a file from another without reading it. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

/** The identity of a file from its stat (fstat, lstat or stat: a link's own identity for lstat). */
export function identityOf(st: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): FileIdentity {
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Files this process wrote, by absolute path: recorded before the rename
 * (pending), marked durable when the write returns, dropped when it fails.
 * The directory watcher asks `match` about a file it sees change:
 *  - 'durable': the writer has applied the binding to the store already
 *    (the control context does so right after the write returns, before any
 *    timer can run), so there is nothing to read;
 *  - 'pending': the write is not acknowledged yet; the watcher leaves the
 *    store alone and looks again when `onSettled` fires (a write that fails
 *    after its rename leaves the new file in place, which the watcher then
 *    reads like any other, as before);
 *  - undefined: someone else's file (or a newer version): read it.
 * Bounded: entries nobody consumes (no watcher, lost events) are dropped
 * oldest first.
 */
export class OwnWrites {
  readonly #byPath = new Map<string, { id: FileIdentity; durable: boolean }>();
  readonly #max: number;
  /** Told the absolute path when a pending write is acknowledged or fails (see onSettled). */
  readonly #settled = new Set<(path: string) => void>();

  constructor(max = 16_384) {
    this.#max = max;
  }

  record(path: string, id: FileIdentity): void {
    const key = resolve(path);
    this.#byPath.delete(key); // re-insert: Map order is the eviction order
    this.#byPath.set(key, { id, durable: false });
    if (this.#byPath.size > this.#max) this.#byPath.delete(this.#byPath.keys().next().value!);
  }

  settle(path: string, id: FileIdentity, ok: boolean): void {
    const key = resolve(path);
    const e = this.#byPath.get(key);
    if (!e || !sameIdentity(e.id, id)) return;
    if (ok) e.durable = true;
    else this.#byPath.delete(key);
    for (const listener of this.#settled) listener(key);
  }

  /** See the class comment. A 'durable' match is consumed: the next change of the file is read. */
  match(path: string, id: FileIdentity): 'durable' | 'pending' | undefined {
    if (this.#byPath.size === 0) return undefined; // the usual case on a rescan: no path to resolve
    const key = resolve(path);
    const e = this.#byPath.get(key);
    if (!e || !sameIdentity(e.id, id)) return undefined;
    if (!e.durable) return 'pending';
    this.#byPath.delete(key);
    return 'durable';
  }

  /** Calls `listener` with the absolute path whenever a pending write settles; returns the unsubscribe. */
  onSettled(listener: (path: string) => void): () => void {
    this.#settled.add(listener);
    return () => this.#settled.delete(listener);
  }

  get size(): number {
    return this.#byPath.size;
  }
}

