/**
 * The endpoints flows serve on a runtime's HTTP server: `/hooks/<flow>/<path>` (HTTP),
 * `/streams/<flow>/<path>` (event streams) and `/ws/<flow>/<path>` (WebSockets). It owns the
 * sockets; nodes reach it through `forFlow(flowId)` — directly when the flow runs in this process,
 * or through the message bridge (bridge.ts) when it runs in a worker.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EventStreamEndpoint, EventStreamOptions, NodeEndpoints, WebSocketEndpoint } from '@tributary/shared';
import { EventStreamRoute, type EventStreamFigures } from './event-stream-route.js';
import { HttpRoute } from './http-route.js';
import { sendJsonError } from './respond.js';
import { WebSocketRoute } from './websocket-route.js';
import { ENDPOINT_PATH } from '../lib/web-fields.js';

/** A refusal before any route sees the request (a missing token, a cross-site browser request). */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export interface EndpointHubOptions {
  /** Decides whether a request may reach an endpoint (the runtime's token check); null lets it through. */
  authorize?: (req: IncomingMessage, url: URL) => Refusal | null;
}

/** A flow's endpoints, plus `closeAll` for when the flow is gone. */
export interface FlowEndpoints extends NodeEndpoints {
  closeAll(): void;
  /** Event-stream figures: the bridge forwards them to the flow. */
  onFigures?: (path: string, figures: EventStreamFigures) => void;
}

const MOUNTS = { http: '/hooks', events: '/streams', ws: '/ws' } as const;
type Kind = keyof typeof MOUNTS;
type Route = HttpRoute | EventStreamRoute | WebSocketRoute;

export class EndpointHub {
  private readonly routes = new Map<string, { route: Route; flowId: string }>();

  constructor(private readonly options: EndpointHubOptions = {}) {}

  /** Serves a request if it is for an endpoint; answers false (untouched) otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const found = this.find(req);
    if (found === null) return false;
    const refusal = this.refuse(req, found.url);
    if (refusal !== null) {
      for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
      sendJsonError(res, refusal.status, refusal.code, refusal.message);
      return true;
    }
    const { route, subPath, query, kind, path } = found;
    if (route === null || route instanceof WebSocketRoute) {
      sendJsonError(res, 404, 'E_NOT_FOUND', `no ${describeKind(kind)} is served at ${path} (is its flow running?)`);
    } else if (route instanceof HttpRoute) {
      route.serve(req, res, { subPath, query });
    } else if ((req.method ?? 'GET') !== 'GET') {
      res.setHeader('Allow', 'GET');
      sendJsonError(res, 405, 'E_METHOD_NOT_ALLOWED', `an event stream is read with GET`);
    } else {
      route.serve(req, res, query);
    }
    return true;
  }

  /** Takes a WebSocket upgrade if it is for an endpoint; answers false (untouched) otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const found = this.find(req);
    if (found === null || found.kind !== 'ws') return false;
    const refusal = this.refuse(req, found.url) ?? (found.route === null ? notFound(found.path) : null);
    if (refusal !== null) {
      const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
      const extra = Object.entries(refusal.headers ?? {})
        .map(([n, v]) => `${n}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Refused'}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extra}\r\n${body}`,
      );
      return true;
    }
    (found.route as WebSocketRoute).upgrade(req, socket, head);
    return true;
  }

  /** The endpoints of one flow; everything opened through it is closed by `closeAll`. */
  forFlow(flowId: string): FlowEndpoints {
    const own = new Set<string>();
    const register = (kind: Kind, path: string, route: Route) => {
      if (!ENDPOINT_PATH.test(path))
        throw new Error(`"${path}" is not an endpoint path (letters, digits, . _ - and /)`);
      const key = `${kind}:${flowId}/${path}`;
      if (this.routes.has(key)) throw new Error(`${MOUNTS[kind]}/${flowId}/${path} is already served by another node`);
      this.routes.set(key, { route, flowId });
      own.add(key);
      return {
        url: `${MOUNTS[kind]}/${flowId}/${path}`,
        close: () => {
          if (this.routes.get(key)?.route === route) this.routes.delete(key);
          own.delete(key);
          route.close();
        },
      };
    };
    const endpoints: FlowEndpoints = {
      http: (path, handler, options) => {
        try {
          const { url, close } = register(
            'http',
            path,
            new HttpRoute(`${MOUNTS.http}/${flowId}/${path}`, handler, options),
          );
          return Promise.resolve({ path: url, close });
        } catch (error) {
          return Promise.reject(asError(error));
        }
      },
      eventStream: (path, options?: EventStreamOptions) => {
        try {
          const route = new EventStreamRoute(`${MOUNTS.events}/${flowId}/${path}`, options, (f) => {
            endpoints.onFigures?.(path, f);
          });
          const { url, close } = register('events', path, route);
          const stream: EventStreamEndpoint = {
            path: url,
            get clients() {
              return route.figures.clients;
            },
            get droppedClients() {
              return route.figures.droppedClients;
            },
            publish: (events) => {
              route.publish(events);
              return Promise.resolve();
            },
            close,
          };
          return Promise.resolve(stream);
        } catch (error) {
          return Promise.reject(asError(error));
        }
      },
      webSocket: (path, onSession, options) => {
        try {
          const route = new WebSocketRoute(`${MOUNTS.ws}/${flowId}/${path}`, onSession, options);
          const { url, close } = register('ws', path, route);
          const endpoint: WebSocketEndpoint = { path: url, sessions: () => route.sockets.values(), close };
          return Promise.resolve(endpoint);
        } catch (error) {
          return Promise.reject(asError(error));
        }
      },
      closeAll: () => {
        for (const key of own) {
          const entry = this.routes.get(key);
          this.routes.delete(key);
          entry?.route.close();
        }
        own.clear();
      },
    };
    return endpoints;
  }

