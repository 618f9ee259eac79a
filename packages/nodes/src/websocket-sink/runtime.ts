import {
  defineNode,
  type ConfigOf,
  type EndpointSocket,
  type FlowMessage,
  type NodeContext,
  type ProcessorInstance,
} from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import { codecFor } from '../lib/codecs.js';
import { keepConnected, wsClientOptions } from '../lib/ws-client.js';
import { wsSessions } from '../lib/ws-sessions.js';
import type { WebSocket } from 'ws';
import { websocketSinkManifest } from './manifest.js';

export const websocketSinkNode = defineNode(websocketSinkManifest, async (config, ctx) => {
  const codec = codecFor(config.codec);
  const encode = (message: FlowMessage): string | Buffer => {
    const encoded = codec.encode(message.value);
    return encoded === null ? '' : encoded;
  };

  if (config.mode === 'reply') {
    return {
      kind: 'processor',
      process(batch, out) {
        for (const message of batch) {
          const session = typeof message.meta.session === 'string' ? wsSessions.get(message.meta.session) : undefined;
          if (session === undefined) {
            out.error(
              new Error('the connection this message came from is closed (or it has no meta.session)'),
              message,
            );
            continue;
          }
          let frame: string | Buffer;
          try {
            frame = encode(message);
          } catch (error) {
            out.error(error, message);
            continue;
          }
          session.send(frame);
          ctx.stats.add('sent');
        }
      },
    };
  }

  if (config.mode === 'broadcast') {
    if (config.path === undefined) throw new NodeConfigError('required: the path below /ws/<flow>/ to serve', 'path');
    const sessions = new Set<EndpointSocket>();
    const endpoint = await ctx.endpoints.webSocket(config.path, (socket) => {
      sessions.add(socket);
      ctx.stats.set('sessions', sessions.size);
      socket.onClose(() => {
        sessions.delete(socket);
        ctx.stats.set('sessions', sessions.size);
      });
    });
    ctx.log.info(`serving ${endpoint.path}`);
    return {
      kind: 'processor',
      process(batch, out) {
        for (const message of batch) {
          let frame: string | Buffer;
          try {
            frame = encode(message);
          } catch (error) {
            out.error(error, message);
            continue;
          }
          for (const socket of sessions) socket.send(frame);
          ctx.stats.add('sent');
        }
      },
      close() {
        endpoint.close();
      },
    };
  }

  if (config.url === undefined) throw new NodeConfigError('required: the ws:// or wss:// URL to send to', 'url');
  return clientSink(config as typeof config & { url: string }, ctx, encode);
});

type Config = ConfigOf<typeof websocketSinkManifest>;

/** Client mode: one connection kept open; a batch resolves once written (or answered). */
function clientSink(
  config: Config & { url: string },
  ctx: NodeContext,
  encode: (m: FlowMessage) => string | Buffer,
): ProcessorInstance {
  let current: WebSocket | null = null;
  let waiters: ((socket: WebSocket) => void)[] = [];
  // Frames from the peer, for Await reply: the next one answers the message in flight.
  let onReply: (() => void) | null = null;
  let onDrop: (() => void) | null = null;
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const connecting = keepConnected({ ...ctx, signal }, wsClientOptions(config), ({ socket, closed }) => {
    current = socket;
    socket.on('message', () => {
      ctx.stats.add('replies');
      onReply?.();
    });
    void closed.then(() => {
      if (current === socket) current = null;
      onDrop?.();
    });
    for (const wake of waiters.splice(0)) wake(socket);
  });

  const open = (): Promise<WebSocket> => {
    if (current !== null && current.readyState === current.OPEN) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      if (signal.aborted) reject(new Error('the flow stopped before the message was sent'));
      waiters.push(resolve);
      signal.addEventListener('abort', () => reject(new Error('the flow stopped before the message was sent')), {
        once: true,
      });
    });
  };

  /** Sends one frame; resolves true once written (and answered, with Await reply), false if the connection dropped. */
  const deliver = (socket: WebSocket, frame: string | Buffer): Promise<boolean> =>
    new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        onReply = null;
        onDrop = null;
        resolve(ok);
      };
      onDrop = () => finish(false);
      if (config.awaitReply) {
        onReply = () => finish(true);
        timer = setTimeout(() => {
          ctx.log.warn(`no reply within ${config.replyTimeoutMs} ms: reconnecting to send it again`);
          socket.terminate();
          finish(false);
        }, config.replyTimeoutMs);
      }
      socket.send(frame, (error) => {
        if (error) finish(false);
        else if (!config.awaitReply) finish(true);
      });
    });

  return {
    kind: 'processor',
    async process(batch, out) {
      for (const message of batch) {
        let frame: string | Buffer;
        try {
          frame = encode(message);
        } catch (error) {
          out.error(error, message);
          continue;
        }
        // At-least-once: a frame whose write (or reply) was not confirmed goes again on the next connection.
        for (let attempt = 0; ; attempt++) {
          const socket = await open();
          if (attempt > 0) ctx.stats.add('resent');
          if (await deliver(socket, frame)) break;
        }
        ctx.stats.add('sent');
      }
    },
    async close() {
      stop.abort();
      waiters = [];
      await connecting;
    },
  };
}
