import { randomUUID } from 'node:crypto';
import { createMessage, defineNode, type FlowMessage, type MessageMeta, type SourceContext } from '@tributary/shared';
import { codecFor } from '../lib/codecs.js';
import { batchSizeFor } from '../lib/source-helpers.js';
import { frameValue, keepConnected, wsClientOptions } from '../lib/ws-client.js';
import { wsSessions } from '../lib/ws-sessions.js';
import { websocketSourceManifest } from './manifest.js';

/** What the node needs of a socket, in either role. */
interface FrameSocket {
  readonly id: string;
  send(data: string | Uint8Array): void;
  pause(): void;
  resume(): void;
}

export const websocketSourceNode = defineNode(websocketSourceManifest, async (config, nodeCtx) => {
  const codec = codecFor(config.codec);
  let source: SourceContext | null = null;
  let batchSize = 1024;
  // While the flow is full, every socket is paused; they resume together when it has room.
  let full: Promise<void> | null = null;
  const sockets = new Set<FrameSocket>();

  // Frames that arrived in the same turn of the event loop go out as one batch: one emit per
  // frame would cost the engine a batch per frame.
  let pending: { socket: FrameSocket; message: FlowMessage }[] = [];
  let flushScheduled = false;

  // Messages are immutable, so one meta object per socket and frame kind serves every frame.
  const metas = new WeakMap<FrameSocket, readonly [MessageMeta, MessageMeta]>();
  const metaOf = (socket: FrameSocket, binary: boolean): MessageMeta => {
    let pair = metas.get(socket);
    if (pair === undefined) {
      pair = [
        Object.freeze({ session: socket.id, binary: false }),
        Object.freeze({ session: socket.id, binary: true }),
      ];
      metas.set(socket, pair);
    }
    return pair[binary ? 1 : 0];
  };

  function onFrame(socket: FrameSocket, data: string | Uint8Array): void {
    const ctx = source;
    if (ctx === null || ctx.signal.aborted) return;
    const meta = metaOf(socket, typeof data !== 'string');
    let value: unknown;
    try {
      value = codec.decode(data);
    } catch (error) {
      ctx.stats.add('frames');
      track(ctx.emitError(error, createMessage({ key: socket.id, value: data, meta })));
      return;
    }
    pending.push({ socket, message: createMessage({ key: socket.id, value, meta }) });
    if (pending.length >= batchSize) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  function flush(): void {
    flushScheduled = false;
    const ctx = source;
    if (pending.length === 0 || ctx === null || ctx.signal.aborted) return;
    const batch = pending;
    pending = [];
    ctx.stats.add('frames', batch.length);
    // Replies go once everything derived from the batch was confirmed, each on its own socket.
    const onAck =
      config.reply === 'text'
        ? (ok: boolean) => {
            if (ok) for (const { socket } of batch) socket.send(config.replyText);
          }
        : undefined;
    track(
      ctx.emit(
        batch.map((f) => f.message),
        onAck,
      ),
    );
  }

  function track(wait: Promise<void> | undefined): void {
    if (wait === undefined || full !== null) return;
    for (const socket of sockets) socket.pause();
    const current = wait.then(() => {
      if (full !== current) return;
      full = null;
      for (const socket of sockets) socket.resume();
    });
    full = current;
  }

  function adopt(socket: FrameSocket): () => void {
    sockets.add(socket);
    wsSessions.add(socket.id, socket);
    if (full !== null) socket.pause();
    return () => {
      sockets.delete(socket);
      wsSessions.delete(socket.id);
    };
  }

  // Server role: the endpoint opens with the node, so a run without endpoints refuses to start.
  const endpoint =
    config.role === 'server'
      ? await nodeCtx.endpoints.webSocket(
          config.path!,
          (socket) => {
            const forget = adopt(socket);
            nodeCtx.stats.set('sessions', sockets.size);
            socket.onMessage((data) => onFrame(socket, data));
            socket.onClose(() => {
              forget();
              nodeCtx.stats.set('sessions', sockets.size);
            });
          },
          { maxPayloadBytes: config.maxPayloadBytes },
        )
      : null;
  if (endpoint !== null) nodeCtx.log.info(`serving ${endpoint.path}`);

  return {
    kind: 'source',
    async run(ctx: SourceContext) {
      batchSize = batchSizeFor(undefined, ctx);
      source = ctx;
      if (config.role === 'server') {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
      await keepConnected(ctx, wsClientOptions(config), ({ socket, closed }) => {
        const frameSocket: FrameSocket = {
          id: randomUUID(),
          send: (data) => {
            if (socket.readyState === socket.OPEN) socket.send(data);
          },
          pause: () => socket.pause(),
          resume: () => socket.resume(),
        };
        const forget = adopt(frameSocket);
        void closed.then(forget);
        socket.on('message', (data, isBinary) => onFrame(frameSocket, frameValue(data, isBinary)));
        for (const text of config.openMessages) socket.send(text);
      });
    },
    close() {
      endpoint?.close();
    },
  };
});
