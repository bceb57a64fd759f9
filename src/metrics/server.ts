/**
 * The `/metrics` endpoint ([metrics] listen): GET /metrics answers the
 * Prometheus text format, anything else 404 (405 for another method on
 * /metrics). Bounded, since anyone who reaches the address may connect:
 * few connections, short header and request deadlines, no keep-alive
 * lingering (a scraper reconnects every interval anyway).
 */
import http from 'node:http';
import type { MetricsListen } from '../config/settings.js';
import type { Metrics } from './registry.js';

/** Connections at once: a Prometheus server or two, plus a person with curl. */
const MAX_CONNECTIONS = 16;
const TIMEOUT_MS = 5_000;

export class MetricsServer {
  readonly #server: http.Server;

  private constructor(server: http.Server) {
    this.#server = server;
  }

  /** Listens on `listen`; rejects (EADDRINUSE, EADDRNOTAVAIL, ...) when it cannot. */
  static async start(listen: MetricsListen, metrics: Metrics, onError: (err: Error) => void): Promise<MetricsServer> {
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return void res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      }
      metrics.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body),
        (e: unknown) => {
          onError(e as Error);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    server.maxConnections = MAX_CONNECTIONS;
    server.headersTimeout = TIMEOUT_MS;
    server.requestTimeout = TIMEOUT_MS;
    server.keepAliveTimeout = 1_000;
    server.maxHeadersCount = 50;
    server.setTimeout(TIMEOUT_MS, (socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listen.host, port: listen.port }, () => {
        server.off('error', reject);
        server.on('error', onError);
        resolve();
      });
    });
    return new MetricsServer(server);
  }

  /** The port listened on. */
  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  close(): void {
    this.#server.close();
    this.#server.closeAllConnections();
  }
}
