/**
 * `[metrics] listen`: `HOST:PORT`, `[IPV6]:PORT` or `PORT` alone (which
 * means 127.0.0.1: the endpoint stays on loopback unless the operator
 * names another address). Empty: off.
 */
import { isIP } from 'node:net';
import type { MetricsListen } from './settings.js';
import type { Parser } from './values.js';

export const metricsListen: Parser<MetricsListen | undefined> = (v) => {
  const s = v.trim();
  if (s === '') return undefined;
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`"${s}" is not HOST:PORT, [IPV6]:PORT or PORT`);
  const host = m[1] ?? m[2] ?? '127.0.0.1';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`port ${port} is out of range (1..65535)`);
  if (isIP(host) === 0) throw new Error(`"${host}" is not an IP address`);
  if (m[1] !== undefined && isIP(host) !== 6) throw new Error(`"[${host}]" is not an IPv6 address`);
  return { host, port };
};
