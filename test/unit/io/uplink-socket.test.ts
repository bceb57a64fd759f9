/**
 * The uplink proxy's socket asks the device for every multicast frame
 * (PACKET_ADD_MEMBERSHIP, PACKET_MR_ALLMULTI): a real NIC filters multicast
 * in hardware, and an NS for a VM's address goes to a solicited-node group
 * no local address joined, so without it the NS never reaches the socket
 * (a veth, as in the e2e tests, filters nothing, which is why this is
 * checked here). The kernel shows the membership as the device's ALLMULTI
 * count (`ip -d link`: allmulti N), and drops it with the socket.
 *
 * In a network namespace this test creates, with a veth pair only.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const isRoot = process.getuid?.() === 0;
const LOADER = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./uplink-child.mjs', import.meta.url));
const NS = `olk-upl-${process.pid}-${randomBytes(3).toString('hex')}`;

/** The device's ALLMULTI reference count (IFLA_ALLMULTI, `ip -d link`: every membership and user request). */
const allmulti = (): number => {
  const out = execFileSync('ip', ['-n', NS, '-d', '-j', 'link', 'show', 'dev', 'up0'], { encoding: 'utf8', timeout: 10_000 });
  const n = (JSON.parse(out) as Array<{ allmulti?: number }>)[0]!.allmulti;
  if (n === undefined) throw new Error('ip -d link reports no allmulti count (iproute2 or kernel too old)');
  return n;
};

describe.runIf(isRoot || !!process.env.CI)('uplink socket: ALLMULTI membership', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  const lines: string[] = [];

  const waitLine = async (want: string): Promise<void> => {
    const end = Date.now() + 10_000;
    while (!lines.includes(want)) {
      if (Date.now() > end) throw new Error(`child did not say ${want}; said ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS], { timeout: 10_000 });
    execFileSync('ip', ['-n', NS, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'peer0'], { timeout: 10_000 });
    execFileSync('ip', ['-n', NS, 'link', 'set', 'up0', 'up'], { timeout: 10_000 });
  });

  afterAll(() => {
    if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', NS], { timeout: 10_000, stdio: 'ignore' });
  });

  it('holds one ALLMULTI reference on the device while the socket is open, none after', async () => {
    expect(allmulti()).toBe(0); // control: nothing else asked for it
    const ifindex = (JSON.parse(execFileSync('ip', ['-n', NS, '-j', 'link', 'show', 'dev', 'up0'], { encoding: 'utf8' })) as Array<{ ifindex: number }>)[0]!.ifindex;
    child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', LOADER, CHILD, String(ifindex)]);
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    await waitLine('open').catch((e) => {
      throw new Error(`${(e as Error).message}\n${stderr}`);
    });
    expect(allmulti()).toBe(1);
    child.stdin.write('close\n');
    await waitLine('closed');
    expect(allmulti()).toBe(0);
  }, 30_000);
});
