/**
 * The kafkajs adapter on the real broker, where its own behaviour (not the nodes') is at stake:
 * records fetched before a rejoin and a seek made by the new assignment. kafkajs cannot rejoin
 * while a batch is held, so the held batch ends the way the kafka-source ends one: its heartbeat
 * meets the rebalance and the error goes up.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchControl, ConsumedBatch } from './kafka-port.js';
import {
  closeBrokerHelpers,
  createTopic,
  eventually,
  produce,
  requireBroker,
  TEST_BROKERS,
  uniqueName,
} from './kafka-test-broker.js';
import { kafkajsPort } from './kafka-kafkajs.js';

afterAll(closeBrokerHelpers);

const values = (from: number, to: number, partition: number) =>
  Array.from({ length: to - from }, (_, i) => ({ value: String(from + i), partition }));

/** Where the second assignment seeks its partition to. */
const SEEK_TO = 1000n;

const port = () =>
  kafkajsPort(new Kafka({ brokers: TEST_BROKERS, clientId: uniqueName('kjs'), logLevel: logLevel.NOTHING }));

describe('kafkajs adapter', () => {
  it('after a rejoin a kept partition is read from where the assignment sought, in order: nothing fetched before is handed on after it', async () => {
    await requireBroker();
    const topic = uniqueName('kjs-rejoin');
    const groupId = uniqueName('g');
    await createTopic(topic, 2);
    await produce(topic, [...values(0, 3000, 0), ...values(0, 3000, 1)]);
    const settings = {
      groupId,
      groupInstanceId: null,
      topics: [topic],
      startFrom: 'earliest',
      sessionTimeoutMs: 10_000,
    } as const;
    const a = port().consumer(settings);
    const b = port().consumer(settings);
    const assignments: number[][] = [];
    /** What A handed on as current after its second assignment: partition, first and last offset. */
    const after: { partition: number; first: number; last: number }[] = [];
    let stopping = false;
    let rebalanceMet = false;
    const handlers = (assigned: (partitions: readonly { partition: number }[]) => void) => ({
      assigned: (partitions: readonly { partition: number }[]) => {
        assigned(partitions);
        return Promise.resolve();
      },
      revoking: () => undefined,
      restarting: () => undefined,
      failed: () => undefined,
    });
    /** A's first batch waits, heartbeating, until a heartbeat meets the rebalance B's join starts. */
    const holdUntilRebalance = async (control: BatchControl) => {
      while (!stopping) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        try {
          await control.heartbeat();
        } catch (error) {
          rebalanceMet = true;
          throw error;
        }
      }
    };
    try {
      await a.connect();
      await a.subscribe();
      let batches = 0;
      await a.run({
        ...handlers(() => undefined),
        // The second assignment seeks its partition, as a position owner would, and answers late:
        // reading must start at the seek, whatever kafkajs fetched meanwhile.
        assigned: async (partitions) => {
          assignments.push(partitions.map((p) => p.partition));
          if (assignments.length < 2) return;
          for (const { partition } of partitions) a.seek({ topic, partition, offset: SEEK_TO });
          await new Promise((resolve) => setTimeout(resolve, 500));
        },
        batch: async (batch: ConsumedBatch, control: BatchControl) => {
          if (batches++ === 0) await holdUntilRebalance(control);
          if (assignments.length >= 2 && control.isCurrent() && batch.records.length > 0)
            after.push({
              partition: batch.partition,
              first: Number(batch.records[0]!.offset),
              last: Number(batch.records.at(-1)!.offset),
            });
        },
      });
      await eventually('A holding its first batch', () => batches === 1, 30_000);
      await b.connect();
      await b.subscribe();
      // Not awaited: B's join completes only once A has joined again.
      void b.run({ ...handlers(() => undefined), batch: () => Promise.resolve() });
      await eventually('A assigned again (B joined)', () => assignments.length >= 2, 45_000);
      expect(rebalanceMet).toBe(true);
      const kept = assignments.at(-1)!;
      expect(kept).toHaveLength(1);
      // A record written now comes after anything read again: once it is handed on, all before it was.
      await eventually('A reading its kept partition to the end', () => after.some((x) => x.last === 2999), 30_000);
      await produce(topic, [{ value: '3000', partition: kept[0]! }]);
      await eventually('the record written last', () => after.some((x) => x.last === 3000), 30_000);
      // Nothing of the partition given away is handed on as current; the kept one starts at the
      // seek, and goes on without a jump back.
      expect(after.map((x) => x.partition).filter((p) => p !== kept[0])).toEqual([]);
      const mine = after.filter((x) => x.partition === kept[0]);
      expect(mine[0]!.first).toBe(Number(SEEK_TO));
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.first).toBe(mine[i - 1]!.last + 1);
    } finally {
      stopping = true;
      for (const c of [a, b]) {
        c.stopFetching();
        await c.close();
      }
    }
  }, 120_000);
});
