import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import {
  backoffDelay,
  defineNode,
  EMPTY_HEADERS,
  sleep,
  type FlowMessage,
  type NodeContext,
  type SourceContext,
} from '@tributary/shared';
import { createSqsClient, describeSqsError, resolveQueueUrl, sqsConnectionOf } from '../connections/sqs-client.js';
import { changeVisibility, ReceiptDeleter, SQS_BATCH_LIMIT } from '../connections/sqs-receipts.js';
import { codecFor, CodecError } from '../lib/codecs.js';
import { sqsSourceManifest } from './manifest.js';

/** Heartbeats never run more often than this, whatever the queue's visibility timeout. */
const MIN_HEARTBEAT_MS = 500;
/** On close, how long confirmed messages may take to be deleted before the node gives up on them. */
const CLOSE_DRAIN_MS = 10_000;
const MAX_RECEIVE_PAUSE_MS = 10_000;

interface InFlight {
  readonly handle: string;
  /** When its visibility was last set (received or extended), ms. */
  setAt: number;
}

/** String and Number message attributes as headers (binary ones have no text form). */
function headersOf(attributes: Record<string, MessageAttributeValue> | undefined): Readonly<Record<string, string>> {
  if (attributes === undefined) return EMPTY_HEADERS;
  let out: Record<string, string> | null = null;
  for (const name in attributes) {
    const value = attributes[name]?.StringValue;
    if (value !== undefined) (out ??= {})[name] = value;
  }
  return out ?? EMPTY_HEADERS;
}

/**
 * The `sqs-source`: long-polls a queue with at most `maxInFlight` messages unconfirmed, deletes a
 * message only once the flow confirmed it, hands unconfirmed ones back, and keeps in-flight ones
 * invisible with a heartbeat at half the queue's visibility timeout.
 *
 * @example
 * // config: { connection: 'queues', queue: 'orders', maxInFlight: 100, onFailure: 'visible-now' }
 */
