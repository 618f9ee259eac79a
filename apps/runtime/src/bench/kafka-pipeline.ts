/**
 * Kafka pipelines on a real broker, shared by the end-to-end test and `pnpm bench`:
 * kafka-source → function (value × 2) → kafka-sink run by the engine on each client library, the
 * same work as a hand-written consume → transform → produce loop on each library (at-least-once:
 * commit after produce), and Kafka's own Java performance tools on the same broker as the ceiling.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

function cpuMicrosPerMessage(since: NodeJS.CpuUsage, count: number): number {
  const used = process.cpuUsage(since);
  return Math.round(((used.user + used.system) / count) * 10) / 10;
}

/**
 * A full collection before each timed run. The hand-written and Tributary runs alternate in one
 * process: without it, a run pays for the garbage the run before it left in the old generation
 * (measured here: up to 40 % more CPU per message for the run after another).
 */
let gc: (() => void) | null = null;
function collectGarbage(): void {
  if (gc === null) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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

const kafkaToolsScript = fileURLToPath(new URL('../../../../scripts/kafka/kafka-tools.mjs', import.meta.url));

/** Runs one of Kafka's Java tools (scripts/kafka/kafka-tools.mjs); its standard output. */
function javaTool(tool: string, args: string[]): string {
  const result = spawnSync(process.execPath, [kafkaToolsScript, 'run', tool, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 300_000,
  });
  if (result.status !== 0)
    throw new Error(`${tool} failed (exit ${result.status}): ${`${result.stdout}${result.stderr}`.slice(-1500)}`);
  return result.stdout;
}

/**
 * The ceiling on this broker: Kafka's own ProducerPerformance (idempotent, acks all, records the
 * size of ours) into a fresh 6-partition topic, and ConsumerPerformance reading `input`.
 */
export async function runJavaTools(admin: Admin, input: string, count: number) {
  const topic = await createOutput(admin, 'bench-java-out');
  const produced = javaTool('ProducerPerformance', [
    '--bootstrap-server',
    BROKERS.join(','),
    '--topic',
    topic,
    '--num-records',
    String(count),
    '--record-size',
    '14',
    '--throughput',
    '-1',
    '--producer-props',
    'acks=all',
    'enable.idempotence=true',
  ]);
  // "200000 records sent, 98765.4 records/sec (1.32 MB/sec), …" is the summary line.
  // The last such line is the summary (the ones before are progress reports).
  const producedRate = Number([...produced.matchAll(/records sent, ([\d.]+) records\/sec/g)].at(-1)?.[1]);
  const consumed = javaTool('ConsumerPerformance', [
    '--bootstrap-server',
    BROKERS.join(','),
    '--topic',
    input,
    '--num-records',
    String(count),
    '--group',
    uniqueName('bench-java'),
    '--timeout',
    '30000',
  ]);
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, …
  const row = consumed
    .trim()
    .split('\n')
    .at(-1)!
    .split(',')
    .map((c) => c.trim());
  const consumedRate = Number(row[5]);
  if (!Number.isFinite(producedRate) || !Number.isFinite(consumedRate))
    throw new Error(`could not read the Java tools' figures:\n${produced}\n${consumed}`);
  return { producedRate: Math.round(producedRate), consumedRate: Math.round(consumedRate) };
}

/**
 * `pnpm bench` section: every pipeline on the same broker, same input, in the same run. Env:
 * KAFKA_BENCH_MESSAGES (200,000), KAFKA_BENCH_RUNS (7, alternated hand/Tributary), KAFKA_BENCH_WARMUP
 * (20,000; 0 = none), KAFKA_BENCH_JAVA=0 to skip the Java tools.
 */
export async function runKafkaBench(): Promise<Record<string, number | number[] | string>> {
  const count = Number(process.env.KAFKA_BENCH_MESSAGES ?? 200_000);
  const runs = Number(process.env.KAFKA_BENCH_RUNS ?? 7);
  const kafka = kafkaClient();
  const admin = await connectAdmin(kafka);
  try {
    // One input for every run (each run reads it with a new group), so all read warm pages.
    const input = uniqueName('bench-in');
    await seedTopic(kafka, admin, input, count);
    // The machine's load beside the figures: on a shared machine the ratios mean more than the rates.
    const results: Record<string, number | number[] | string> = {
      messages: count,
      load_1m_before: Math.round(loadavg()[0]! * 10) / 10,
    };
    const hand = {
      kafkajs: (from: string, out: string, n: number) => runHandWrittenLoop(kafka, from, out, n),
      platformatic: (from: string, out: string, n: number) => runPlatformaticHandLoop(from, out, n),
    };
    // One untimed run of each on a small topic first: the first run in a process also compiles
    // (JIT) its code paths, and Tributary has more of them than a hand loop; neither should pay it
    // in the figures.
    const warmup = Number(process.env.KAFKA_BENCH_WARMUP ?? 20_000);
    const warmInput = uniqueName('bench-warm-in');
    if (warmup > 0) await seedTopic(kafka, admin, warmInput, warmup);
    for (const client of ['kafkajs', 'platformatic'] as const) {
      if (warmup > 0) {
        await hand[client](warmInput, await createOutput(admin, 'bench-warm-out'), warmup);
        await runTributaryPipeline(warmInput, await createOutput(admin, 'bench-warm-out'), warmup, 120_000, client);
      }
      const handRuns: number[] = [];
      const ours: number[] = [];
      const handCpu: number[] = [];
      const oursCpu: number[] = [];
      // Alternated, so that a noisy neighbour on the machine hits both about equally.
      for (let i = 0; i < runs; i++) {
        const handOut = await createOutput(admin, 'bench-hand-out');
        collectGarbage();
        let cpu = process.cpuUsage();
        const h = await hand[client](input, handOut, count);
        handCpu.push(cpuMicrosPerMessage(cpu, count));
        handRuns.push(Math.round(count / h.seconds));
        const tribOut = await createOutput(admin, 'bench-trib-out');
        collectGarbage();
        cpu = process.cpuUsage();
        const t = await runTributaryPipeline(input, tribOut, count, 120_000, client);
        oursCpu.push(cpuMicrosPerMessage(cpu, count));
        ours.push(Math.round(count / t.seconds));
      }
      const handRate = medianOf(handRuns);
      const oursRate = medianOf(ours);
      results[`${client}_hand_written_msgs_per_s`] = handRate;
      results[`${client}_tributary_msgs_per_s`] = oursRate;
      results[`${client}_tributary_vs_hand_written_pct`] = Math.round((oursRate / handRate) * 1000) / 10;
      // Each run against the hand-written run beside it: how far one set of runs can say.
      const paired = ours.map((rate, i) => Math.round((rate / handRuns[i]!) * 100));
      results[`${client}_paired_pct_range`] = [Math.min(...paired), Math.max(...paired)];
      results[`${client}_hand_written_runs`] = handRuns;
      results[`${client}_tributary_runs`] = ours;
      // CPU time of this process per message (all its threads, connect and group join included):
      // steadier than the rates when the broker, on the same machine, competes for the cores.
      results[`${client}_hand_written_cpu_us_per_msg`] = medianOf(handCpu);
      results[`${client}_tributary_cpu_us_per_msg`] = medianOf(oursCpu);
    }
    if (process.env.KAFKA_BENCH_JAVA !== '0') {
      const java = await runJavaTools(admin, input, count);
      // A consume → produce pipeline cannot beat the slower of the two halves.
      const ceiling = Math.min(java.producedRate, java.consumedRate);
      results.java_producer_perf_msgs_per_s = java.producedRate;
      results.java_consumer_perf_msgs_per_s = java.consumedRate;
      results.java_ceiling_msgs_per_s = ceiling;
      for (const client of ['kafkajs', 'platformatic'])
        results[`${client}_tributary_vs_java_pct`] =
          Math.round(((results[`${client}_tributary_msgs_per_s`] as number) / ceiling) * 1000) / 10;
    }
    results.load_1m_after = Math.round(loadavg()[0]! * 10) / 10;
    // Kept for the README table and older readers of the JSON: the default client's figures.
    results.hand_written_msgs_per_s = results.platformatic_hand_written_msgs_per_s!;
    results.tributary_msgs_per_s = results.platformatic_tributary_msgs_per_s!;
    results.tributary_vs_hand_written_pct = results.platformatic_tributary_vs_hand_written_pct!;
    results.hand_written_runs = results.platformatic_hand_written_runs!;
    results.tributary_runs = results.platformatic_tributary_runs!;
    return results;
  } finally {
    await admin.disconnect();
  }
}
