/**
 * A NOTIFY_SOCKET for the daemon under test: "ready" is what systemd would
 * see (READY=1 with STATUS), independent of the log level.
 *
 * Uses the project's own addon (Node cannot receive AF_UNIX datagrams),
 * loaded from build/Release by path so the compiled bench does not depend
 * on where src/ was compiled to.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { NativeAddon } from '../../src/io/native.js';
import { ROOT } from './generator.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;

let native: NativeAddon | undefined;

export function addon(): NativeAddon {
  native ??= createRequire(import.meta.url)(join(ROOT, 'build/Release/onlinkd_native.node')) as NativeAddon;
  return native;
}

export interface Notification {
  at: number; // Date.now()
  fields: Record<string, string>;
}

export class NotifySocket {
  readonly messages: Notification[] = [];
  readonly #fd: number;
  #listeners = new Set<() => void>();
  #closed = false;

  constructor(readonly path: string) {
    const n = addon();
    rmSync(path, { force: true });
    this.#fd = n.socket(AF_UNIX, SOCK_DGRAM, 0);
    n.bindUnix(this.#fd, path);
    n.startRecv(this.#fd, (err, data) => {
      if (err || !data) return;
      const fields: Record<string, string> = {};
      for (const line of data.toString('utf8').split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1);
      }
      this.messages.push({ at: Date.now(), fields });
      for (const l of [...this.#listeners]) l();
    });
  }

  /** The first message (from index `from`) for which `pred` holds. */
  async wait(pred: (f: Record<string, string>) => boolean, timeoutMs: number, from = 0, alive?: () => boolean): Promise<Notification> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.messages.length; i++) if (pred(this.messages[i]!.fields)) return this.messages[i]!;
      if (Date.now() >= deadline) throw new Error(`bench: no matching sd_notify message within ${timeoutMs} ms`);
      if (alive && !alive()) throw new Error('bench: the daemon exited before notifying');
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.#listeners.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(100, Math.max(1, deadline - Date.now())));
        this.#listeners.add(done);
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    addon().close(this.#fd);
    rmSync(this.path, { force: true });
  }
}
