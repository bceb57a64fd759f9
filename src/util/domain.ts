/** RFC 1035 §2.3.1 host-name syntax, relaxed to allow underscores (seen in real search lists). */
const LABEL_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function isValidDomainName(name: string): boolean {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length === 0 || n.length > 253) return false;
  return n.split('.').every((label) => LABEL_RE.test(label));
}
