/**
 * A node:fs that refuses to read anything but a regular file, for tests of
 * readers that must never read a FIFO or device (issue 11). Without the fix
 * such a read would block for ever (a FIFO) or grow memory without bound
 * (/dev/zero); through the guard it fails at once and is recorded, so the
 * test fails fast instead of hanging the machine.
 *
 * Use in a test file (vi.mock is hoisted, hence vi.hoisted for the record):
 *
 *   const guard = vi.hoisted(() => ({ nonRegularReads: [] as string[] }));
 *   vi.mock('node:fs', async (orig) => (await import('../helpers/fs-guard.js')).guardedFs(await orig(), guard.nonRegularReads));
 */
import type * as Fs from 'node:fs';

export function guardedFs(fs: typeof Fs, nonRegularReads: string[]): typeof Fs {
  const check = (what: string, st: Fs.Stats): void => {
    if (st.isFile()) return;
    nonRegularReads.push(what);
    throw Object.assign(new Error(`test guard: read of a non-regular file (${what})`), { code: 'EGUARD' });
  };
  return {
    ...fs,
    readFileSync: ((p: unknown, ...rest: unknown[]) => {
      if (typeof p === 'string') check(p, fs.statSync(p)); // statSync: what readFileSync would open (it follows links)
      return (fs.readFileSync as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof fs.readFileSync,
    readSync: ((fd: number, ...rest: unknown[]) => {
      check(`fd ${fd}`, fs.fstatSync(fd));
      return (fs.readSync as (...a: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.readSync,
  };
}
