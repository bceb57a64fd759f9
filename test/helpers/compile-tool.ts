/**
 * Builds a C test tool (the e2e flooder and prober, the bench generator)
 * with the system cc when its binary is missing or older than its source or
 * any header it includes. Compiled to a temporary name and renamed, so a
 * concurrent run never executes half a binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CTool {
  source: string;
  /** Headers the source includes (e.g. test/tools/olkwire.h): a newer one rebuilds too. */
  headers: readonly string[];
  bin: string;
}

/** Returns `bin`; throws with the compiler's message when it cannot be built. */
export function compileCTool({ source, headers, bin }: CTool): string {
  const newest = Math.max(...[source, ...headers].map((f) => statSync(f).mtimeMs));
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return bin;
  mkdirSync(dirname(bin), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', tmp, source], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`compiling ${source} with ${cc} failed: ${r.stderr || r.error?.message}`);
  renameSync(tmp, bin);
  return bin;
}
