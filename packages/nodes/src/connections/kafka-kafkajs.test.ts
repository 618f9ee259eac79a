/**
 * The kafkajs adapter on the real broker, where its own behaviour (not the nodes') is at stake:
 * records fetched before a rejoin and a seek made by the new assignment. kafkajs cannot rejoin
 * while a batch is held, so the held batch ends the way the kafka-source ends one: its heartbeat
 * meets the rebalance and the error goes up.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeBrokerHelpers, eventually, requireBroker, TEST_BROKERS, uniqueName } from './kafka-test-broker.js';
import { kafkajsPort } from './kafka-kafkajs.js';
import {
  expectKeptPartitionInOrder,
  firstMember,
  joinSecond,
  rejoinTopic,
  reportAssignments,
} from './kafka-rejoin-test-broker.js';

afterAll(closeBrokerHelpers);

/** Where the second assignment seeks its partition to. */
const SEEK_TO = 1000n;

const port = () =>
  kafkajsPort(new Kafka({ brokers: TEST_BROKERS, clientId: uniqueName('kjs'), logLevel: logLevel.NOTHING }));

describe('kafkajs adapter', () => {
  it('after a rejoin a kept partition is read from where the assignment sought, in order: nothing fetched before is handed on after it', async () => {
    await requireBroker();
    const { topic, settings } = await rejoinTopic('kjs-rejoin');
    const a = port().consumer(settings);
    const b = port().consumer(settings);
    const assignments: number[][] = [];
    let stopping = false;
    let rebalanceMet = false;
    /** A's first batch waits, heartbeating, until a heartbeat meets the rebalance B's join starts. */
    const first = firstMember(assignments, async (control) => {
      while (!stopping) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        try {
          await control.heartbeat();
        } catch (error) {
          rebalanceMet = true;
          throw error;
        }
      }
    });
    try {
      await a.connect();
      await a.subscribe();
      await a.run({
        ...reportAssignments(() => undefined),
        // The second assignment seeks its partition, as a position owner would, and answers late:
        // reading must start at the seek, whatever kafkajs fetched meanwhile.
        assigned: async (partitions) => {
          assignments.push(partitions.map((p) => p.partition));
          if (assignments.length < 2) return;
          for (const { partition } of partitions) a.seek({ topic, partition, offset: SEEK_TO });
          await new Promise((resolve) => setTimeout(resolve, 500));
        },
        batch: first.batch,
      });
      await eventually('A holding its first batch', first.holding, 30_000);
      // Awaited once A is assigned again: B's join completes only once A has joined again.
      const joining = joinSecond(b);
      joining.catch(() => undefined); // its failure is reported by the await below
      await eventually('A assigned again (B joined)', () => assignments.length >= 2, 45_000);
      await joining;
      expect(rebalanceMet).toBe(true);
      await expectKeptPartitionInOrder(first.after, topic, assignments, Number(SEEK_TO));
    } finally {
      stopping = true;
      for (const c of [a, b]) {
        c.stopFetching();
        await c.close();
      }
    }
  }, 120_000);
});
