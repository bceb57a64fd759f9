/**
 * Directory fsyncs (step 4 of an atomic write, persist.ts), with group
 * commit: writes that finish their rename while a directory fsync is in
 * flight wait for the next one and share it; a fsync covers every rename
 * completed before it started, so each write still returns only once its
 * file and its name are durable. With many binding-adds in flight this
 * turns one directory fsync per add into one per batch.
 */
import { PersistError, codeOf, type PersistFile, type PersistFs, type PersistOp } from './persist-fs.js';

/** fsync of a directory; filesystems that cannot (EINVAL, ENOTSUP) are not an error. Throws the errno code. */
async function fsyncDir(fs: PersistFs, dir: string): Promise<void> {
  let fh: PersistFile;
  try {
    fh = await fs.openDir(dir);
  } catch (e) {
    throw Object.assign(new Error('open'), { code: codeOf(e) });
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = codeOf(e);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw Object.assign(new Error('fsync'), { code });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Group commit of directory fsyncs, one per (fs, directory). `sync()`
 * resolves after a fsync that started after the call: the one in flight
 * cannot be joined (it may have started before the caller's rename), so a
 * caller arriving meanwhile joins the next one, which starts as soon as the
 * current one ends and serves everyone who arrived in between.
 */
class DirSync {
  #running = false;
  #waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly fs: PersistFs,
    private readonly dir: string,
  ) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await fsyncDir(this.fs, this.dir);
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.#running = false;
  }
}

const dirSyncs = new WeakMap<PersistFs, Map<string, DirSync>>();

export async function syncDir(fs: PersistFs, dir: string, op: PersistOp, path: string, what?: string): Promise<void> {
  let byDir = dirSyncs.get(fs);
  if (!byDir) dirSyncs.set(fs, (byDir = new Map()));
  let ds = byDir.get(dir);
  if (!ds) byDir.set(dir, (ds = new DirSync(fs, dir)));
  try {
    await ds.sync();
  } catch (e) {
    throw new PersistError(op, path, codeOf(e), 'fsync-dir', undefined, what);
  }
}

