import { createHash } from 'node:crypto';
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { backoffDelay, defineNode, sleep, type FlowMessage, type NodeContext, type Output } from '@tributary/shared';
import { createSqsClient, describeSqsError, resolveQueueUrl, sqsConnectionOf } from '../connections/sqs-client.js';
import { SQS_BATCH_LIMIT } from '../connections/sqs-receipts.js';
import { codecFor, CodecError } from '../lib/codecs.js';
import { sqsSinkManifest } from './manifest.js';

/** SQS's limit for one message and for a whole batch request (bytes of body and attributes). */
const MAX_BYTES = 256 * 1024;
const MAX_ATTRIBUTES = 10;
/** A batch whose entries keep failing for a passing reason fails (to the error port) after this. */
const MAX_ATTEMPTS = 8;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const RETRY_BACKOFF = { initialMs: 100, maxMs: 5000 };

/** An entry SQS refused for good, or one we cannot send at all. */
class SqsSendError extends Error {
  constructor(
    message: string,
    readonly code = 'E_SQS_SEND',
  ) {
    super(message);
    this.name = 'SqsSendError';
  }
}

/**
 * A deduplication id that is the same every time the same message is sent again: from where it came
 * from (an SQS message id, a Kafka record position), else from its key and body.
 */
export function deduplicationId(message: FlowMessage, body: string): string {
  const meta = message.meta;
  const origin =
    typeof meta.messageId === 'string'
      ? `sqs:${meta.messageId}`
      : meta.topic !== undefined && meta.partition !== undefined && meta.offset !== undefined
        ? `kafka:${meta.topic}:${meta.partition}:${meta.offset}`
        : `body:${message.key ?? ''}:${body}`;
  return createHash('sha256').update(origin).digest('hex');
}

interface Entry {
  readonly message: FlowMessage;
  readonly request: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

/**
 * The `sqs-sink`: SendMessageBatch in requests of ≤ 10 entries and ≤ 256 KiB, retrying only failed
 * entries; FIFO group and deduplication ids derived from the message.
 *
 * @example
 * // config: { connection: 'queues', queue: 'orders.fifo', codec: 'json' }
 */
export const sqsSinkNode = defineNode(sqsSinkManifest, (config, nodeCtx: NodeContext) => {
  const connection = sqsConnectionOf(nodeCtx, config.connection);
  const client = createSqsClient(connection);
  const codec = codecFor(config.codec);
  const { log, stats } = nodeCtx;
  let ready: Promise<{ url: string; fifo: boolean }> | null = null;

  const queue = () =>
    (ready ??= (async () => {
      const url = await resolveQueueUrl(client, config.queue, nodeCtx.signal);
      let fifo = url.endsWith('.fifo');
      try {
        const answer = await client.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['FifoQueue'] }),
        );
        fifo = answer.Attributes?.FifoQueue === 'true';
      } catch (error) {
        log.warn(
          `could not read the queue's attributes (assuming ${fifo ? 'FIFO' : 'standard'}): ${describeSqsError(error)}`,
        );
      }
      return { url, fifo };
    })().catch((error: unknown) => {
      ready = null; // try again with the next batch
      throw error;
    }));

  const bodyOf = (message: FlowMessage): string => {
    const encoded = codec.encode(message.value);
    if (encoded === null) throw new CodecError('an SQS message needs a body: the value is null', 'E_ENCODE');
    if (typeof encoded === 'string') return encoded;
    try {
      return utf8.decode(encoded);
    } catch {
      throw new CodecError('an SQS body is text: these bytes are not valid UTF-8', 'E_ENCODE');
    }
  };

  const entryOf = (message: FlowMessage, id: number, fifo: boolean): Entry => {
    const body = bodyOf(message);
    if (body.length === 0) throw new SqsSendError('an SQS message needs a body: the value is empty', 'E_ENCODE');
    let bytes = Buffer.byteLength(body);
    const request: SendMessageBatchRequestEntry = { Id: String(id), MessageBody: body };
    if (config.headers) {
      const names = Object.keys(message.headers);
      if (names.length > MAX_ATTRIBUTES)
        throw new SqsSendError(
          `SQS takes at most ${MAX_ATTRIBUTES} message attributes; this message has ${names.length} headers`,
        );
      if (names.length > 0) {
        request.MessageAttributes = {};
        for (const name of names) {
          const value = message.headers[name]!;
          request.MessageAttributes[name] = { DataType: 'String', StringValue: value };
          bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 6;
        }
      }
    }
    if (bytes > MAX_BYTES) throw new SqsSendError(`message of ${bytes} bytes is over SQS's limit of ${MAX_BYTES}`);
    if (fifo) {
      request.MessageGroupId = message.key ?? config.groupId;
      request.MessageDeduplicationId = deduplicationId(message, body);
    } else if (config.delaySeconds !== undefined) request.DelaySeconds = config.delaySeconds;
    return { message, request, bytes };
  };

  /** Sends one request's worth of entries until all are in, or a failure is final. */
  const sendChunk = async (url: string, chunk: Entry[], out: Output): Promise<void> => {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let retry: Entry[] = [];
      let reason = '';
      try {
        const answer = await client.send(
          new SendMessageBatchCommand({ QueueUrl: url, Entries: pending.map((e) => e.request) }),
        );
        const byId = new Map(pending.map((e) => [e.request.Id, e]));
        stats.add('sent', answer.Successful?.length ?? 0);
        for (const failure of answer.Failed ?? []) {
          const entry = byId.get(failure.Id);
          if (entry === undefined) continue;
          reason = `${failure.Code}: ${failure.Message ?? ''}`;
          if (failure.SenderFault) {
            stats.add('rejected');
            out.error(new SqsSendError(`SQS rejected the message: ${reason}`), entry.message);
          } else retry.push(entry);
        }
      } catch (error) {
        retry = pending;
        reason = describeSqsError(error);
      }
      if (retry.length === 0) return;
      if (attempt >= MAX_ATTEMPTS)
        throw new SqsSendError(`${retry.length} message(s) not accepted after ${attempt} attempts: ${reason}`);
      stats.add('retries', retry.length);
      log.warn(`${retry.length} message(s) not accepted, sending them again: ${reason}`);
      await sleep(backoffDelay(attempt, RETRY_BACKOFF));
      pending = retry;
    }
  };

  return {
    kind: 'processor',
    async process(batch, out) {
      const { url, fifo } = await queue();
      const chunks: Entry[][] = [];
      let chunk: Entry[] = [];
      let chunkBytes = 0;
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!;
        let entry: Entry;
        try {
          entry = entryOf(message, i, fifo);
        } catch (error) {
          out.error(error, message);
          continue;
        }
        if (chunk.length === SQS_BATCH_LIMIT || chunkBytes + entry.bytes > MAX_BYTES) {
          chunks.push(chunk);
          chunk = [];
          chunkBytes = 0;
        }
        chunk.push(entry);
        chunkBytes += entry.bytes;
      }
      if (chunk.length > 0) chunks.push(chunk);
      if (fifo) {
        // One after another: a FIFO group's order is the order of the requests.
        for (const c of chunks) await sendChunk(url, c, out);
        return;
      }
      let next = 0;
      const worker = async () => {
        while (next < chunks.length) await sendChunk(url, chunks[next++]!, out);
      };
      await Promise.all(Array.from({ length: Math.min(config.parallel, chunks.length) }, worker));
    },
    close() {
      client.destroy();
    },
  };
});
