/**
 * Endpoints for a flow that runs apart from the server (a worker thread, a child process): the
 * flow side implements `NodeEndpoints` by sending plain messages over a channel; the host side
 * serves them on the hub and sends requests, frames and figures back. Everything crossing is
 * structured-clone data, so the same messages work over `postMessage` and an IPC pipe.
 */
import type {
  EndpointRequest,
  EndpointResponse,
  EndpointSocket,
  EventStreamEndpoint,
  EventStreamOptions,
  HttpEndpointOptions,
  NodeEndpoints,
  StreamEvent,
  WebSocketEndpoint,
} from '@tributary/shared';
import type { FlowEndpoints } from './hub.js';

type Kind = 'http' | 'events' | 'ws';

/** Flow → host. */
export type EndpointToHost =
  | {
      t: 'open';
      ref: number;
      kind: Kind;
      path: string;
      options: HttpEndpointOptions | EventStreamOptions | { maxPayloadBytes?: number };
    }
  | { t: 'close'; ref: number }
  | { t: 'reply'; ref: number; req: number; response: EndpointResponse }
  | { t: 'publish'; ref: number; seq: number; events: readonly StreamEvent[] }
  | { t: 'ws-send'; session: string; data: string | Uint8Array }
  | { t: 'ws-pause' | 'ws-resume'; session: string }
  | { t: 'ws-close'; session: string; code?: number; reason?: string };

/** Host → flow. */
export type EndpointToFlow =
  | { t: 'opened'; ref: number; path: string }
  | { t: 'open-failed'; ref: number; message: string }
  | { t: 'request'; ref: number; req: number; request: EndpointRequest }
  | { t: 'published'; ref: number; seq: number }
  | { t: 'figures'; ref: number; clients: number; droppedClients: number }
  | { t: 'ws-open'; ref: number; session: string; headers: Record<string, string> }
  | { t: 'ws-message'; session: string; data: string | Uint8Array }
  | { t: 'ws-closed'; session: string; code: number };

/** The smallest channel the bridge needs (the host's worker/process channel fits it). */
export interface BridgeChannel<Out, In> {
  send(message: Out): void;
  onMessage(handler: (message: In) => void): void;
}

// ---------------------------------------------------------------------------------------------
// Flow side
// ---------------------------------------------------------------------------------------------

