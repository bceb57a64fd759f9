/**
 * Text form of extra classless static routes, used by the `[dhcp] routes`
 * config key and the `ROUTES` binding key:
 *   ROUTES="10.0.0.0/8 via 203.0.113.1, 169.254.169.254/32 via 203.0.113.1"
 * Router 0.0.0.0 means on-link (RFC 3442).
 */
import { ipv4ToNumber, numberToIpv4, prefixMask } from '../wire/addr.js';
import type { ClasslessRoute } from '../wire/dhcp4-types.js';

export type RouteListResult = { ok: true; routes: ClasslessRoute[] } | { ok: false; error: string };

const ROUTE_RE = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})\s+(?:via\s+)?(\d+\.\d+\.\d+\.\d+)$/;

export function parseRouteList(text: string): RouteListResult {
  const routes: ClasslessRoute[] = [];
  for (const part of text.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== '')) {
    const m = ROUTE_RE.exec(part.replace(/\s+/g, ' '));
    if (!m) return { ok: false, error: `route "${part}" is not "DEST/LEN via ROUTER"` };
    const dest = ipv4ToNumber(m[1]!);
    const len = Number(m[2]);
    const router = ipv4ToNumber(m[3]!);
    if (dest === undefined || router === undefined || len > 32) return { ok: false, error: `route "${part}" has a bad address or prefix` };
    if ((dest & ~prefixMask(len)) >>> 0 !== 0) {
      return { ok: false, error: `route "${part}": destination has bits set past /${len}` };
    }
    routes.push({ destination: numberToIpv4(dest), prefixLength: len, router: numberToIpv4(router) });
  }
  return { ok: true, routes };
}

export function formatRouteList(routes: readonly ClasslessRoute[]): string {
  return routes.map((r) => `${r.destination}/${r.prefixLength} via ${r.router}`).join(', ');
}
