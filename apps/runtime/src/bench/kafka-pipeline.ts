/**
 * Kafka pipelines on a real broker, shared by the end-to-end test and `pnpm bench` (kafka-bench.ts):
 * kafka-source → function (value × 2) → kafka-sink run by the engine on each client library, and the
 * same work as a hand-written consume → transform → produce loop on each library (at-least-once:
 * commit after produce).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compatibilityPartitioner,
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
  type Message,
} from '@platformatic/kafka';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from '../engine/index.js';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function kafkaClient(clientId = 'tributary-bench'): Kafka {
  return new Kafka({ brokers: BROKERS, clientId, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

/** Connects an admin client, or fails with what to do about a missing broker. */
export async function connectAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return admin;
  } catch (error) {
    throw new Error(
      `no Kafka broker answers on ${BROKERS.join(',')}: start one with \`pnpm kafka start\` or set KAFKA_BROKERS (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Creates a topic and fills it with `count` JSON messages `{ n }` (keys spread over partitions). */
export async function seedTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  count: number,
  partitions = 6,
): Promise<void> {
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const chunk = 5_000;
  for (let i = 0; i < count; i += chunk) {
    const messages = [];
    for (let n = i; n < Math.min(count, i + chunk); n++)
      messages.push({ key: `k${n % 64}`, value: JSON.stringify({ n }) });
    await producer.send({ topic, messages, compression: CompressionTypes.None });
  }
  await producer.disconnect();
}

/**
 * A fresh output topic of 6 partitions, for every pipeline and the Java tool, made before the
 * clock starts: left to auto-creation, the broker makes it with 1 partition and the first send
 * waits ~1 s for it, which rewarded a loop that transforms a whole fetch before its first send
 * (measured here: the hand-written loops did, and the ratio moved with that wait, not with the
 * pipelines).
 */
export async function createOutput(admin: Admin, prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  return topic;
}

/** Sum of the topic's high watermarks: how many messages it holds. */
export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** The Kafka client library a flow's connection names: `KAFKA_CLIENT`, else the default. */
export type ClientChoice = 'kafkajs' | 'platformatic' | undefined;
const envClient = () => process.env.KAFKA_CLIENT as ClientChoice;

export function pipelineFlow(
  input: string,
  output: string,
  groupId: string,
  code = 'return { value: { n: msg.value.n * 2 } };',
  client: ClientChoice = envClient(),
): FlowDocument {
  return {
    schemaVersion: 1,
    id: 'kafka-pipeline',
    name: 'Kafka pipeline',
    connections: [
      { id: 'local', type: 'kafka', config: { brokers: BROKERS, ...(client === undefined ? {} : { client }) } },
    ],
    nodes: [
      {
        id: 'in',
        type: 'kafka-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: { connection: 'local', topics: [input], groupId, startFrom: 'earliest' },
      },
      { id: 'double', type: 'function', typeVersion: 1, position: { x: 200, y: 0 }, config: { code } },
      {
        id: 'out',
        type: 'kafka-sink',
        typeVersion: 1,
        position: { x: 400, y: 0 },
        // The time of writing, as the hand-written loops get (their records carry no timestamp):
        // the same work. Stamping each record with its message's time costs 3–4 µs more per message
        // on either client (measured here).
        config: { connection: 'local', topic: output, timestamp: 'write' },
      },
    ],
    edges: [
      { id: 'in->double', source: 'in', sourcePort: 'out', target: 'double', targetPort: 'in' },
      { id: 'double->out', source: 'double', sourcePort: 'out', target: 'out', targetPort: 'in' },
    ],
  };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the Tributary pipeline until the sink confirmed `count` messages; returns seconds taken. */
export async function runTributaryPipeline(
  input: string,
  output: string,
  count: number,
  timeoutMs = 120_000,
  client: ClientChoice = envClient(),
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-kafka-'));
  const started = performance.now();
  const run = await startFlow(pipelineFlow(input, output, uniqueName('g'), undefined, client), {
    registry: createNodeRegistry(),
    dataDir,
  });
  try {
    await waitFor('the sink to confirm every message', () => (run.stats().nodes.out?.in ?? 0) >= count, timeoutMs);
    const seconds = (performance.now() - started) / 1000;
    const stats = run.stats();
    return { seconds, stats };
  } finally {
    await run.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Records per produce request in the hand-written loop. kafkajs encodes one big request in
 * super-linear time (measured here: a 16,667-record send took ~1.5 s, the same records in
 * 1,000-record sends ~0.1 s), so a developer who measures splits the sends; the baseline does too,
 * so that it is the strongest simple loop and not a strawman.
 */
export const HAND_WRITTEN_SEND_CHUNK = 1000;

/**
 * The hand-written baseline: what people write today with kafkajs, with the same guarantees as
 * the flow (idempotent producer, acks all, commit only after the broker acknowledged). Timed like
 * the flow, from before the clients connect until the last record is acknowledged.
 */
export async function runHandWrittenLoop(
  kafka: Kafka,
  input: string,
  output: string,
  count: number,
  timeoutMs = 120_000,
) {
  const started = performance.now();
  const consumer = kafka.consumer({ groupId: uniqueName('hand') });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  let done = 0;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const messages = batch.messages.map((m) => ({
        key: m.key,
        value: JSON.stringify({ n: (JSON.parse(m.value!.toString()) as { n: number }).n * 2 }),
      }));
      for (let i = 0; i < messages.length; i += HAND_WRITTEN_SEND_CHUNK) {
        await producer.send({ topic: output, messages: messages.slice(i, i + HAND_WRITTEN_SEND_CHUNK), acks: -1 });
        await heartbeat();
      }
      const last = batch.messages[batch.messages.length - 1]!;
      resolveOffset(last.offset);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
      ]);
      done += batch.messages.length;
    },
  });
  try {
    await waitFor('the hand-written loop', () => done >= count, timeoutMs);
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/**
 * The same hand-written loop on `@platformatic/kafka`: its consumer stream, the records of one
 * fetch transformed and sent as one idempotent produce (acks all), then their offsets committed.
 */
export async function runPlatformaticHandLoop(input: string, output: string, count: number, timeoutMs = 120_000) {
  const started = performance.now();
  const base = { clientId: 'tributary-bench-hand', bootstrapBrokers: BROKERS };
  const consumer = new PlatformaticConsumer({
    ...base,
    groupId: uniqueName('hand'),
    autocommit: false,
    maxWaitTime: 1000,
  });
  const producer = new PlatformaticProducer({
    ...base,
    idempotent: true,
    acks: -1,
    partitioner: compatibilityPartitioner,
    autocreateTopics: true,
  });
  const stream = await consumer.consume({ topics: [input], mode: 'earliest', autocommit: false });
  let done = 0;
  let pending: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
  let failure: unknown = null;
  let busy = false;
  const flush = async () => {
    busy = true;
    stream.pause();
    try {
      while (pending.length > 0) {
        const records = pending;
        pending = [];
        const messages = records.map((m) => ({
          topic: output,
          key: m.key,
          value: Buffer.from(JSON.stringify({ n: (JSON.parse(m.value.toString()) as { n: number }).n * 2 })),
        }));
        // One request per slice: the client does not split a request the broker would refuse (1 MB).
        for (let i = 0; i < messages.length; i += HAND_WRITTEN_SEND_CHUNK)
          await producer.send({ messages: messages.slice(i, i + HAND_WRITTEN_SEND_CHUNK) });
        const ends = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>();
        for (const m of records)
          ends.set(`${m.partition}`, {
            topic: m.topic,
            partition: m.partition,
            offset: m.offset + 1n,
            leaderEpoch: -1,
          });
        await consumer.commit({ offsets: [...ends.values()] });
        done += records.length;
      }
    } catch (error) {
      failure = error;
    } finally {
      busy = false;
      stream.resume();
    }
  };
  stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
    pending.push(m);
    // The records of one fetch arrive together: send them as one batch after the last.
    if (!busy && pending.length === 1) queueMicrotask(() => void flush());
  });
  try {
    await waitFor('the hand-written platformatic loop', () => failure !== null || done >= count, timeoutMs);
    if (failure !== null) throw new Error('the hand-written platformatic loop failed', { cause: failure });
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    await stream.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);
    await producer.close().catch(() => undefined);
  }
}
