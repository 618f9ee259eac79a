/**
 * Windows on the real broker: event-time tumbling counts over out-of-order and late input, and
 * session counts over bursts, in a `tributary run` process killed with SIGKILL mid-stream and
 * started again on the same group and data folder. The last result per window id must equal the
 * count the test computes from the input.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import {
  Collector,
  committedOffsets,
  kafkaClientSetting,
  kafkaFor,
  RuntimeProcess,
  waitUntil,
} from '../testing/kafka-harness.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

const COUNT = 6_000;
const KEYS = 5;
const SIZE_MS = 5_000;
const BASE = Date.UTC(2026, 0, 1);
/** Every 37th event (after the first 300) is 30 s behind: far beyond the 2 s lateness, so surely late. */
const isLate = (i: number) => i >= 300 && i % 37 === 0;
/** Event time: 50 ms apart, up to 1.5 s out of order (within the lateness), or 30 s late. */
const eventTime = (i: number) => BASE + i * 50 - ((i * 7919) % 1_500) - (isLate(i) ? 30_000 : 0);
const keyOf = (i: number) => `k${i % KEYS}`;
const windowOf = (i: number) => {
  const start = Math.floor(eventTime(i) / SIZE_MS) * SIZE_MS;
  return `${keyOf(i)}|${start}|${start + SIZE_MS}`;
};

/**
 * A result's timestamp is its window's end: an event time of 2026-01-01, older than the broker's
 * retention (24 h in scripts/kafka, checked every minute). The broker then deletes results at its
 * next check, and those the collector has not read yet are lost to the test ("windows missing").
 * With append time, the retention counts from the write.
 */
const APPEND_TIME = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];

let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  kafka = kafkaFor(BROKERS, 'window-test');
  admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `No Kafka broker answers on ${BROKERS.join(', ')}: start one with \`pnpm kafka start\` (${(error as Error).message})`,
      { cause: error },
    );
  }
});

afterAll(async () => {
  await admin?.disconnect();
});

const TUMBLING = { size: '5s', lateness: '2s', timestamp: 'value.t', idleTimeout: '1d' };

function windowFlow(
  input: string,
  output: string,
  late: string,
  groupId: string,
  worker: string,
  window: Record<string, unknown> = TUMBLING,
  batchSize?: number,
): FlowDocument {
  const node = (id: string, type: string, config: Record<string, unknown>) => ({
    id,
    type,
    typeVersion: 1,
    position: { x: 0, y: 0 },
    config,
  });
  return {
    schemaVersion: 1,
    id: `window-${worker}`,
    name: `Window delivery (${worker})`,
    connections: [
      {
        id: 'broker',
        type: 'kafka',
        config: { brokers: BROKERS, clientId: `window-${worker}`, ...kafkaClientSetting() },
      },
    ],
    nodes: [
      node('in', 'kafka-source', {
        connection: 'broker',
        topics: [input],
        groupId,
        startFrom: 'earliest',
        sessionTimeoutMs: 6000,
        ...(batchSize === undefined ? {} : { batchSize }),
      }),
      // No idle advance: only the input (and its final marker) moves the watermark.
      node('count', 'window', window),
      node('out', 'kafka-sink', { connection: 'broker', topic: output }),
      node('late', 'kafka-sink', { connection: 'broker', topic: late }),
    ],
    edges: [
      { id: 'a', source: 'in', sourcePort: 'out', target: 'count', targetPort: 'in' },
      { id: 'b', source: 'count', sourcePort: 'out', target: 'out', targetPort: 'in' },
      { id: 'c', source: 'count', sourcePort: 'late', target: 'late', targetPort: 'in' },
    ],
  };
}

