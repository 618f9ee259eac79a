/**
 * A broker restart in the middle of a stream, on a broker of this test's own (the project's
 * `scripts/kafka` on another port), so that stopping it disturbs no other test. Needs the JDK and
 * the cached Kafka jars that `pnpm kafka start` fetches.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka } from 'kafkajs';
import type { FlowDocument } from '@tributary/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kafkaClientSetting,
  Collector,
  deliveryFlow,
  idCounts,
  kafkaFor,
  RuntimeProcess,
  SteadyProducer,
  delay,
  waitUntil,
} from '../testing/kafka-harness.js';

const script = fileURLToPath(new URL('../../../../scripts/kafka/kafka.mjs', import.meta.url));
const PORT = Number(process.env.KAFKA_RESTART_TEST_PORT ?? 19392);
const BROKERS = [`127.0.0.1:${PORT}`];
const OUTAGE_MS = 20_000;

/** `fresh` drops the data of an earlier run; a restart keeps it, as a real one would. */
function broker(command: 'start' | 'stop', fresh = false): void {
  const args = [script, command, '--port', String(PORT), ...(fresh ? ['--fresh'] : [])];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0)
    throw new Error(`kafka.mjs ${command} --port ${PORT} failed (${result.status}): ${result.stderr}${result.stdout}`);
}

let kafka: Kafka;
let admin: Admin;

beforeAll(() => {
  broker('start', true);
  kafka = kafkaFor(BROKERS, 'restart-test');
  admin = kafka.admin();
  return admin.connect();
}, 200_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  broker('stop');
}, 60_000);

/** sequence (count numbers, 250/s) → kafka-sink: a flow that writes whether or not the broker is there. */
function numbersToKafka(count: number, topic: string): FlowDocument {
  return {
    schemaVersion: 1,
    id: 'numbers-to-kafka',
    name: 'Numbers to Kafka',
    connections: [{ id: 'broker', type: 'kafka', config: { brokers: BROKERS, ...kafkaClientSetting() } }],
    nodes: [
      { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { count, rate: 250 } },
      {
        id: 'out',
        type: 'kafka-sink',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: { connection: 'broker', topic, codec: 'string' },
      },
    ],
    edges: [{ id: 'numbers->out', source: 'numbers', sourcePort: 'out', target: 'out', targetPort: 'in' }],
  };
}

describe('broker restart mid-stream', () => {
  it('the flows ride out the outage on their own and lose nothing', async () => {
    const count = 6_000;
    const [input, output, groupId] = ['restart-in', 'restart-out', 'restart-group'];
    await admin.createTopics({
      topics: [input, output].map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
    const flow = new RuntimeProcess(deliveryFlow({ brokers: BROKERS, input, output, groupId, worker: 'A' }));
    // A producer-only flow (the source does not need the broker): its sink has sends under way
    // when the broker goes, and must hold them through the outage rather than drop them.
    const numbers = 4_000;
    const writer = new RuntimeProcess(numbersToKafka(numbers, 'restart-numbers'));
    try {
      await waitUntil(
        'the flow to own the partitions',
        () => flow.partitions === 3,
        60_000,
        () => flow.log,
      );
      const producer = new SteadyProducer(kafka, input, count, 1000);
      await waitUntil(
        'the writer to be writing',
        () => Number(writer.latest?.nodes.out?.custom.acknowledged ?? 0) > 0,
        60_000,
        () => writer.log,
      );
      let out = await Collector.start(kafka, admin, output);
      await waitUntil(
        'a quarter of the messages through',
        () => out.records.length >= count / 4,
        60_000,
        () => flow.log,
      );

      await out.close();
      broker('stop');
      const before = out.records.length;
      // Longer than kafkajs's own retries last (~10 s): the nodes' recovery must do the rest.
      await delay(OUTAGE_MS);
      broker('start');

      await producer.done;
      // The flow was never restarted by hand: it must still be running, and catch up.
      expect(flow.child.exitCode, flow.log).toBe(null);
      out = await Collector.start(kafka, admin, output);
      await waitUntil(
        'every message in the output after the restart',
        () => idCounts(out.records).size === count,
        180_000,
        () => `${idCounts(out.records).size} of ${count}; runtime: ${flow.log}`,
      );
      const counts = idCounts(out.records);
      for (let id = 0; id < count; id++) expect(counts.has(id)).toBe(true);
      const retries = flow.latest?.nodes.out?.custom.retries ?? 0;
      console.info(
        `broker restart: ${before} through before the stop, ${count} in, ${out.records.length} out (${out.records.length - count} duplicates), a ${OUTAGE_MS / 1000} s outage, sink retries ${JSON.stringify(retries)}`,
      );
      expect(await flow.stop()).toBe(0);
      await out.close();

      // The writer: every number in the topic, and its sink went through its own retries.
      expect(await writer.exited).toBe(0);
      const written = await Collector.start(kafka, admin, 'restart-numbers', false);
      await written.caughtUp();
      const seen = new Set(written.raw.map((r) => Number(r.value)));
      for (let n = 0; n < numbers; n++) expect(seen.has(n)).toBe(true);
      const sinkRetries = writer.latest?.nodes.out?.custom.retries;
      expect(sinkRetries).toBeGreaterThan(0);
      console.info(
        `broker restart, writer: ${numbers} numbers, ${written.raw.length} records (${written.raw.length - numbers} duplicates), sink retries ${JSON.stringify(sinkRetries)}`,
      );
      await written.close();
    } finally {
      await flow.dispose();
      await writer.dispose();
    }
  }, 400_000);
});
