// Runs inside a test network namespace (see uplink-socket.test.ts): opens the
// uplink proxy's packet socket on `argv[2]` (ifindex) as the daemon does
// (uplink filter, ALLMULTI membership), says 'open', and on any stdin line
// closes it, says 'closed' and exits.
import { createInterface } from 'node:readline';

const { PacketSocket } = await import('../../../src/io/packet-socket.ts');
const { uplinkFilter } = await import('../../../src/io/bpf-uplink.ts');

const sock = PacketSocket.open({ ifindex: Number(process.argv[2]), filter: uplinkFilter(), allMulticast: true, receiveBufferBytes: 65536 });
process.stdout.write('open\n');
const rl = createInterface({ input: process.stdin });
rl.once('line', () => {
  sock.close();
  process.stdout.write('closed\n');
  rl.close();
  process.stdin.destroy();
});
