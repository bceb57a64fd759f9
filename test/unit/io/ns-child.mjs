// Runs inside a test network namespace (`ip netns exec NS node --import
// ./ts-loader.mjs ns-child.mjs`): opens the real PacketSocket and LinkMonitor
// and speaks JSON lines. stdout: events {ev: 'ready'|'frame'|'link'|'unlink'|
// 'sent'|'stats'|'links'|'resync'|'sockerror'|'blocking'|'unblocked'|'bye'}; stdin:
// commands {cmd: 'send'|'stats'|'links'|'block'|'exit'}.
// On 'exit' or stdin EOF it closes both sockets and lets the loop drain: a
// leaked poll handle would keep the process alive and fail the test.
import { createInterface } from 'node:readline';

const { PacketSocket } = await import('../../../src/io/packet-socket.ts');
const { LinkMonitor } = await import('../../../src/io/link-monitor.ts');

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const sock = PacketSocket.open();
sock.onFrame((f) => out({
  ev: 'frame', ifindex: f.ifindex, pkttype: f.pkttype, hex: Buffer.from(f.data).toString('hex'),
  checksumNotReady: f.checksumNotReady, vlanTci: f.vlanTci,
}));
sock.onError((error) => out({ ev: 'sockerror', error }));

// OLK_NETLINK_RCVBUF: a tiny buffer lets the test provoke ENOBUFS.
const rcvbuf = Number(process.env.OLK_NETLINK_RCVBUF) || undefined;
const mon = LinkMonitor.open({ receiveBufferBytes: rcvbuf });
mon.on('link', (link, prev) => out({ ev: 'link', link, added: prev === undefined }));
mon.on('unlink', (link) => out({ ev: 'unlink', link }));
mon.on('resync', (why) => out({ ev: 'resync', why }));
await mon.ready;
out({ ev: 'ready', pid: process.pid, links: mon.links() });

const rl = createInterface({ input: process.stdin });
let done = false;
const shutdown = () => {
  if (done) return;
  done = true;
  sock.close();
  mon.close();
  rl.close();
  process.stdin.destroy(); // a paused stdin pipe would keep the loop alive too
  out({ ev: 'bye' });
};
rl.on('line', (line) => {
  const c = JSON.parse(line);
  if (c.cmd === 'send') out({ ev: 'sent', id: c.id, result: sock.send(c.ifindex, Buffer.from(c.hex, 'hex')) });
  else if (c.cmd === 'stats') out({ ev: 'stats', id: c.id, stats: sock.kernelStats() });
  else if (c.cmd === 'links') out({ ev: 'links', id: c.id, links: mon.links() });
  else if (c.cmd === 'block') {
    // Keep the loop busy so events pile up unread in the socket buffers.
    // (stdout to a pipe is synchronous on Linux: the parent sees this first.)
    out({ ev: 'blocking', id: c.id });
    const until = Date.now() + c.ms;
    while (Date.now() < until);
    out({ ev: 'unblocked', id: c.id });
  } else if (c.cmd === 'exit') shutdown();
});
rl.on('close', shutdown);
