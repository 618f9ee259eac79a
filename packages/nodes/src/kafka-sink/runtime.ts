import { backoffDelay, defineNode, EMPTY_HEADERS, sleep, type FlowMessage } from '@tributary/shared';
import { codecFromSettings, isAsyncCodec } from '../lib/avro-codec.js';
import { createKafkaClient, describeKafkaError, kafkaConnectionOf } from '../connections/kafka-client.js';
import type { ProducedRecord } from '../connections/kafka-port.js';
import { CodecError } from '../lib/codecs.js';
import { kafkaSinkManifest } from './manifest.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const ACKS = { all: -1, '1': 1, '0': 0 } as const;

/** A message the sink cannot turn into a record (its topic); it goes to the error port. */
export class KafkaEncodeError extends Error {
  readonly code = 'E_ENCODE';

  constructor(message: string) {
    super(message);
    this.name = 'KafkaEncodeError';
  }
}

function fieldAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Without a key list per message (most carry the shared empty headers). */
function hasHeaders(headers: FlowMessage['headers']): boolean {
  if (headers === EMPTY_HEADERS) return false;
  for (const _ in headers) return true;
  return false;
}

/** Pauses between send attempts after a transient failure (the shared backoff rule). */
const SEND_RETRY = { initialMs: 250, maxMs: 5000 } as const;

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
  const stampMessageTime = config.timestamp === 'message';
  // With a registry, subjects are named after the configured topic (not a routed one).
  const codec = codecFromSettings(ctx, config.codec, config.avro, { topic: config.topic });
  const producer = kafka.producer({
    idempotent: config.idempotent,
    acks: ACKS[config.acks],
    gzip: config.compression === 'gzip',
  });
  try {
    await producer.connect();
  } catch (error) {
    throw new Error(describeKafkaError(error, connection), { cause: error });
  }
  let inFlight = 0;
  let closed = false;
  /** Ends a pause between send attempts when the node closes. */
  const closing = new AbortController();
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
      const byTopic = new Map<string, ProducedRecord[]>();
      let count = 0;
      for (const message of batch) {
        let topic: string;
        let value: string | Buffer | null;
        try {
          topic = topicOf(message);
          value = isAsyncCodec(codec) ? await codec.encode(message.value) : codec.encode(message.value);
        } catch (error) {
          // A registry that is down or refuses us is not this message's fault: fail the batch.
          if (isAsyncCodec(codec) && !(error instanceof CodecError)) throw error;
          out.error(error, message);
          stats.add('errors');
          continue;
        }
        // Fields set one by one: no temporary objects per message on the hot path.
        const record: Mutable<ProducedRecord> = { key: message.key, value };
        if (config.headers && hasHeaders(message.headers)) record.headers = message.headers;
        if (config.partition !== undefined) record.partition = config.partition;
        // Left out, the client stamps the time of sending.
        if (stampMessageTime && Number.isFinite(message.timestamp)) record.timestamp = Math.trunc(message.timestamp);
        let list = byTopic.get(topic);
        if (list === undefined) byTopic.set(topic, (list = []));
        list.push(record);
        count++;
      }
      if (count === 0) return;
      inFlight += count;
      stats.set('inFlight', inFlight);
      const deadline = config.deliveryTimeoutMs === 0 ? Infinity : Date.now() + config.deliveryTimeoutMs;
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            await producer.send(byTopic);
            break;
          } catch (error) {
            // Transient (broker away, leader moving): hold the batch — backpressure stops the
            // sources — and try again, rather than confirm records that were never written.
            const pause = backoffDelay(attempt, SEND_RETRY);
            // A stopping flow keeps trying too: its drain timeout leaves the batch unconfirmed
            // (read again next time), where giving up would send it to the error port.
            if (!producer.isTransient(error) || closed || Date.now() + pause > deadline) throw error;
            stats.add('retries');
            if (attempt === 0 || attempt % 10 === 0)
              ctx.log.warn(`send failed, retrying (attempt ${attempt + 1}): ${describeKafkaError(error, connection)}`);
            if (!(await sleep(pause, closing.signal))) throw error;
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
      closing.abort();
      await producer.close();
    },
  };
});