/** `NodeEndpoints` for a flow whose server is on the other end of `channel`. */
export function endpointsOverChannel(channel: BridgeChannel<EndpointToHost, EndpointToFlow>): NodeEndpoints {
  let nextRef = 1;
  const opening = new Map<number, { resolve: (path: string) => void; reject: (error: Error) => void }>();
  const handlers = new Map<number, (request: EndpointRequest) => Promise<EndpointResponse>>();
  const streams = new Map<
    number,
    { clients: number; droppedClients: number; seq: number; waiting: Map<number, () => void> }
  >();
  const wsRoutes = new Map<
    number,
    { onSession: (socket: EndpointSocket) => void; sessions: Map<string, ProxySocket> }
  >();
  const sessions = new Map<string, ProxySocket>();

  channel.onMessage((message) => {
    switch (message.t) {
      case 'opened':
        opening.get(message.ref)?.resolve(message.path);
        opening.delete(message.ref);
        break;
      case 'open-failed':
        opening.get(message.ref)?.reject(new Error(message.message));
        opening.delete(message.ref);
        break;
      case 'request': {
        const handler = handlers.get(message.ref);
        const answer = handler
          ? handler(message.request).catch((error: unknown): EndpointResponse => ({
              status: 500,
              body: { error: { code: 'E_ENDPOINT', message: (error as Error).message ?? String(error) } },
            }))
          : Promise.resolve<EndpointResponse>({
              status: 404,
              body: { error: { code: 'E_NOT_FOUND', message: 'closed' } },
            });
        void answer.then((response) => channel.send({ t: 'reply', ref: message.ref, req: message.req, response }));
        break;
      }
      case 'published': {
        const stream = streams.get(message.ref);
        stream?.waiting.get(message.seq)?.();
        stream?.waiting.delete(message.seq);
        break;
      }
      case 'figures': {
        const stream = streams.get(message.ref);
        if (stream) {
          stream.clients = message.clients;
          stream.droppedClients = message.droppedClients;
        }
        break;
      }
      case 'ws-open': {
        const route = wsRoutes.get(message.ref);
        if (!route) break;
        const socket = new ProxySocket(message.session, message.headers, channel);
        sessions.set(socket.id, socket);
        route.sessions.set(socket.id, socket);
        route.onSession(socket);
        break;
      }
      case 'ws-message':
        sessions.get(message.session)?.deliver(message.data);
        break;
      case 'ws-closed': {
        const socket = sessions.get(message.session);
        sessions.delete(message.session);
        for (const route of wsRoutes.values()) route.sessions.delete(message.session);
        socket?.closed(message.code);
        break;
      }
    }
  });

  const open = (kind: Kind, path: string, options: object) => {
    const ref = nextRef++;
    const opened = new Promise<string>((resolve, reject) => opening.set(ref, { resolve, reject }));
    channel.send({ t: 'open', ref, kind, path, options });
    return { ref, opened };
  };
  const closer = (ref: number, forget: () => void) => () => {
    forget();
    channel.send({ t: 'close', ref });
  };

  return {
    async http(path, handler, options = {}) {
      const { ref, opened } = open('http', path, options);
      handlers.set(ref, handler);
      try {
        const url = await opened;
        return { path: url, close: closer(ref, () => handlers.delete(ref)) };
      } catch (error) {
        handlers.delete(ref);
        throw error;
      }
    },
    async eventStream(path, options = {}) {
      const { ref, opened } = open('events', path, options);
      const state = { clients: 0, droppedClients: 0, seq: 0, waiting: new Map<number, () => void>() };
      streams.set(ref, state);
      let url: string;
      try {
        url = await opened;
      } catch (error) {
        streams.delete(ref);
        throw error;
      }
      const stream: EventStreamEndpoint = {
        path: url,
        get clients() {
          return state.clients;
        },
        get droppedClients() {
          return state.droppedClients;
        },
        publish(events) {
          const seq = ++state.seq;
          const done = new Promise<void>((resolve) => state.waiting.set(seq, resolve));
          channel.send({ t: 'publish', ref, seq, events });
          return done;
        },
        close: closer(ref, () => {
          for (const resolve of state.waiting.values()) resolve();
          streams.delete(ref);
        }),
      };
      return stream;
    },
    async webSocket(path, onSession, options = {}) {
      const { ref, opened } = open('ws', path, options);
      const route = { onSession, sessions: new Map<string, ProxySocket>() };
      wsRoutes.set(ref, route);
      let url: string;
      try {
        url = await opened;
      } catch (error) {
        wsRoutes.delete(ref);
        throw error;
      }
      const endpoint: WebSocketEndpoint = {
        path: url,
        sessions: () => route.sessions.values(),
        close: closer(ref, () => wsRoutes.delete(ref)),
      };
      return endpoint;
    },
  };
}

/** The flow side of one WebSocket connection held by the host. */
class ProxySocket implements EndpointSocket {
  private listener: ((data: string | Uint8Array) => void) | null = null;
  private readonly early: (string | Uint8Array)[] = [];
  private readonly closeListeners: ((code: number) => void)[] = [];

  constructor(
    readonly id: string,
    readonly headers: Readonly<Record<string, string>>,
    private readonly channel: BridgeChannel<EndpointToHost, EndpointToFlow>,
  ) {}

  send(data: string | Uint8Array): void {
    this.channel.send({ t: 'ws-send', session: this.id, data });
  }
  pause(): void {
    this.channel.send({ t: 'ws-pause', session: this.id });
  }
  resume(): void {
    this.channel.send({ t: 'ws-resume', session: this.id });
  }
  close(code?: number, reason?: string): void {
    this.channel.send({
      t: 'ws-close',
      session: this.id,
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    });
  }
  onMessage(listener: (data: string | Uint8Array) => void): void {
    this.listener = listener;
    for (const data of this.early.splice(0)) listener(data);
  }
  onClose(listener: (code: number) => void): void {
    this.closeListeners.push(listener);
  }
  deliver(data: string | Uint8Array): void {
    if (this.listener) this.listener(data);
    else this.early.push(data);
  }
  closed(code: number): void {
    for (const listener of this.closeListeners) listener(code);
  }
}

