#!/usr/bin/env node
/**
 * The netboot test's HTTP server (test/e2e/netboot.test.ts), run in the
 * lab's hypervisor namespace: serves the files of a JSON map given as
 * argv[3] ({"/boot.ipxe": "#!ipxe ..."}), answers any /proof/... path with
 * 200 (the request itself is the proof the script ran), 404 otherwise, and
 * prints one JSON line per request ({"url": ...}) so the test sees every
 * fetch, the ones that must not happen included.
 * Usage: node netboot-http.mjs PORT FILES_JSON
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const files = JSON.parse(process.argv[3] ?? '{}');

const server = createServer((req, res) => {
  const url = req.url ?? '';
  process.stdout.write(`${JSON.stringify({ method: req.method, url, from: req.socket.remoteAddress })}\n`);
  const body = Object.hasOwn(files, url) ? files[url] : url.startsWith('/proof/') ? 'proof\n' : undefined;
  res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(body ?? 'not found\n');
});
server.listen(port, '0.0.0.0', () => process.stdout.write(`listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
