import { defineNode, type FlowMessage } from '@tributary/shared';
import { CompressionTypes, Partitioners, type Message } from 'kafkajs';
import { createKafkaClient, describeKafkaError, kafkaConnectionOf } from '../connections/kafka-client.js';
import { kafkaSinkManifest } from './manifest.js';

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const ACKS = { all: -1, '1': 1, '0': 0 } as const;

export type KafkaSinkCodec = 'json' | 'string' | 'bytes';

/** A message the sink cannot turn into a record (value, or topic); it goes to the error port. */
export class KafkaEncodeError extends Error {
  readonly code = 'E_ENCODE';

  constructor(message: string) {
    super(message);
    this.name = 'KafkaEncodeError';
  }
}

/**
 * A message value as record bytes (or text) for the codec; null and undefined become a null value
 * (a tombstone). Throws KafkaEncodeError.
 *
 * @example
 * encodeValue({ a: 1 }, 'json') // '{"a":1}'
 * encodeValue(42, 'string')     // '42'
 */
export function encodeValue(value: unknown, codec: KafkaSinkCodec): string | Buffer | null {
  if (value === null || value === undefined) return null;
  switch (codec) {
    case 'json': {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (error) {
        throw new KafkaEncodeError(`value cannot be written as JSON: ${(error as Error).message}`);
      }
      if (text === undefined) throw new KafkaEncodeError(`value cannot be written as JSON (a ${typeof value})`);
      return text;
    }
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
      throw new KafkaEncodeError(`codec "string" needs a text value, got ${describe(value)}: use codec "json"`);
    case 'bytes':
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      throw new KafkaEncodeError(`codec "bytes" needs a Buffer or a string, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fieldAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

const MAX_RETRY_PAUSE_MS = 5000;

/** kafkajs marks errors that may pass when tried again; a retry budget it used up wraps one. */
function isTransient(error: unknown): boolean {
  for (let e = error as { retriable?: unknown; name?: unknown; cause?: unknown } | undefined; e;) {
    if (e.retriable === true) return true;
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError') return true;
    e = e.cause as typeof e;
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The `kafka-sink`: one idempotent producer per node; `process` sends the batch (grouped by topic)
 * and resolves once the brokers acknowledged it, which is when the engine confirms the messages
 * upstream (and a Kafka source may commit them).
 *
 * @example
 * // config: { connection: 'local-kafka', topic: 'orders-enriched' }
 * // config: { connection: 'local-kafka', topic: 'unrouted', topicField: 'target.topic', codec: 'string' }
 */
export const kafkaSinkNode = defineNode(kafkaSinkManifest, async (config, ctx) => {
  const connection = kafkaConnectionOf(ctx, config.connection);
  const kafka = createKafkaClient(connection, ctx, 'sink');
  const stats = ctx.stats;
  const topicPath = config.topicField?.split('.') ?? null;
  const acks = ACKS[config.acks];
  const compression = config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const producer = kafka.producer({
    idempotent: config.idempotent,
    // The Java client's partitioner (murmur2 of the key): the same key lands on the same partition
    // as with other Kafka clients.
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
  });
  try {
    await producer.connect();
  } catch (error) {
    throw new Error(describeKafkaError(error, connection), { cause: error });
  }
  let inFlight = 0;
  let closed = false;
  stats.set('inFlight', 0);

  const topicOf = (message: FlowMessage): string => {
    let chosen: unknown;
    if (config.topicHeader !== undefined) chosen = message.headers[config.topicHeader];
    if ((chosen === undefined || chosen === '') && topicPath !== null) chosen = fieldAt(message.value, topicPath);
    if (chosen === undefined || chosen === null || chosen === '') return config.topic;
    if (typeof chosen !== 'string' || !TOPIC.test(chosen))
      throw new KafkaEncodeError(`${JSON.stringify(chosen)} is not a valid topic name (from the message)`);
    return chosen;
  };

  return {
    kind: 'processor',
    async process(batch, out): Promise<void> {
      const byTopic = new Map<string, Message[]>();
      let count = 0;
      for (const message of batch) {
        let topic: string;
        let record: Message;
        try {
          topic = topicOf(message);
          record = { key: message.key, value: encodeValue(message.value, config.codec) };
        } catch (error) {
          out.error(error, message);
          stats.add('errors');
          continue;
        }
        if (config.headers && Object.keys(message.headers).length > 0) record.headers = { ...message.headers };
        if (config.partition !== undefined) record.partition = config.partition;
        if (Number.isFinite(message.timestamp)) record.timestamp = String(Math.trunc(message.timestamp));
        let list = byTopic.get(topic);
        if (list === undefined) byTopic.set(topic, (list = []));
        list.push(record);
        count++;
      }
      if (count === 0) return;
      inFlight += count;
      stats.set('inFlight', inFlight);
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      const deadline = config.deliveryTimeoutMs === 0 ? Infinity : Date.now() + config.deliveryTimeoutMs;
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            await producer.sendBatch({ topicMessages, acks, compression });
            break;
          } catch (error) {
            // Transient (broker away, leader moving): hold the batch — backpressure stops the
            // sources — and try again, rather than confirm records that were never written.
            const pause = Math.min(MAX_RETRY_PAUSE_MS, 250 * 2 ** Math.min(attempt, 6));
            // A stopping flow keeps trying too: its drain timeout leaves the batch unconfirmed
            // (read again next time), where giving up would send it to the error port.
            if (!isTransient(error) || closed || Date.now() + pause > deadline) throw error;
            stats.add('retries');
            if (attempt === 0 || attempt % 10 === 0)
              ctx.log.warn(`send failed, retrying (attempt ${attempt + 1}): ${describeKafkaError(error, connection)}`);
            await sleep(pause);
          }
        }
        stats.add('acknowledged', count);
      } catch (error) {
        stats.add('errors', count);
        // The engine sends the whole batch to the error port (nothing of it is confirmed as written).
        throw Object.assign(new Error(describeKafkaError(error, connection), { cause: error }), {
          code: 'E_KAFKA_SEND',
        });
      } finally {
        inFlight -= count;
        stats.set('inFlight', inFlight);
      }
    },
    async close(): Promise<void> {
      closed = true;
      await producer.disconnect();
    },
  };
});