describe('window in tributary run processes, on the real broker', () => {
  it('event-time tumbling counts survive kill -9: the last result per window id equals the reference', async () => {
    const [input, output, late, groupId] = ['win-in', 'win-out', 'win-late', 'win-group'].map(unique) as [
      string,
      string,
      string,
      string,
    ];
    // One partition: the watermark follows one ordered log (several partitions read at uneven speed
    // need a lateness that covers their skew).
    await admin.createTopics({
      topics: [input, output, late].map((topic) => ({ topic, numPartitions: 1, configEntries: APPEND_TIME })),
      waitForLeaders: true,
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-window-kafka-'));
    const results = await Collector.start(kafka, admin, output, false);
    const lateOut = await Collector.start(kafka, admin, late, false);
    const runs: RuntimeProcess[] = [];
    try {
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      const first = new RuntimeProcess(windowFlow(input, output, late, groupId, 'A'), dataDir);
      runs.push(first);
      const produce = (async () => {
        for (let i = 0; i < COUNT; i += 50) {
          const messages = [];
          for (let j = i; j < Math.min(COUNT, i + 50); j++)
            messages.push({ key: keyOf(j), value: JSON.stringify({ id: j, t: eventTime(j) }) });
          await producer.send({ topic: input, messages, acks: -1 });
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        // The end marker: far ahead in event time, it closes every window of the input.
        await producer.send({
          topic: input,
          messages: [{ key: 'end', value: JSON.stringify({ id: -1, t: BASE + COUNT * 50 + 3_600_000 }) }],
          acks: -1,
        });
      })();
      await waitUntil(
        'a third of the windows out',
        () => results.raw.length >= (COUNT * 50) / SIZE_MS / 3,
        120_000,
        () => first.log,
      );
      first.kill();
      await first.exited;
      const beforeCrash = results.raw.length;

      const second = new RuntimeProcess(windowFlow(input, output, late, groupId, 'B'), dataDir);
      runs.push(second);
      await produce;
      await producer.disconnect();

      // The reference: every on-time event counted once in its window.
      const reference = new Map<string, number>();
      for (let i = 0; i < COUNT; i++) if (!isLate(i)) reference.set(windowOf(i), (reference.get(windowOf(i)) ?? 0) + 1);
      const last = () => {
        const byId = new Map<string, number>();
        for (const r of results.raw) {
          const value = JSON.parse(r.value!) as { windowId: string; result: number; final: boolean };
          expect(value.final).toBe(true);
          byId.set(value.windowId, value.result);
        }
        return byId;
      };
      await waitUntil(
        'a result for every window of the input',
        () => [...reference.keys()].every((id) => last().has(id)),
        180_000,
        // The source's and the window's figures say where the input stopped (not read, held, or dropped).
        () =>
          `${reference.size - [...reference.keys()].filter((id) => last().has(id)).length} windows missing; ` +
          `B's source ${JSON.stringify(second.latest?.nodes.in?.custom)}, window ${JSON.stringify(second.latest?.nodes.count?.custom)}; ${second.log}`,
      );
      await results.caughtUp();
      const final = last();
      for (const [id, count] of reference) expect(final.get(id), id).toBe(count);
      expect(final.size).toBe(reference.size);
      expect(beforeCrash).toBeGreaterThan(0);

      // Late events went to the late port; none of them reached a count. A late event read again
      // after the crash (its window already final) is counted as replayed instead of sent twice.
      await lateOut.caughtUp();
      const lateIds = new Set(lateOut.raw.map((r) => (JSON.parse(r.value!) as { id: number }).id));
      const expectedLate = [...Array(COUNT).keys()].filter(isLate);
      expect([...lateIds].every(isLate)).toBe(true);
      const replayed = Number(second.latest?.nodes.count?.custom.replayed ?? 0);
      const missingLate = expectedLate.filter((id) => !lateIds.has(id)).length;
      expect(missingLate).toBeLessThanOrEqual(replayed);
      console.log(
        `window kill -9: ${beforeCrash} results before the kill, ${results.raw.length} in all for ${final.size} windows; ` +
          `${lateIds.size} late; ${replayed} replayed input messages dropped as already final`,
      );
    } finally {
      for (const r of runs) await r.dispose();
      await results.close();
      await lateOut.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 400_000);

  it('event-time session counts survive kill -9: no session is rebuilt partial from input read again', async () => {
    // Bursts of 300 events (50 ms apart, keys in turn) every 25 s: one session per key and burst.
    // Key "slow" has an event every 2 s from the middle of the first burst on: one long session that
    // stays open, so the group's commit stays inside the first burst's sessions and the restart reads
    // them again (without their positions remembered they would come out again, partial). Small
    // source batches: a batch is confirmed as one, so the commit can stop inside a burst.
    const GAP_MS = 3_000;
    const BURSTS = 20;
    const events: { key: string; t: number }[] = [];
    for (let b = 0; b < BURSTS; b++)
      for (let j = 0; j < 300; j++) events.push({ key: keyOf(j), t: BASE + b * 25_000 + j * 50 });
    for (let t = BASE + 7_525; t < BASE + BURSTS * 25_000; t += 2_000) events.push({ key: 'slow', t });
    events.sort((a, b) => a.t - b.t);
    const reference = new Map<string, number>();
    const open = new Map<string, { start: number; last: number; count: number }>();
    const flush = (key: string) => {
      const s = open.get(key);
      if (s) reference.set(`${key}|${s.start}|${s.last + GAP_MS}`, s.count);
    };
    for (const { key, t } of events) {
      const s = open.get(key);
      if (s && t - s.last < GAP_MS) {
        s.last = t;
        s.count++;
        continue;
      }
      flush(key);
      open.set(key, { start: t, last: t, count: 1 });
    }
    for (const key of open.keys()) flush(key);

    const [input, output, late, groupId] = ['ses-in', 'ses-out', 'ses-late', 'ses-group'].map(unique) as [
      string,
      string,
      string,
      string,
    ];
    await admin.createTopics({
      topics: [input, output, late].map((topic) => ({ topic, numPartitions: 1, configEntries: APPEND_TIME })),
      waitForLeaders: true,
    });
    const sessions = { kind: 'session', gap: '3s', lateness: '1s', timestamp: 'value.t', idleTimeout: '1d' };
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-session-kafka-'));
    const results = await Collector.start(kafka, admin, output, false);
    const runs: RuntimeProcess[] = [];
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const produce = async (from: number, to: number) => {
      for (let i = from; i < to; i += 100)
        await producer.send({
          topic: input,
          messages: events
            .slice(i, Math.min(to, i + 100))
            .map((e, j) => ({ key: e.key, value: JSON.stringify({ id: i + j, t: e.t }) })),
          acks: -1,
        });
    };
    try {
      const first = new RuntimeProcess(windowFlow(input, output, late, groupId, 'A', sessions, 10), dataDir);
      runs.push(first);
      // The first half, then the kill once a third of the sessions are out: the rest is written after it.
      const half = Math.floor(events.length / 2);
      await produce(0, half);
      await waitUntil(
        'a third of the sessions out',
        () => results.raw.length >= reference.size / 3,
        120_000,
        () => first.log,
      );
      // …and the group has committed: inside the first burst, before the slow session's first batch.
      await waitUntil(
        'a commit',
        async () => ((await committedOffsets(admin, groupId, input)).get(0) ?? 0) > 0,
        60_000,
      );
      first.kill();
      await first.exited;
      const beforeCrash = results.raw.length;

      const second = new RuntimeProcess(windowFlow(input, output, late, groupId, 'B', sessions, 10), dataDir);
      runs.push(second);
      await produce(half, events.length);
      // The end marker: far ahead in event time, it closes every session.
      await producer.send({
        topic: input,
        messages: [{ key: 'end', value: JSON.stringify({ id: -1, t: BASE + BURSTS * 25_000 + 3_600_000 }) }],
        acks: -1,
      });

      const last = () => {
        const byId = new Map<string, number>();
        for (const r of results.raw) {
          const value = JSON.parse(r.value!) as { windowId: string; result: number };
          byId.set(value.windowId, value.result);
        }
        return byId;
      };
      await waitUntil(
        'a result for every session of the input',
        () => [...reference.keys()].every((id) => last().has(id)),
        180_000,
        () => `${[...reference.keys()].filter((id) => !last().has(id)).length} sessions missing; ${second.log}`,
      );
      await results.caughtUp();
      const final = last();
      // Every session exactly as in the input, and no other (a partial rebuild has another id).
      for (const [id, count] of reference) expect(final.get(id), id).toBe(count);
      expect(final.size).toBe(reference.size);
      expect(beforeCrash).toBeGreaterThan(0);
      expect(beforeCrash).toBeLessThan(reference.size);
      const replayed = Number(second.latest?.nodes.count?.custom.replayed ?? 0);
      console.log(
        `session kill -9: ${beforeCrash} results before the kill, ${results.raw.length} in all for ${final.size} sessions; ` +
          `${replayed} input messages read again and skipped as already in a confirmed session`,
      );
    } finally {
      await producer.disconnect();
      for (const r of runs) await r.dispose();
      await results.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 400_000);
});