  /**
   * A server of its own, for `tributary run --port` (the server of `tributary serve` routes to
   * `handle` / `handleUpgrade` instead). Anything that is not an endpoint gets a JSON 404.
   */
  async listen(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      if (!this.handle(req, res)) sendJsonError(res, 404, 'E_NOT_FOUND', `nothing is served at ${req.url ?? '/'}`);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      server,
      url: `http://${urlHost}:${address.port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  private refuse(req: IncomingMessage, url: URL): Refusal | null {
    return this.options.authorize?.(req, url) ?? null;
  }

  /** The route a request is for: exact path, or the longest registered path it lies under. */
  private find(req: IncomingMessage) {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://endpoint.invalid');
    } catch {
      return null;
    }
    const kind = (Object.keys(MOUNTS) as Kind[]).find((k) => url.pathname.startsWith(`${MOUNTS[k]}/`));
    if (kind === undefined) return null;
    const rest = url.pathname.slice(MOUNTS[kind].length + 1);
    const slash = rest.indexOf('/');
    const flowId = slash < 0 ? rest : rest.slice(0, slash);
    let path = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    const query = Object.fromEntries(url.searchParams);
    let subPath = '';
    for (;;) {
      const entry = this.routes.get(`${kind}:${flowId}/${path}`);
      if (entry !== undefined) return { kind, url, route: entry.route, subPath, query, path: url.pathname };
      const cut = path.lastIndexOf('/');
      if (cut < 0) return { kind, url, route: null, subPath: '', query, path: url.pathname };
      subPath = path.slice(cut + 1) + (subPath === '' ? '' : `/${subPath}`);
      path = path.slice(0, cut);
    }
  }
}

function describeKind(kind: Kind): string {
  return kind === 'http' ? 'webhook' : kind === 'events' ? 'event stream' : 'WebSocket';
}

function notFound(path: string): Refusal {
  return { status: 404, code: 'E_NOT_FOUND', message: `no WebSocket is served at ${path} (is its flow running?)` };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