// ---------------------------------------------------------------------------------------------
// Host side
// ---------------------------------------------------------------------------------------------

/**
 * Serves a flow's endpoint messages on `endpoints` (the hub's `forFlow`). Call `close` when the
 * flow is gone: everything it opened is closed (waiting requests get 503).
 */
export function serveEndpointChannel(
  endpoints: FlowEndpoints,
  channel: BridgeChannel<EndpointToFlow, EndpointToHost>,
): { handle(message: EndpointToHost): void; close(): void } {
  const opened = new Map<number, { close(): void }>();
  const streams = new Map<number, EventStreamEndpoint>();
  const sockets = new Map<string, EndpointSocket>();
  const requests = new Map<number, (response: EndpointResponse) => void>();
  let nextReq = 1;
  let closed = false;

  const open = async (message: Extract<EndpointToHost, { t: 'open' }>) => {
    const { ref, path } = message;
    try {
      if (message.kind === 'http') {
        const route = await endpoints.http(
          path,
          (request) =>
            new Promise<EndpointResponse>((resolve) => {
              const req = nextReq++;
              requests.set(req, resolve);
              channel.send({ t: 'request', ref, req, request });
            }),
          message.options as HttpEndpointOptions,
        );
        opened.set(ref, route);
        channel.send({ t: 'opened', ref, path: route.path });
      } else if (message.kind === 'events') {
        const stream = await endpoints.eventStream(path, message.options as EventStreamOptions);
        opened.set(ref, stream);
        streams.set(ref, stream);
        let last = '';
        // Figures travel only when they change, checked twice a second.
        const timer = setInterval(() => {
          const now = `${stream.clients}/${stream.droppedClients}`;
          if (now === last) return;
          last = now;
          channel.send({ t: 'figures', ref, clients: stream.clients, droppedClients: stream.droppedClients });
        }, 500);
        timer.unref();
        opened.set(ref, {
          close: () => {
            clearInterval(timer);
            stream.close();
          },
        });
        channel.send({ t: 'opened', ref, path: stream.path });
      } else {
        const route = await endpoints.webSocket(
          path,
          (socket) => {
            sockets.set(socket.id, socket);
            channel.send({ t: 'ws-open', ref, session: socket.id, headers: { ...socket.headers } });
            socket.onMessage((data) => channel.send({ t: 'ws-message', session: socket.id, data }));
            socket.onClose((code) => {
              sockets.delete(socket.id);
              if (!closed) channel.send({ t: 'ws-closed', session: socket.id, code });
            });
          },
          message.options as { maxPayloadBytes?: number },
        );
        opened.set(ref, route);
        channel.send({ t: 'opened', ref, path: route.path });
      }
    } catch (error) {
      channel.send({ t: 'open-failed', ref, message: (error as Error).message ?? String(error) });
    }
  };

  return {
    handle(message) {
      if (closed) return;
      switch (message.t) {
        case 'open':
          void open(message);
          break;
        case 'close':
          opened.get(message.ref)?.close();
          opened.delete(message.ref);
          streams.delete(message.ref);
          break;
        case 'reply':
          requests.get(message.req)?.(message.response);
          requests.delete(message.req);
          break;
        case 'publish': {
          const stream = streams.get(message.ref);
          const done = () => channel.send({ t: 'published', ref: message.ref, seq: message.seq });
          if (stream) void stream.publish(message.events).then(done);
          else done();
          break;
        }
        case 'ws-send':
          sockets.get(message.session)?.send(message.data);
          break;
        case 'ws-pause':
          sockets.get(message.session)?.pause();
          break;
        case 'ws-resume':
          sockets.get(message.session)?.resume();
          break;
        case 'ws-close':
          sockets.get(message.session)?.close(message.code, message.reason);
          break;
      }
    },
    close() {
      closed = true;
      endpoints.closeAll();
      opened.clear();
      streams.clear();
      sockets.clear();
      requests.clear();
    },
  };
}
