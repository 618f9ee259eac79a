/**
 * The checkpoint on the real broker, two topics: `prices` (the dependency, its heartbeats) and
 * `orders` (the dependent). The dependency stops for a while → orders pause (and their offsets are
 * not committed past the paused record); it comes back → orders catch up, and in reprocess mode the
 * orders that passed after the last price are processed again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from '../engine/index.js';
import { Collector, committedOffsets, delay, kafkaFor, waitUntil } from '../testing/kafka-harness.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const T0 = Date.UTC(2026, 0, 1);

let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  kafka = kafkaFor(BROKERS, 'checkpoint-test');
  admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`No Kafka broker answers on ${BROKERS.join(', ')}: start one with \`pnpm kafka start\``, {
      cause: error,
    });
  }
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
});

/** Events at seconds from..to (inclusive) of event time. */
const send = (topic: string, from: number, to: number) =>
  producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: to - from + 1 }, (_, i) => ({
      value: JSON.stringify({ s: from + i, t: T0 + (from + i) * 1000 }),
    })),
  });

function flowOf(t: Record<'prices' | 'orders' | 'out' | 'status', string>, onRecovery: string): FlowDocument {
  const node = (id: string, type: string, config: Record<string, unknown>) => ({
    id,
    type,
    typeVersion: 1,
    position: { x: 0, y: 0 },
    config,
  });
  const source = (topic: string) => ({
    connection: 'broker',
    topics: [topic],
    groupId: `${topic}-group`,
    startFrom: 'earliest',
  });
  return {
    schemaVersion: 1,
    id: unique('checkpoint'),
    name: 'checkpoint on kafka',
    connections: [{ id: 'broker', type: 'kafka', config: { brokers: BROKERS } }],
    nodes: [
      node('prices', 'kafka-source', source(t.prices)),
      node('orders', 'kafka-source', source(t.orders)),
      node('beat', 'checkpoint', { name: 'prices', role: 'dependency', time: 'value.t' }),
      node('gate', 'checkpoint', { name: 'prices', time: 'value.t', threshold: '10s', onRecovery }),
      node('tag', 'function', { code: 'return { value: { ...value, again: msg.meta.reprocessed === true } };' }),
      node('out', 'kafka-sink', { connection: 'broker', topic: t.out }),
      node('status', 'kafka-sink', { connection: 'broker', topic: t.status }),
      node('drop', 'filter', { expression: 'false' }),
    ],
    edges: [
      { id: 'a', source: 'prices', sourcePort: 'out', target: 'beat', targetPort: 'in' },
      { id: 'b', source: 'beat', sourcePort: 'out', target: 'drop', targetPort: 'in' },
      { id: 'c', source: 'orders', sourcePort: 'out', target: 'gate', targetPort: 'in' },
      { id: 'd', source: 'gate', sourcePort: 'out', target: 'tag', targetPort: 'in' },
      { id: 'e', source: 'tag', sourcePort: 'out', target: 'out', targetPort: 'in' },
      { id: 'f', source: 'gate', sourcePort: 'status', target: 'status', targetPort: 'in' },
    ],
  };
}

describe('checkpoint on two Kafka topics', () => {
  it.each(['resume', 'reprocess'])(
    '%s: the dependency stops → orders pause; it comes back → orders catch up',
    async (mode) => {
      const t = {
        prices: unique('cp-prices'),
        orders: unique('cp-orders'),
        out: unique('cp-out'),
        status: unique('cp-status'),
      };
      await admin.createTopics({
        topics: Object.values(t).map((topic) => ({ topic, numPartitions: 1 })),
        waitForLeaders: true,
      });
      const out = await Collector.start(kafka, admin, t.out, false);
      const status = await Collector.start(kafka, admin, t.status, false);
      const flow = await startFlow(flowOf(t, mode), {
        registry: createNodeRegistry(),
        dataDir: mkdtempSync(join(tmpdir(), 'tributary-checkpoint-kafka-')),
      });
      const seconds = () =>
        out.raw
          .map((r) => JSON.parse(r.value!) as { s: number; again: boolean })
          .filter((v) => !v.again)
          .map((v) => v.s);
      const statuses = () => status.raw.map((r) => JSON.parse(r.value!) as { state: string; reprocessed?: number });
      try {
        // Both streams live up to 20 s.
        await send(t.prices, 0, 20);
        await waitUntil('the prices to be read', () => flow.stats().nodes.beat!.in === 21, 60_000);
        await send(t.orders, 0, 20);
        await waitUntil('orders up to 20 s through', () => seconds().length === 21, 60_000);

        // Prices stop; orders go on to 60 s: everything past 30 s (20 s + the 10 s threshold) waits.
        await send(t.orders, 21, 60);
        await waitUntil('the down status', () => statuses().some((s) => s.state === 'down'), 60_000);
        await delay(1_000);
        expect(Math.max(...seconds())).toBe(30);
        expect(flow.stats().nodes.gate!.custom.down).toBe(1);
        // Nothing from the paused record on is committed: a crash now would read it again.
        await delay(1_500);
        expect((await committedOffsets(admin, `${t.orders}-group`, t.orders)).get(0)).toBeLessThanOrEqual(31);

        // Prices come back: orders resume and catch up.
        await send(t.prices, 21, 70);
        await waitUntil('every order through', () => seconds().length === 61, 60_000);
        expect(seconds()).toEqual(Array.from({ length: 61 }, (_, i) => i));
        await waitUntil('the recovered status', () => statuses().some((s) => s.state === 'recovered'), 30_000);
        const recovered = statuses().find((s) => s.state === 'recovered')!;
        const again = out.raw.map((r) => JSON.parse(r.value!) as { s: number; again: boolean }).filter((v) => v.again);
        if (mode === 'reprocess') {
          expect(again.map((v) => v.s)).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
          expect(recovered.reprocessed).toBe(10);
        } else {
          expect(again).toEqual([]);
        }
        expect(flow.stats().nodes.gate!.custom.down).toBe(0);
        expect(flow.stats().nodes.gate!.custom.downtimeSeconds).toBeGreaterThan(0);
        await waitUntil(
          'the orders group to commit everything',
          async () => (await committedOffsets(admin, `${t.orders}-group`, t.orders)).get(0) === 61,
          30_000,
        );
      } finally {
        await flow.stop();
        await out.close();
        await status.close();
      }
    },
    240_000,
  );
});
