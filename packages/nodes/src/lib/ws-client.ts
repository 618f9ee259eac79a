/**
 * A WebSocket client that stays connected: reconnects with growing pauses and jitter, pings and
 * closes a connection whose pong does not come back in time (a half-open TCP connection would
 * otherwise look alive for hours). Used by websocket-source and websocket-sink in client role.
 */
import type { ConnectionOptions } from 'node:tls';
import { WebSocket, type RawData } from 'ws';
import { backoffDelay, sleep, type NodeContext } from '@tributary/shared';
import { tlsOptions } from '../connections/connection-of.js';
import type { TlsSetting } from '../connections/tls.js';

export interface WsClientOptions {
  url: string;
  subprotocols: readonly string[];
  headers: Record<string, string>;
  tls?: ConnectionOptions | undefined;
  pingMs: number;
  pongTimeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  maxPayloadBytes: number;
}

/** The client-role config both nodes have: `wsClientFields` (lib/web-fields.ts), the URL and TLS. */
export interface WsClientConfig {
  url: string;
  subprotocols: readonly string[];
  headers: Record<string, string>;
  authorization?: string | undefined;
  tls: TlsSetting;
  pingMs: number;
  pongTimeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  maxPayloadBytes: number;
}

/** How `keepConnected` connects for a node's client-role config (Authorization goes in as a header). */
export function wsClientOptions(config: WsClientConfig): WsClientOptions {
  return {
    url: config.url,
    subprotocols: config.subprotocols,
    headers: {
      ...config.headers,
      ...(config.authorization === undefined ? {} : { authorization: config.authorization }),
    },
    tls: tlsOptions(config.tls),
    pingMs: config.pingMs,
    pongTimeoutMs: config.pongTimeoutMs,
    initialDelayMs: config.initialDelayMs,
    maxDelayMs: config.maxDelayMs,
    maxPayloadBytes: config.maxPayloadBytes,
  };
}

export interface WsConnection {
  readonly socket: WebSocket;
  /** Resolves when this connection closed (for any reason). */
  readonly closed: Promise<void>;
}

/**
 * Connects, runs `session` for each connection until it closes, then reconnects; returns when
 * `ctx.signal` aborts. `session` gets frames through `socket.on('message')` itself.
 */
export async function keepConnected(
  ctx: NodeContext,
  options: WsClientOptions,
  session: (connection: WsConnection) => void | Promise<void>,
): Promise<void> {
  let failures = 0;
  let connects = 0;
  while (!ctx.signal.aborted) {
    const socket = new WebSocket(options.url, [...options.subprotocols], {
      headers: options.headers,
      handshakeTimeout: Math.max(1000, options.pongTimeoutMs),
      maxPayload: options.maxPayloadBytes,
      ...(options.tls ?? {}),
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const opened = await new Promise<boolean>((resolve) => {
      socket.once('open', () => resolve(true));
      socket.once('error', (error) => {
        ctx.log.warn(`cannot connect to ${options.url}: ${error.message}`);
        resolve(false);
      });
      socket.once('close', () => resolve(false));
    });
    const onAbort = () => socket.close(1001, 'the flow stopped');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (opened) {
      if (connects > 0) ctx.stats.add('reconnects');
      connects++;
      ctx.stats.set('connected', 1);
      ctx.log.info(`connected to ${options.url}`);
      socket.on('error', (error) => ctx.log.warn(`connection error: ${error.message}`));
      const heartbeat = watchPongs(socket, options);
      const wasOpenFor = Date.now();
      try {
        await session({ socket, closed });
        await closed;
      } finally {
        clearInterval(heartbeat);
        ctx.stats.set('connected', 0);
      }
      // A connection that lived a while resets the backoff; one that dropped at once does not.
      failures = Date.now() - wasOpenFor > 5000 ? 0 : failures + 1;
    } else {
      socket.terminate();
      failures++;
    }
    ctx.signal.removeEventListener('abort', onAbort);
    if (ctx.signal.aborted) return;
    const delay = backoffDelay(Math.max(0, failures - 1), {
      initialMs: options.initialDelayMs,
      maxMs: options.maxDelayMs,
    });
    if (!(await sleep(delay, ctx.signal))) return;
  }
}

function watchPongs(socket: WebSocket, options: WsClientOptions): NodeJS.Timeout {
  let waitingSince = 0;
  socket.on('pong', () => (waitingSince = 0));
  const timer = setInterval(() => {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (waitingSince !== 0 && Date.now() - waitingSince > options.pongTimeoutMs) {
      socket.terminate(); // no pong: the connection is dead even if TCP has not noticed
      return;
    }
    if (waitingSince === 0) waitingSince = Date.now();
    socket.ping();
  }, options.pingMs);
  timer.unref();
  return timer;
}

export function frameValue(data: RawData, isBinary: boolean): string | Buffer {
  const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? buffer : buffer.toString('utf8');
}
