/**
 * The checkpoint on the real broker, two topics: `prices` (the dependency, its heartbeats) and
 * `orders` (the dependent). The dependency stops for a while → orders pause (and their offsets are
 * not committed past the paused record); it comes back → orders catch up, and in reprocess mode the
 * orders that passed after the last price are processed again: the orders source is rewound to
 * them, so there are more of them than the in-memory copy reprocess once kept (10,000). Runs once
 * per Kafka client library (KAFKA_CLIENT, see vitest.config.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from '../engine/index.js';
import {
  Collector,
  committedOffsets,
  delay,
  kafkaClientSetting,
  kafkaFor,
  waitUntil,
} from '../testing/kafka-harness.js';

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

/** Events at seconds from..to (inclusive) of event time; `s` numbers them (from `first`). */
const send = (topic: string, from: number, to: number, first = from) =>
  producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: to - from + 1 }, (_, i) => ({
      value: JSON.stringify({ s: first + i, t: T0 + (from + i) * 1000 }),
    })),
  });

/** More orders than reprocess once kept in memory (its Max reprocess default). */
const MANY = 12_000;

/** `count` orders numbered from `first`, spread over event time (20 s, 30 s]: within the threshold. */
async function sendMany(topic: string, first: number, count: number): Promise<void> {
  for (let at = 0; at < count; at += 2_000) {
    const n = Math.min(2_000, count - at);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, i) => ({
        value: JSON.stringify({ s: first + at + i, t: T0 + 20_000 + Math.ceil(((at + i + 1) * 10_000) / count) }),
      })),
    });
  }
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

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
    connections: [{ id: 'broker', type: 'kafka', config: { brokers: BROKERS, ...kafkaClientSetting() } }],
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
      const statuses = () => status.raw.map((r) => JSON.parse(r.value!) as Record<string, unknown>);
      const again = () =>
        out.raw
          .map((r) => JSON.parse(r.value!) as { s: number; again: boolean })
          .filter((v) => v.again)
          .map((v) => v.s);
      const many = mode === 'reprocess' ? MANY : 10;
      // Orders: 0..20 (0-20 s), then `many` within 20-30 s, then 10 at 31-40 s; offset = s.
      const total = 21 + many + 10;
      try {
        // Both streams live up to 20 s.
        await send(t.prices, 0, 20);
        await waitUntil('the prices to be read', () => flow.stats().nodes.beat!.in === 21, 60_000);
        await send(t.orders, 0, 20);
        await waitUntil('orders up to 20 s through', () => seconds().length === 21, 60_000);

        // Prices stop; orders go on to 40 s: everything past 30 s (20 s + the 10 s threshold) waits.
        await sendMany(t.orders, 21, many);
        await send(t.orders, 31, 40, 21 + many);
        await waitUntil('the down status', () => statuses().some((s) => s.state === 'down'), 120_000);
        await waitUntil('the orders before the pause through', () => seconds().length === 21 + many, 120_000);
        await delay(1_000);
        expect(seconds().length).toBe(21 + many);
        expect(flow.stats().nodes.gate!.custom.down).toBe(1);
        const down = statuses().find((s) => s.state === 'down')!;
        if (mode === 'reprocess') expect(down.rewindTo).toEqual([{ topic: t.orders, partition: 0, offset: '21' }]);
        // Nothing from the paused record on is committed: a crash now would read it again.
        await delay(1_500);
        expect((await committedOffsets(admin, `${t.orders}-group`, t.orders)).get(0)).toBeLessThanOrEqual(21 + many);

        // Prices come back: orders resume and catch up.
        await send(t.prices, 21, 70);
        await waitUntil('every order through', () => seconds().length === total, 120_000);
        expect(seconds()).toEqual(range(0, total));
        await waitUntil('the recovered status', () => statuses().some((s) => s.state === 'recovered'), 30_000);
        const recovered = statuses().find((s) => s.state === 'recovered')!;
        if (mode === 'reprocess') {
          // Read again from the broker, in order, once each: the downtime's orders, marked.
          await waitUntil('the downtime reprocessed', () => again().length === many, 120_000);
          expect(again()).toEqual(range(21, many));
          expect(recovered).toMatchObject({
            reprocessed: many,
            rewound: [{ topic: t.orders, partition: 0, from: '21', to: String(21 + many) }],
          });
          expect(recovered.rewindError).toBeUndefined();
          // Reprocessed after the pause, before the paused order: the stream is rewound, not copied.
          const order = out.raw.map((r) => JSON.parse(r.value!) as { s: number; again: boolean });
          const firstAgain = order.findIndex((v) => v.again);
          expect(order[firstAgain - 1]!.s).toBe(20 + many);
          expect(order[firstAgain + many]).toEqual(expect.objectContaining({ s: 21 + many, again: false }));
        } else {
          expect(again()).toEqual([]);
        }
        expect(flow.stats().nodes.gate!.custom.down).toBe(0);
        expect(flow.stats().nodes.gate!.custom.downtimeSeconds).toBeGreaterThan(0);
        await waitUntil(
          'the orders group to commit everything',
          async () => (await committedOffsets(admin, `${t.orders}-group`, t.orders)).get(0) === total,
          60_000,
        );
      } finally {
        await flow.stop();
        await out.close();
        await status.close();
      }
    },
    420_000,
  );
});
