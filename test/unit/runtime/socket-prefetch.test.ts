/**
 * Start-up socket prefetch (issue 12): the sockets opened ahead are those of
 * the interfaces named by a binding file, never a refused one, and only
 * with a second CPU.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindingFileTaps, prefetchTapSockets } from '../../../src/runtime/socket-prefetch.js';
import type { LinkInfo } from '../../../src/runtime/tap-table.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const datapath = mkdtempSync(join(tmpdir(), 'onlinkd-prefetch-'));
  dirs.push(datapath);
  for (const f of ['tap10', 'tap11', 'lo', 'gone', '.tap12.tmp']) writeFileSync(join(datapath, f), 'MAC=aa:00:00:00:00:10\n');
  const ifs = new Map<string, LinkInfo>(
    (['tap10', 'tap11', 'lo', '.tap12.tmp'] as const).map((name, i) => [name, { ifindex: 10 + i, name, mac: undefined, up: true, running: true }]),
  );
  return { datapath, links: { byName: (n: string) => ifs.get(n) }, policy: { refuse: (l: LinkInfo) => (l.name === 'lo' ? 'loopback' : undefined) } };
}

describe('socket prefetch', () => {
  it('names the ifindexes of binding files whose interface exists and may be bound', () => {
    const s = setup();
    expect(bindingFileTaps(s).sort()).toEqual([10, 11]);
    expect(bindingFileTaps({ ...s, datapath: join(s.datapath, 'missing') })).toEqual([]);
  });

  it('prepares them only with a second CPU', async () => {
    const s = setup();
    const asked: number[][] = [];
    const sockets = { prepare: async (i: readonly number[]) => void asked.push([...i].sort()) };
    await prefetchTapSockets({ ...s, sockets, cpus: 1 });
    expect(asked).toEqual([]);
    await prefetchTapSockets({ ...s, sockets, cpus: 2 });
    expect(asked).toEqual([[10, 11]]);
  });
});
