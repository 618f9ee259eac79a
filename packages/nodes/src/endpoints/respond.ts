import type { ServerResponse } from 'node:http';

/** Where a request landed: the route's path below its mount, and the query string. */
export interface RouteTarget {
  subPath: string;
  query: Record<string, string>;
}

/** The runtime's error shape, `{ error: { code, message } }`, never HTML or a stack. */
export function sendJsonError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
