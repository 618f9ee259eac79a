import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, fetch, type Dispatcher } from 'undici';
import {
  backoffDelay,
  createMessage,
  defineNode,
  sleep,
  type FlowMessage,
  type SourceContext,
} from '@tributary/shared';
import { tlsOptions } from '../connections/connection-of.js';
import { codecFor } from '../lib/codecs.js';
import { OrderedAcks } from '../lib/ordered-acks.js';
import { PositionFile } from '../lib/position-file.js';
import { batchSizeFor } from '../lib/source-helpers.js';
import { sseSourceManifest } from './manifest.js';

interface StoredPosition {
  url: string;
  lastEventId: string;
}

/** Why one connection ended. */
type Ended = 'closed' | 'stalled' | 'no-content' | 'aborted' | 'failed';

export const sseSourceNode = defineNode(sseSourceManifest, (config, nodeCtx) => {
  const codec = codecFor(config.codec);
  const tls = tlsOptions(config.tls);
  const dispatcher: Dispatcher | undefined = tls === undefined ? undefined : new Agent({ connect: tls });
  const file = PositionFile.for<StoredPosition>(nodeCtx.dataDir, 'sse-source', nodeCtx.nodeId);
  const stored = config.resume ? file.read() : undefined;
  // A position kept for another URL would resume the wrong stream.
  const start = stored !== undefined && stored.url === config.url ? stored.lastEventId : undefined;
  const acks = new OrderedAcks<string>(start, (id) => {
    if (config.resume) file.write({ url: config.url, lastEventId: id });
    const numeric = Number(id);
    if (id !== '' && Number.isFinite(numeric)) nodeCtx.stats.set('lastId', numeric);
  });
  if (start !== undefined) nodeCtx.log.info(`resuming after event id "${start}"`);

  return {
    kind: 'source',
    async run(ctx: SourceContext) {
      const batchSize = batchSizeFor(config.batchSize, ctx);
      let retryMs: number | undefined;
      let failures = 0;
      let connects = 0;
      ctx.stats.set('connected', 0);
      while (!ctx.signal.aborted) {
        if (connects > 0) ctx.stats.add('reconnects');
        connects++;
        const outcome = await readOnce(ctx, batchSize, (ms) => (retryMs = ms));
        ctx.stats.set('connected', 0);
        if (outcome.ended === 'aborted') return;
        if (outcome.ended === 'no-content') {
          ctx.log.info('the server answered 204 No Content: the stream is over');
          return;
        }
        failures = outcome.events > 0 ? 0 : failures + 1;
        const delay = backoffDelay(Math.max(0, failures - 1), {
          initialMs: retryMs ?? config.initialDelayMs,
          maxMs: Math.max(config.maxDelayMs, retryMs ?? 0),
        });
        if (!(await sleep(delay, ctx.signal))) return;
      }
    },
    async close() {
      await file.flush();
      await dispatcher?.close();
    },
  };

  /** One connection: reads events until the stream ends, stalls, fails or the flow stops. */
  async function readOnce(
    ctx: SourceContext,
    batchSize: number,
    onRetry: (ms: number) => void,
  ): Promise<{ ended: Ended; events: number }> {
    const abort = new AbortController();
    const stopOnFlowStop = () => abort.abort();
    ctx.signal.addEventListener('abort', stopOnFlowStop, { once: true });
    let stalled = false;
    let stallTimer: NodeJS.Timeout | null = null;
    const armStall = () => {
      if (config.stallTimeoutMs === 0) return;
      if (stallTimer !== null) clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, config.stallTimeoutMs);
    };
    const disarmStall = () => {
      if (stallTimer !== null) clearTimeout(stallTimer);
      stallTimer = null;
    };

    let events = 0;
    // SSE's "last event id" carries over events without an `id:` field.
    let lastSeenId = acks.confirmed;
    let parsed: FlowMessage[] = [];
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (event.id !== undefined) lastSeenId = event.id;
        parsed.push(toMessage(event, lastSeenId));
      },
      onRetry,
      onError(error) {
        ctx.log.warn(`ignored a malformed line of the stream: ${error.message}`);
      },
    });

    try {
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        'cache-control': 'no-cache',
        ...config.headers,
      };
      if (config.authorization !== undefined) headers.authorization = config.authorization;
      const resumeFrom = config.resume ? acks.confirmed : undefined;
      if (resumeFrom !== undefined) headers['last-event-id'] = resumeFrom;
      armStall();
      const response = await fetch(config.url, {
        method: config.method,
        headers,
        ...(config.method === 'POST' && config.body !== undefined ? { body: config.body } : {}),
        signal: abort.signal,
        ...(dispatcher === undefined ? {} : { dispatcher }),
      });
      if (response.status === 204) return { ended: 'no-content', events };
      if (!response.ok || response.body === null) {
        ctx.stats.add('httpErrors');
        const text = await response.text().catch(() => '');
        ctx.log.warn(`the server answered ${response.status}: ${text.slice(0, 200)}`);
        return { ended: 'failed', events };
      }
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream')) {
        // Read anyway: a wrong Content-Type on a stream that is otherwise fine is common.
        ctx.log.warn(`the server sent Content-Type "${type}", not text/event-stream; reading it as a stream anyway`);
      }
      ctx.stats.set('connected', 1);
      ctx.log.info(`connected to ${config.url}${resumeFrom === undefined ? '' : ` (Last-Event-ID ${resumeFrom})`}`);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      for (;;) {
        armStall();
        const { value, done } = await reader.read();
        if (done) return { ended: 'closed', events };
        ctx.stats.add('bytes', value.byteLength);
        parser.feed(decoder.decode(value, { stream: true }));
        if (parsed.length === 0) continue;
        const ready = parsed;
        parsed = [];
        events += ready.length;
        ctx.stats.add('events', ready.length);
        // Not reading while downstream is full: the server's writes back up in TCP, not here.
        disarmStall();
        for (let i = 0; i < ready.length; i += batchSize) {
          await emitBatch(ctx, ready.slice(i, i + batchSize));
          if (ctx.signal.aborted) return { ended: 'aborted', events };
        }
      }
    } catch (error) {
      if (ctx.signal.aborted) return { ended: 'aborted', events };
      if (stalled) {
        ctx.log.warn(`no byte for ${config.stallTimeoutMs} ms: reconnecting`);
        return { ended: 'stalled', events };
      }
      ctx.log.warn(`the stream failed: ${describe(error)}`);
      return { ended: 'failed', events };
    } finally {
      disarmStall();
      abort.abort();
      ctx.signal.removeEventListener('abort', stopOnFlowStop);
    }
  }

  /**
   * Emits in stream order: a run of readable events, then an unreadable one to the error port, and
   * so on, each tracked in that order, so the confirmed id never passes an unconfirmed event. Waits
   * whenever the flow answers "full" before emitting more.
   */
  async function emitBatch(ctx: SourceContext, batch: FlowMessage[]): Promise<void> {
    let run: FlowMessage[] = [];
    const flush = async () => {
      if (run.length === 0 || ctx.signal.aborted) return;
      const wait = ctx.emit(run, acks.track(run[run.length - 1]!.meta.id as string | undefined));
      run = [];
      if (wait !== undefined) await wait;
    };
    for (const message of batch) {
      let value: unknown;
      try {
        value = codec.decode(message.value as string);
      } catch (error) {
        await flush();
        if (ctx.signal.aborted) return;
        const wait = ctx.emitError(error, message, acks.track(message.meta.id as string | undefined));
        if (wait !== undefined) await wait;
        continue;
      }
      run.push({ ...message, value });
    }
    await flush();
  }
});

function toMessage(event: EventSourceMessage, lastId: string | undefined): FlowMessage {
  return createMessage({
    key: lastId ?? null,
    value: event.data,
    meta: { event: event.event ?? 'message', ...(lastId === undefined ? {} : { id: lastId }) },
  });
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string; code?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}