export const sqsSourceNode = defineNode(sqsSourceManifest, (config, nodeCtx: NodeContext) => {
  const connection = sqsConnectionOf(nodeCtx, config.connection);
  const client = createSqsClient(connection, config.waitTimeSeconds);
  const codec = codecFor(config.codec);
  const { log, stats } = nodeCtx;

  let queueUrl = '';
  let visibilitySeconds = 30;
  let deleter: ReceiptDeleter | null = null;
  /** Received, not yet confirmed: by receipt handle. */
  const inFlight = new Map<string, InFlight>();
  /** Slots taken by receive requests on the wire (so concurrent receivers never exceed the cap). */
  let reserved = 0;
  /** Set while downstream is full: no receiver asks for more until it resolves. */
  let blocked: Promise<void> | null = null;
  let room: (() => void) | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let extending = false;

  const publish = () => stats.set('inFlight', inFlight.size);

  const waitForRoom = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      if (blocked) {
        await blocked;
        continue;
      }
      if (inFlight.size + reserved < config.maxInFlight) return;
      await new Promise<void>((resolve) => {
        room = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  };

  const freed = () => {
    const wake = room;
    room = null;
    wake?.();
  };

  /** Hands messages the flow did not confirm back to the queue, as *On failure* says. */
  const giveBack = async (handles: string[]): Promise<void> => {
    if (handles.length === 0) return;
    stats.add('returned', handles.length);
    if (config.onFailure === 'queue-timeout') return; // not extended any more: back when the timeout ends
    const seconds = config.onFailure === 'visible-now' ? 0 : config.retryDelaySeconds;
    const { failed, reason } = await changeVisibility(client, queueUrl, handles, seconds);
    if (failed.length > 0)
      log.warn(`${failed.length} message(s) will be visible again only after the visibility timeout: ${reason}`);
  };

  const settle = (handles: string[], ok: boolean) => {
    for (const handle of handles) inFlight.delete(handle);
    publish();
    freed();
    if (ok) deleter?.add(handles);
    else void giveBack(handles);
  };

  /** Extends the visibility of messages still in the flow before it runs out. */
  const extend = async () => {
    if (extending) return;
    extending = true;
    try {
      const due = Date.now() - (visibilitySeconds * 1000) / 2 + MIN_HEARTBEAT_MS;
      const handles = [...inFlight.values()].filter((m) => m.setAt <= due).map((m) => m.handle);
      if (handles.length === 0) return;
      const at = Date.now();
      const { failed, reason } = await changeVisibility(client, queueUrl, handles, visibilitySeconds);
      const failedSet = new Set(failed);
      let extended = 0;
      for (const handle of handles) {
        const m = inFlight.get(handle);
        // Confirmed (and deleted) meanwhile: a failure for it is expected and harmless.
        if (m === undefined) continue;
        if (failedSet.has(handle)) continue;
        m.setAt = at;
        extended++;
      }
      stats.add('extended', extended);
      const stillFailed = failed.filter((h) => inFlight.has(h)).length;
      if (stillFailed > 0) {
        stats.add('extendErrors', stillFailed);
        log.warn(`could not extend the visibility of ${stillFailed} message(s) (may be delivered twice): ${reason}`);
      }
    } finally {
      extending = false;
    }
  };

  const toMessage = (m: Message): { message: FlowMessage; error?: unknown } => {
    const attributes = m.Attributes ?? {};
    const meta = {
      messageId: m.MessageId,
      receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
      queue: queueUrl,
      attributes,
    };
    const base = {
      key: attributes.MessageGroupId ?? null,
      headers: headersOf(m.MessageAttributes),
      timestamp: Number(attributes.SentTimestamp) || Date.now(),
    };
    const body = m.Body ?? '';
    try {
      return { message: { ...base, value: codec.decode(body), meta } };
    } catch (error) {
      return { message: { ...base, value: body, meta }, error };
    }
  };

  const handleReceived = (ctx: SourceContext, messages: Message[]): void => {
    const now = Date.now();
    const good: FlowMessage[] = [];
    const goodHandles: string[] = [];
    const waits: Promise<void>[] = [];
    for (const m of messages) {
      if (!m.ReceiptHandle) continue;
      const handle = m.ReceiptHandle;
      inFlight.set(handle, { handle, setAt: now });
      const { message, error } = toMessage(m);
      if (error === undefined) {
        good.push(message);
        goodHandles.push(handle);
      } else if (config.undecodable === 'redrive') {
        log.warn(`message ${m.MessageId} handed back (undecodable): ${(error as Error).message}`);
        settle([handle], false);
      } else {
        const wait = ctx.emitError(
          error instanceof CodecError ? error : new CodecError((error as Error).message, 'E_DECODE'),
          message,
          (ok) => settle([handle], ok),
        );
        if (wait) waits.push(wait);
      }
    }
    publish();
    stats.add('received', messages.length);
    if (good.length > 0) {
      const wait = ctx.emit(good, (ok) => settle(goodHandles, ok));
      if (wait) waits.push(wait);
    }
    if (waits.length > 0 && !blocked) {
      blocked = Promise.all(waits).then(() => {
        blocked = null;
      });
    }
  };

  const receiveLoop = async (ctx: SourceContext): Promise<void> => {
    let failures = 0;
    while (!ctx.signal.aborted) {
      await waitForRoom(ctx.signal);
      if (ctx.signal.aborted) return;
      const want = Math.min(SQS_BATCH_LIMIT, config.maxInFlight - inFlight.size - reserved);
      if (want <= 0) continue;
      reserved += want;
      let messages: Message[];
      try {
        const answer = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: want,
            WaitTimeSeconds: config.waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: ctx.signal },
        );
        messages = answer.Messages ?? [];
        failures = 0;
      } catch (error) {
        if (ctx.signal.aborted) return;
        failures++;
        stats.add('receiveErrors');
        log.warn(`receive failed, trying again: ${describeSqsError(error)}`);
        if (!(await sleep(backoffDelay(failures, { initialMs: 250, maxMs: MAX_RECEIVE_PAUSE_MS }), ctx.signal))) return;
        continue;
      } finally {
        reserved -= want;
      }
      if (messages.length > 0) handleReceived(ctx, messages);
    }
  };

  return {
    kind: 'source',
    async run(ctx: SourceContext) {
      queueUrl = await resolveQueueUrl(client, config.queue, ctx.signal);
      const attributes = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }),
        { abortSignal: ctx.signal },
      );
      visibilitySeconds = Number(attributes.Attributes?.VisibilityTimeout ?? 30);
      deleter = new ReceiptDeleter(client, queueUrl, log, stats);
      if (visibilitySeconds > 0) {
        const every = Math.max(MIN_HEARTBEAT_MS, (visibilitySeconds * 1000) / 2 - MIN_HEARTBEAT_MS);
        heartbeat = setInterval(() => void extend(), Math.min(every, MIN_HEARTBEAT_MS * 2));
      }
      log.info(
        `receiving from ${queueUrl} (visibility timeout ${visibilitySeconds} s, at most ${config.maxInFlight} in flight)`,
      );
      await Promise.all(Array.from({ length: config.receivers }, () => receiveLoop(ctx)));
    },
    async close() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      // The engine has answered every emitted batch by now (ok: false for what it dropped); anything
      // left was received but never emitted (an aborted emit): give it back too.
      await giveBack([...inFlight.keys()]);
      inFlight.clear();
      if (deleter) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_DRAIN_MS)));
        await Promise.race([deleter.drain(), late]);
        clearTimeout(timer);
        if (deleter.pending > 0)
          log.warn(`${deleter.pending} confirmed message(s) not deleted before close: they will be delivered again`);
      }
      client.destroy();
    },
  };
});
