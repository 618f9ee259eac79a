/**
 * Test helpers for the Kafka nodes: the real broker from `pnpm kafka start` (scripts/kafka), on
 * `KAFKA_BROKERS` (default 127.0.0.1:9092). Node-only; used by the kafka-*.test.ts files.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Message } from 'kafkajs';

export const TEST_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

/** The connection id tests use, and its resolved config as `ctx.connection` returns it. */
export const TEST_CONNECTION = 'kafka';
/**
 * The client library the Kafka node tests run with: `KAFKA_CLIENT` (the vitest config runs the
 * Kafka tests once per library), else the connection's default.
 */
export const TEST_CLIENT = process.env.KAFKA_CLIENT;
export const testConnections = {
  [TEST_CONNECTION]: {
    brokers: TEST_BROKERS,
    clientId: 'tributary-test',
    ...(TEST_CLIENT === undefined ? {} : { client: TEST_CLIENT }),
  },
};

const kafka = new Kafka({
  brokers: TEST_BROKERS,
  clientId: 'tributary-test-helper',
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  retry: { retries: 2, initialRetryTime: 100 },
});

let admin: Admin | null = null;

/**
 * Connects the helper's admin client, or throws the error a developer needs: how to start the
 * broker. Tests call it in `beforeAll`, so a missing broker fails them (never skips them).
 */
export async function requireBroker(): Promise<Admin> {
  if (admin) return admin;
  const client = kafka.admin();
  try {
    await client.connect();
    await client.describeCluster();
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    throw new Error(
      `No Kafka broker answers on ${TEST_BROKERS.join(', ')} (${(error as Error).message}). ` +
        'Start the local test broker with `pnpm kafka start` (from the repository root), or point KAFKA_BROKERS at one.',
      { cause: error },
    );
  }
  admin = client;
  return client;
}

export async function closeBrokerHelpers(): Promise<void> {
  const client = admin;
  admin = null;
  await client?.disconnect();
}

/** A topic (or group) name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createTopic(topic: string, partitions = 1): Promise<void> {
  const client = await requireBroker();
  await client.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

/** Writes records with a plain producer (acks all), not through the sink under test. */
export async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** The group's committed offset per partition (-1: none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, number>> {
  const client = await requireBroker();
  const [result] = await client.fetchOffsets({ groupId, topics: [topic] });
  const out: Record<number, number> = {};
  for (const p of result?.partitions ?? []) out[p.partition] = Number(p.offset);
  return out;
}

/** The end offset (high watermark) per partition. */
export async function endOffsets(topic: string): Promise<Record<number, number>> {
  const client = await requireBroker();
  const out: Record<number, number> = {};
  for (const p of await client.fetchTopicOffsets(topic)) out[p.partition] = Number(p.high);
  return out;
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: number;
}

/** Reads every record of a topic from the start with a throwaway consumer, until `count` arrived. */
export async function readAll(topic: string, count: number): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      if (count === 0) resolve();
      consumer
        .run({
          eachMessage: ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {}))
              if (value !== undefined) headers[name] = String(Array.isArray(value) ? value[0] : value);
            records.push({
              partition,
              offset: Number(message.offset),
              key: message.key?.toString('utf8') ?? null,
              value: message.value,
              headers,
              timestamp: Number(message.timestamp),
            });
            if (records.length >= count) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Polls `check` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
