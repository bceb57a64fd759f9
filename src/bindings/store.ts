/**
 * The in-memory set of bindings, keyed by tap name. A file that fails to
 * parse never replaces a good binding: the last good one stays in force and
 * the error is kept beside it, for logs and `onlinkctl show`.
 */
import { EventEmitter } from 'node:events';
import type { Binding } from './binding.js';
import type { BindingParseError } from './binding-build.js';
import { OwnWrites } from './own-writes.js';

export interface BindingEntry {
  tap: string;
  /** Last good binding (undefined when the file never parsed). */
  binding: Binding | undefined;
  /** Error of the most recent load attempt, cleared by the next good one. */
  error: { message: string; line: number | undefined; key: string | undefined } | undefined;
}

export interface BindingStoreEvents {
  /** A binding was added or replaced. */
  set: [binding: Binding, previous: Binding | undefined];
  /** A binding went away (file deleted or control-socket delete). */
  removed: [binding: Binding];
}

export class BindingStore extends EventEmitter<BindingStoreEvents> {
  readonly #entries = new Map<string, BindingEntry>();
  /**
   * Files this process wrote into the directory this store mirrors: whoever
   * writes one (the control context) records it here, and the store's
   * directory watcher recognises it without reading it back.
   */
  readonly ownWrites = new OwnWrites();

  get(tap: string): Binding | undefined {
    return this.#entries.get(tap)?.binding;
  }

  entry(tap: string): BindingEntry | undefined {
    return this.#entries.get(tap);
  }

  entries(): IterableIterator<BindingEntry> {
    return this.#entries.values();
  }

  bindings(): Binding[] {
    return [...this.#entries.values()].flatMap((e) => (e.binding ? [e.binding] : []));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Entries whose last load failed (a bad file; its last good binding, if any, stays): status-get's `rejected`, the metrics' errors. */
  get rejectedCount(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.error) n++;
    return n;
  }

  set(binding: Binding): void {
    const entry = this.#entries.get(binding.tap);
    const previous = entry?.binding;
    this.#entries.set(binding.tap, { tap: binding.tap, binding, error: undefined });
    this.emit('set', binding, previous);
  }

  /** Records a failed load; the last good binding (if any) stays in force. */
  reject(tap: string, error: BindingParseError): void {
    const entry = this.#entries.get(tap) ?? { tap, binding: undefined, error: undefined };
    entry.error = { message: error.message, line: error.line, key: error.key };
    this.#entries.set(tap, entry);
  }

  /** A reload produced the same binding: forget an earlier error, emit nothing. */
  clearError(tap: string): void {
    const entry = this.#entries.get(tap);
    if (entry) entry.error = undefined;
  }

  remove(tap: string): Binding | undefined {
    const entry = this.#entries.get(tap);
    if (!entry) return undefined;
    this.#entries.delete(tap);
    if (entry.binding) this.emit('removed', entry.binding);
    return entry.binding;
  }
}
