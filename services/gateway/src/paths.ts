/** RFC 3986 §2.3: letters, digits, `-`, `.`, `_`, `~`. An escape of one of these means the character itself. */
const UNRESERVED = /%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/gi;

/**
 * The path as the services' router will read it: escapes of unreserved
 * characters decoded (RFC 3986 §6.2.2.2), so `/%761/rooms` routes like
 * `/v1/rooms`. A path with a `.` or `..` segment names nothing (no service
 * resolves them) and is refused, so no spelling can reach past a prefix rule.
 * Returns undefined for a path to refuse.
 */
export function normalisePath(url: string): string | undefined {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const path = rawPath.replace(UNRESERVED, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
  if (!path.startsWith('/') || path.split('/').some((seg) => seg === '.' || seg === '..')) return undefined;
  return q < 0 ? path : path + url.slice(q);
}
