import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_NAMES.has(name) || /^127(\.\d{1,3}){3}$/.test(name) || name.endsWith('.localhost');
}

/** Compares a presented token with the server's in constant time (hashing first evens out the lengths). */
export function tokenMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

function hostnameOf(hostHeader: string): string {
  // "[::1]:4300" → "[::1]", "localhost:4300" → "localhost"
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
}

/**
 * Refuses requests a browser makes on behalf of another site. Without a token the server only
 * answers to loopback host names, so a DNS-rebinding page (evil.example resolving to 127.0.0.1)
 * cannot reach it; and a request whose Origin is another site (neither this host nor a loopback
 * dev server such as the editor's Vite) is refused, so no page can drive the API cross-site.
 * Returns a reason, or null when the request may go on.
 */
export function crossSiteReason(headers: IncomingHttpHeaders, hasToken: boolean): string | null {
  const host = headers.host ?? '';
  if (!hasToken && !isLoopbackHost(hostnameOf(host))) {
    return `host "${host}" is not a loopback name; a server without a token answers only to localhost`;
  }
  const origin = headers.origin;
  if (origin === undefined) return null; // not a browser, or a same-origin GET
  // "null" comes from sandboxed frames and file: pages, which an attacker controls.
  if (origin === 'null') return 'requests from an opaque origin ("null") are not allowed';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `origin "${origin}" is not a URL`;
  }
  if (url.host === host || isLoopbackHost(url.hostname)) return null;
  return `requests from origin ${origin} are not allowed`;
}

/**
 * The check in front of flow endpoints (`/hooks`, `/streams`, `/ws`): the same as the API's, except
 * that the token may also come as `?access_token=` — a browser's EventSource and WebSocket cannot
 * set headers. Returns null when the request may go on.
 */
export function endpointRefusal(
  token: string | undefined,
): (
  req: IncomingMessage,
  url: URL,
) => { status: number; code: string; message: string; headers?: Record<string, string> } | null {
  return (req, url) => {
    const crossSite = crossSiteReason(req.headers, token !== undefined);
    if (crossSite !== null) return { status: 403, code: 'E_FORBIDDEN_ORIGIN', message: crossSite };
    if (token === undefined) return null;
    if (
      tokenMatches(token, bearerToken(req.headers)) ||
      tokenMatches(token, url.searchParams.get('access_token') ?? '')
    ) {
      return null;
    }
    return {
      status: 401,
      code: 'E_UNAUTHORIZED',
      message: 'this server needs a token: send Authorization: Bearer <token> (or ?access_token=<token>)',
      headers: { 'WWW-Authenticate': 'Bearer realm="tributary"' },
    };
  };
}
