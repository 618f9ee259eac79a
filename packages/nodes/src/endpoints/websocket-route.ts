/** One `ctx.endpoints.webSocket` registration: upgrades on its path, one EndpointSocket per connection. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EndpointSocket } from '@tributary/shared';

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** A client that lets this much pile up unsent is disconnected (1013, try again later), not buffered for. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class WebSocketRoute {
  private readonly server: WebSocketServer;
  readonly sockets = new Map<string, EndpointSocket>();

  constructor(
    readonly path: string,
    private readonly onSession: (socket: EndpointSocket) => void,
    options: { maxPayloadBytes?: number } = {},
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD,
      clientTracking: false,
    });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(req, socket, head, (ws) => {
      const session = wrap(ws, req);
      this.sockets.set(session.id, session);
      ws.on('close', () => this.sockets.delete(session.id));
      this.onSession(session);
    });
  }

  close(): void {
    for (const session of this.sockets.values()) session.close(1001, 'the flow stopped');
    this.sockets.clear();
    this.server.close();
  }
}

function wrap(ws: WebSocket, req: IncomingMessage): EndpointSocket {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // Frames that arrive before the node listens are kept (the node listens at once, in the same turn).
  const early: (string | Uint8Array)[] = [];
  let onMessage: ((data: string | Uint8Array) => void) | null = null;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const value = isBinary ? toBuffer(data) : toBuffer(data).toString('utf8');
    if (onMessage) onMessage(value);
    else early.push(value);
  });
  // A socket error (a peer that breaks the protocol) closes the socket; nothing else to do.
  ws.on('error', () => undefined);
  return {
    id: randomUUID(),
    headers,
    send(data) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'too slow: more than 4 MB waiting');
        return;
      }
      ws.send(data);
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close(code = 1000, reason = '') {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    },
    onMessage(listener) {
      onMessage = listener;
      for (const value of early.splice(0)) listener(value);
    },
    onClose(listener) {
      ws.on('close', (code: number) => listener(code));
    },
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
