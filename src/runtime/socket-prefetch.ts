/**
 * Start-up with thousands of taps: creating their packet sockets is the
 * slowest part. The taps that have a binding file now are known before the
 * files are read (their names are the file names), so their sockets are
 * opened ahead, on a pool thread, while the files load; each binding that
 * attaches then claims its socket (io/tap-sockets.ts, prepare). Only with a
 * second CPU to run on: on one, the two would just take turns (measured:
 * slower than opening each socket as its binding attaches).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isBindingFileName } from '../bindings/directory.js';
import type { TapSockets } from '../io/tap-sockets.js';
import type { LinkInfo, LinkPolicy } from './tap-table.js';

export interface PrefetchDeps {
  sockets: Pick<TapSockets, 'prepare'>;
  datapath: string;
  links: { byName(name: string): LinkInfo | undefined };
  /** Never a socket on the loopback or an uplink (interface-policy.ts). */
  policy: Pick<LinkPolicy, 'refuse'>;
  cpus?: number;
}

/** Opens, in the background, the sockets of the taps named by a binding file; resolves when they are ready. */
export function prefetchTapSockets(d: PrefetchDeps): Promise<void> {
  if ((d.cpus ?? availableParallelism()) <= 1) return Promise.resolve();
  return d.sockets.prepare(bindingFileTaps(d));
}

/** ifindexes of the interfaces named by a binding file in `datapath` that may be bound. */
export function bindingFileTaps(d: Omit<PrefetchDeps, 'sockets' | 'cpus'>): number[] {
  let names: string[];
  try {
    names = readdirSync(d.datapath);
  } catch {
    return []; // the directory load reports it
  }
  const out: number[] = [];
  for (const name of names) {
    if (!isBindingFileName(name)) continue;
    const link = d.links.byName(name);
    if (link && !d.policy.refuse(link)) out.push(link.ifindex);
  }
  return out;
}
