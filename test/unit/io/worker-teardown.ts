/**
 * Shared check of the addon's env teardown: a worker thread that leaves
 * sockets polling must still end (terminate() resolves with 1), five times
 * in a row, with nothing left behind that blocks the next.
 */
import { Worker } from 'node:worker_threads';
import { expect } from 'vitest';

/** `setup` runs in the worker with `n` (the addon) and `fd` (a bound AF_UNIX datagram socket). */
export async function expectWorkersEnd(addon: string, setup: string): Promise<void> {
  const code = `
    const n = require(${JSON.stringify(addon)});
    const { parentPort } = require('node:worker_threads');
    const fd = n.socket(1, 2, 0);
    n.bindUnix(fd, '@onlinkd-worker-' + process.pid + '-' + Math.random());
    ${setup}
    parentPort.postMessage(fd);`;
  for (let i = 0; i < 5; i++) {
    const w = new Worker(code, { eval: true });
    const fd = await new Promise<number>((resolve) => w.once('message', resolve));
    expect(fd).toBeGreaterThan(2);
    expect(await w.terminate()).toBe(1);
  }
}
