import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { IdSchema, type ClientToServerEvents, type ServerToClientEvents, type SocketAck } from '@tributary/shared';
import { RuntimeError } from '../errors.js';
import type { FlowManager } from '../host/flow-manager.js';
import type { FlowStore } from '../store/flow-store.js';
import { crossSiteReason, tokenMatches } from '../http/access.js';

const SubscribePayload = z.strictObject({ flowId: IdSchema });
const TapPayload = z.strictObject({ flowId: IdSchema, edgeId: IdSchema });

const flowRoom = (flowId: string) => `flow:${flowId}`;
const tapRoom = (flowId: string, edgeId: string) => `tap:${flowId}\u0000${edgeId}`;

export interface RealtimeOptions {
  manager: FlowManager;
  store: FlowStore;
  token: string | undefined;
  allowedOrigins?: readonly string[];
}

type ServerSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
type Ack = (result: SocketAck) => void;

/**
 * socket.io on the HTTP server: a room per flow for status, stats (1 Hz), logs and node errors, and
 * a room per tapped edge. Commands (deploy, stop) stay on HTTP; the socket only carries events.
 * Every payload a client sends is checked with zod; the types alone check nothing at run time.
 */
export function attachRealtime(
  httpServer: HttpServer,
  options: RealtimeOptions,
): Server<ClientToServerEvents, ServerToClientEvents> {
  const { manager, store, token } = options;
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    serveClient: false,
    // Clients send small commands only.
    maxHttpBufferSize: 64 * 1024,
    allowRequest: (req, callback) => {
      const reason = crossSiteReason(req.headers, token !== undefined, options.allowedOrigins);
      callback(reason, reason === null);
    },
  });

  io.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    if (token !== undefined && !tokenMatches(token, auth?.token)) {
      next(new Error('E_UNAUTHORIZED: this server needs a token: connect with auth: { token }'));
      return;
    }
    next();
  });

  io.on('connection', (socket: ServerSocket) => {
    const taps = new Set<string>();

    socket.on('flow:subscribe', (payload: unknown, ack: unknown) => {
      const parsed = SubscribePayload.safeParse(payload);
      if (!parsed.success) return reply(ack, invalid('send { flowId }'));
      const { flowId } = parsed.data;
      if (!store.get(flowId))
        return reply(ack, {
          ok: false,
          error: { code: 'E_FLOW_NOT_FOUND', message: `flow "${flowId}" does not exist` },
        });
      void socket.join(flowRoom(flowId));
      reply(ack, { ok: true });
      socket.emit('flow:status', manager.statusEvent(flowId));
    });

    socket.on('flow:unsubscribe', (payload: unknown) => {
      const parsed = SubscribePayload.safeParse(payload);
      if (parsed.success) void socket.leave(flowRoom(parsed.data.flowId));
    });

    socket.on('tap:start', (payload: unknown, ack: unknown) => {
      const parsed = TapPayload.safeParse(payload);
      if (!parsed.success) return reply(ack, invalid('send { flowId, edgeId }'));
      const { flowId, edgeId } = parsed.data;
      const key = tapRoom(flowId, edgeId);
      if (!taps.has(key)) {
        try {
          manager.tapStart(flowId, edgeId);
        } catch (error) {
          const code = error instanceof RuntimeError ? error.code : 'E_INTERNAL';
          return reply(ack, { ok: false, error: { code, message: (error as Error).message } });
        }
        taps.add(key);
        void socket.join(key);
      }
      reply(ack, { ok: true });
    });

    socket.on('tap:stop', (payload: unknown) => {
      const parsed = TapPayload.safeParse(payload);
      if (!parsed.success) return;
      const { flowId, edgeId } = parsed.data;
      const key = tapRoom(flowId, edgeId);
      if (!taps.delete(key)) return;
      void socket.leave(key);
      manager.tapStop(flowId, edgeId);
    });

    socket.on('disconnect', () => {
      for (const key of taps) {
        const [flowId, edgeId] = key.slice('tap:'.length).split('\u0000') as [string, string];
        manager.tapStop(flowId, edgeId);
      }
      taps.clear();
    });
  });

  manager.on('status', (event) => io.to(flowRoom(event.flowId)).emit('flow:status', event));
  manager.on('stats', (snapshot) => io.to(flowRoom(snapshot.flowId)).emit('flow:stats', snapshot));
  manager.on('log', (entry) => io.to(flowRoom(entry.flowId)).emit('flow:log', entry));
  manager.on('nodeError', (event) => io.to(flowRoom(event.flowId)).emit('node:error', event));
  manager.on('tap', (event) => io.to(tapRoom(event.flowId, event.edgeId)).emit('edge:tap', event));
  return io;
}

function invalid(message: string): SocketAck {
  return { ok: false, error: { code: 'E_BODY_INVALID', message } };
}

function reply(ack: unknown, result: SocketAck): void {
  if (typeof ack === 'function') (ack as Ack)(result);
}
