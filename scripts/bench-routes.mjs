#!/usr/bin/env node
// Route installation at scale (issue 15, BENCHMARKS.md "Routed hypervisors"):
// in a private network namespace with N up taps, the route manager installs
// IP/32 + EUI64/128 for N bindings and removes them; times until every ACK
// is back and checks the kernel's count. Run as root after the build:
//   node scripts/bench-routes.mjs [N]   (default 1000)
import { execFileSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';

const N = Number(process.argv[2] ?? 1000);
const ns = `olk-rtbench-${process.pid}`;
const dist = new URL('../dist/', import.meta.url).pathname;

if (process.argv[3] === '--inside') {
  const { RouteManager } = await import(`${dist}runtime/route-manager.js`);
  const m = RouteManager.open(() => ({ manage: true, table: 254 }), { info() {}, warn: console.error, error: console.error, debug() {} });
  await m.ready;
  const idx = JSON.parse(process.argv[4]);
  const taps = idx.map((ifindex, i) => ({
    binding: { tap: `t${i}`, ip: `10.${(i >> 8) & 255}.${i & 255}.1`, eui64: `2001:db8::${i.toString(16)}:1`, ip6: undefined, prefix6: undefined, routed: undefined },
    link: { ifindex, up: true },
  }));
  const settle = async () => {
    const end = Date.now() + 20_000;
    while (m.pending > 0 && Date.now() < end) await new Promise((r) => setImmediate(r));
  };
  const count = () => Number(execFileSync('sh', ['-c', 'ip -4 route show proto 183 | wc -l; ip -6 route show proto 183 | wc -l']).toString().trim().split('\n').reduce((a, b) => a + Number(b), 0));
  let t = process.hrtime.bigint();
  for (const tap of taps) m.attach(tap);
  await settle();
  const addMs = Number(process.hrtime.bigint() - t) / 1e6;
  const installed = count();
  t = process.hrtime.bigint();
  for (const tap of taps) m.detach(tap.binding);
  await settle();
  const delMs = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(JSON.stringify({ bindings: N, routes: 2 * N, installed, addMs: Math.round(addMs), removed: installed - count(), delMs: Math.round(delMs) }));
  m.close();
} else {
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const batch = `/tmp/${ns}.batch`;
    writeFileSync(batch, Array.from({ length: N }, (_, i) => `tuntap add t${i} mode tap\nlink set t${i} up\n`).join(''));
    execFileSync('ip', ['-n', ns, '-batch', batch]);
    rmSync(batch);
    const idx = Array.from({ length: N }, (_, i) => Number(execFileSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/t${i}/ifindex`]).toString()));
    process.stdout.write(execFileSync('ip', ['netns', 'exec', ns, process.execPath, new URL(import.meta.url).pathname, String(N), '--inside', JSON.stringify(idx)]));
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
