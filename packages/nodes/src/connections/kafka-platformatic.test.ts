/**
 * The `@platformatic/kafka` adapter on the real broker, where its own behaviour (not the nodes')
 * is at stake: where records go, a seek made while a fetch is under way, records fetched before a rejoin.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  closeBrokerHelpers,
  createTopic,
  endOffsets,
  eventually,
  produce,
  readAll,
  requireBroker,
  TEST_BROKERS,
  uniqueName,
} from './kafka-test-broker.js';
import { platformaticPort } from './kafka-platformatic.js';
import type { ProducedRecord } from './kafka-port.js';
import {
  expectKeptPartitionInOrder,
  firstMember,
  joinSecond,
  rejoinTopic,
  reportAssignments,
} from './kafka-rejoin-test-broker.js';

afterAll(closeBrokerHelpers);

const fetches = tracingChannel<unknown, object>('plt:kafka:consumer:fetches');
const values = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ value: String(from + i), partition: 0 }));

/** Sends each batch with the adapter's producer (one send call each) to a new 6-partition topic. */
async function produceBatches(topic: string, batches: ProducedRecord[][]): Promise<void> {
  await requireBroker();
  await createTopic(topic, 6);
  const port = platformaticPort({
    brokers: TEST_BROKERS,
    clientId: uniqueName('plt'),
    tls: undefined,
    sasl: undefined,
    connectTimeoutMs: 10_000,
  });
  const producer = port.producer({ idempotent: true, acks: -1, gzip: false });
  await producer.connect();
  try {
    for (const batch of batches) await producer.send(new Map([[topic, batch]]));
  } finally {
    await producer.close();
  }
}

describe('platformatic adapter', () => {
  it('spreads records without a key over the partitions, a batch to a partition', async () => {
    const topic = uniqueName('plt-keyless');
    await produceBatches(
      topic,
      [0, 1, 2].map((batch) => Array.from({ length: 10 }, (_, i) => ({ key: null, value: `${batch}-${i}` }))),
    );
    // Before the fix every one of them was on partition 0.
    const counts = Object.values(await endOffsets(topic)).filter((n) => n > 0);
    expect(counts).toEqual([10, 10, 10]);
  });

  it('writes each keyed record to the partition kafkajs (and the Java client) chooses for its key', async () => {
    const topic = uniqueName('plt-keyed');
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
    // Each key twice, in two batches: the same partition both times.
    await produceBatches(
      topic,
      [0, 1].map((round) => keys.map((key) => ({ key, value: `${round}` }))),
    );
    const kafkajs = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const read = await readAll(topic, keys.length * 2);
    expect(read.map((r) => [r.key, r.partition]).sort()).toEqual(
      [...keys, ...keys].map((key) => [key, kafkajs({ topic, partitionMetadata, message: { key, value: '' } })]).sort(),
    );
  });

  it('a seek made while a fetch is under way wins over that fetch’s answer', async () => {
    await requireBroker();
    const topic = uniqueName('plt-seek');
    const clientId = uniqueName('plt-seek');
    await createTopic(topic);
    await produce(topic, values(0, 10));

    // Follows this test's fetches: how many are under way, and a hook run as one is sent.
    let underWay = 0;
    let onSend: (() => void) | null = null;
    const ours = (context: object) =>
      (context as { client?: { clientId?: string } }).client?.clientId === `${clientId}-source`;
    const subscribers = {
      start: (context: object) => {
        if (!ours(context)) return;
        underWay++;
        const hook = onSend;
        onSend = null;
        hook?.();
      },
      asyncEnd: (context: object) => {
        if (ours(context)) underWay--;
      },
      end: () => undefined,
      error: () => undefined,
      asyncStart: () => undefined,
    };
    fetches.subscribe(subscribers);

    const port = platformaticPort({
      brokers: TEST_BROKERS,
      clientId,
      tls: undefined,
      sasl: undefined,
      connectTimeoutMs: 10_000,
    });
    const consumer = port.consumer({
      groupId: uniqueName('g'),
      groupInstanceId: null,
      topics: [topic],
      startFrom: 'earliest',
      sessionTimeoutMs: 30_000,
    });
    const tp = { topic, partition: 0 };
    const seen: number[] = [];
    let failure: Error | null = null;
    try {
      await consumer.connect();
      await consumer.subscribe();
      await consumer.run({
        assigned: () => Promise.resolve(),
        revoking: () => undefined,
        restarting: (error) => (failure = error),
        failed: (error) => (failure = error),
        batch: (batch) => {
          seen.push(...batch.records.map((r) => Number(r.offset)));
          // After the first records: stop fetching, so the test chooses when the next fetch goes.
          if (seen.length === 10) consumer.pause([tp]);
          return Promise.resolve();
        },
      });
      await eventually('offsets 0-9', () => seen.length >= 10, 30_000);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await eventually('no fetch under way', () => underWay === 0, 30_000);

      // Offsets 10-19 exist before the next fetch is sent, so its answer certainly carries them; the
      // seek back to 3 is made while that fetch is under way.
      await produce(topic, values(10, 20));
      let sought = false;
      onSend = () => {
        consumer.seek({ topic, partition: 0, offset: 3n });
        sought = true;
      };
      consumer.resume([tp]);

      await eventually('offset 19 after the seek', () => seen.includes(19) || failure, 30_000);
      expect(failure).toBe(null);
      expect(sought).toBe(true);
      // Nothing of the answer fetched from 10 got through, and reading went on from the seek.
      expect(seen.slice(10)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    } finally {
      fetches.unsubscribe(subscribers);
      consumer.stopFetching();
      await consumer.close();
    }
  }, 90_000);

  it('after a rejoin a kept partition is read again from the commit, in order: nothing fetched before the rejoin is handed on after it', async () => {
    await requireBroker();
    const { topic, settings } = await rejoinTopic('plt-rejoin');
    const port = () =>
      platformaticPort({
        brokers: TEST_BROKERS,
        clientId: uniqueName('plt'),
        tls: undefined,
        sasl: undefined,
        connectTimeoutMs: 10_000,
      });
    const a = port().consumer(settings);
    const b = port().consumer(settings);
    // A's first batch is held until A is assigned again: meanwhile more records are fetched and wait.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const assignments: number[][] = [];
    const first = firstMember(assignments, () => gate);
    try {
      await a.connect();
      await a.subscribe();
      await a.run({
        ...reportAssignments((partitions) => assignments.push(partitions.map((p) => p.partition))),
        batch: first.batch,
      });
      await eventually('A holding its first batch', first.holding, 30_000);
      await joinSecond(b);
      await eventually('A assigned again (B joined)', () => assignments.length >= 2, 30_000);
      open();
      // Nothing was committed: the kept partition starts again at 0.
      await expectKeptPartitionInOrder(first.after, topic, assignments, 0);
    } finally {
      open();
      for (const c of [a, b]) {
        c.stopFetching();
        await c.close();
      }
    }
  }, 90_000);
});
