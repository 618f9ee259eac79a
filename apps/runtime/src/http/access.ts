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
 * cannot reach it; and a request with an Origin is let in only from this server's own origin or one
 * configured in `allowedOrigins` (exact `scheme://host:port`). Any other loopback origin is refused
 * too: a page served by another local app must not be able to deploy code. The editor's Vite dev
 * server proxies with the browser's Host header, so it is same-origin and needs no configuration.
 * Returns a reason, or null when the request may go on.
 */
export function crossSiteReason(
  headers: IncomingHttpHeaders,
  hasToken: boolean,
  allowedOrigins: readonly string[] = [],
): string | null {
  const host = headers.host ?? '';
  if (!hasToken && !isLoopbackHost(hostnameOf(host))) {
    return `host "${host.slice(0, 140)}" is not a loopback name; a server without a token answers only to localhost`;
  }
  const origin = headers.origin;
  if (origin === undefined) return null; // not a browser, or a same-origin GET
  // "null" comes from sandboxed frames and file: pages, which an attacker controls.
  if (origin === 'null') return 'requests from an opaque origin ("null") are not allowed';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `origin "${origin.slice(0, 140)}" is not a URL`;
  }
  if (url.host === host || allowedOrigins.includes(url.origin)) return null;
  return `requests from origin ${url.origin} are not allowed (start the server with --allow-origin ${url.origin} to allow it)`;
}

/** Normalises a configured origin (`http://localhost:5173/` → `http://localhost:5173`); throws on a non-URL. */
export function normalizeOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.origin === 'null') throw new Error(`"${origin}" has no origin (use scheme://host:port)`);
  return url.origin;
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
