/** RFC 1035 §2.3.1 host-name syntax, relaxed to allow underscores (seen in real search lists). */
const LABEL_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function isValidDomainName(name: string): boolean {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return false;
  return n.split('.').every((label) => LABEL_RE.test(label));
}

/**
 * The domain part of a binding's HOSTNAME (after its first dot), what
 * nfdhcpd sent as DHCPv4 option 15 and the DHCPv6 domain list when neither
 * `[dhcp] domain` nor `[ipv6] domains` was set; undefined for a name without
 * a dot (nfdhcpd then sent the bare hostname as a domain, which no resolver
 * wants) or a part that is not a valid domain name.
 */
export function hostnameDomain(hostname: string | undefined): string | undefined {
  const dot = hostname?.indexOf('.') ?? -1;
  if (hostname === undefined || dot < 0) return undefined;
  const domain = hostname.slice(dot + 1).replace(/\.$/, '');
  return domain !== '' && isValidDomainName(domain) ? domain : undefined;
}
