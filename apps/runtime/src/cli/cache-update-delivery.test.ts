/**
 * The cache's atomic `update` on a shared Redis, end to end: flows run as `tributary run` processes
 * (killed with SIGKILL where the test says so) reading a real Kafka broker while a producer writes;
 * the counts in Redis must come out exact. Needs the broker (`pnpm kafka start`) and Redis on
 * 127.0.0.1:6379; fails, never skips, without them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { BROKERS, REDIS, unique, useKafka, useRuntimes } from '../testing/delivery-fixtures.js';
import { committedOffsets, SteadyProducer, waitUntil, type RuntimeProcess } from '../testing/kafka-harness.js';

const PARTITIONS = 4;
const KEYS = 1000;

const k = useKafka('cache-update-test');
const { runtime } = useRuntimes();
let redis: Redis;
const stores: string[] = [];

/**
 * kafka-source (`topic`, `groupId`) → cache update on Redis: adds 1 to key `k<id mod 1000>` of `store`.
 * `slow`: a function that waits a millisecond per message first, so messages queue up in the flow
 * (in batches of 20, so they reach the cache soon after they are handled).
 */
function counterFlow(worker: string, topic: string, groupId: string, store: string, slow = false): FlowDocument {
  const flow: FlowDocument = {
    schemaVersion: 1,
    id: `counter-${worker.toLowerCase()}`,
    name: `Counter (${worker})`,
    connections: [
      { id: 'broker', type: 'kafka', config: { brokers: BROKERS, clientId: `counter-${worker}` } },
      { id: 'redis', type: 'redis', config: REDIS },
    ],
    nodes: [
      {
        id: 'in',
        type: 'kafka-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: { connection: 'broker', topics: [topic], groupId, startFrom: 'earliest', sessionTimeoutMs: 6000 },
      },
      {
        id: 'count',
        type: 'cache',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: {
          operation: 'update',
          backend: 'redis',
          connection: 'redis',
          store,
          keyExpression: `'k' + (value.id % ${KEYS})`,
          update: '(old ?? 0) + 1',
        },
      },
    ],
    edges: [{ id: 'in->count', source: 'in', sourcePort: 'out', target: 'count', targetPort: 'in' }],
  };
  if (slow) {
    // Small batches: a batch leaves the slow function only once all of it was handled.
    flow.settings = { ...flow.settings, batchSize: 20 };
    flow.nodes.push({
      id: 'slow',
      type: 'function',
      typeVersion: 1,
      position: { x: 100, y: 100 },
      config: { code: 'await new Promise((resolve) => setTimeout(resolve, 1)); return msg;' },
    });
    flow.edges = [
      { id: 'in->slow', source: 'in', sourcePort: 'out', target: 'slow', targetPort: 'in' },
      { id: 'slow->count', source: 'slow', sourcePort: 'out', target: 'count', targetPort: 'in' },
    ];
  }
  return flow;
}

function topic(): Promise<string> {
  return k.topic('counter-in', PARTITIONS);
}

/** The counts of keys k0…k999 of `store` (0 where missing). */
async function counts(store: string): Promise<number[]> {
  const pipeline = redis.pipeline();
  for (let k = 0; k < KEYS; k++) pipeline.hget(`${store}:k${k}`, 'v');
  const results = (await pipeline.exec()) ?? [];
  return results.map(([, v]) => (v === null ? 0 : Number(v)));
}

/** The token of the assignment that last claimed each partition's epoch (see the cache's fencing). */
async function epochTokens(store: string, groupId: string, topicName: string): Promise<(string | null)[]> {
  return Promise.all(
    Array.from({ length: PARTITIONS }, (_, p) =>
      redis.hget(`tributary-epoch:${store}:${groupId}:${topicName}/${p}`, 't'),
    ),
  );
}

/** Every partition's epoch claimed by one assignment. */
function sameToken(tokens: readonly (string | null)[]): boolean {
  return tokens[0] !== null && tokens.every((t) => t === tokens[0]);
}

/** Waits until `groupId` committed every message of `topic` (so every update was confirmed). */
async function allCommitted(topicName: string, groupId: string, by: RuntimeProcess): Promise<void> {
  await waitUntil(
    `group ${groupId} to commit the whole input`,
    async () => {
      const [ends, done] = [
        await k.admin.fetchTopicOffsets(topicName),
        await committedOffsets(k.admin, groupId, topicName),
      ];
      return ends.every((p) => done.get(p.partition) === Number(p.high));
    },
    180_000,
    () => by.log,
  );
}

beforeAll(async () => {
  redis = new Redis({ ...REDIS, lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  for (const store of stores) {
    const keys = Array.from({ length: KEYS }, (_, k) => `${store}:k${k}`);
    await redis.del(...keys);
    const epochs = await redis.keys(`tributary-epoch:${store}:*`);
    if (epochs.length > 0) await redis.del(...epochs);
  }
  await redis?.quit();
});

describe('cache update on a shared Redis, in tributary run processes', () => {
  it('two runtimes incrementing the same 1,000 keys at once reach exact counts', async () => {
    const store = unique('counters');
    stores.push(store);
    const perRuntime = 6000;
    const [topicA, topicB] = [await topic(), await topic()];
    const [groupA, groupB] = [unique('counter-a'), unique('counter-b')];
    const a = runtime(counterFlow('A', topicA, groupA, store));
    const b = runtime(counterFlow('B', topicB, groupB, store));
    const producers = [
      new SteadyProducer(k.kafka, topicA, perRuntime, 3000),
      new SteadyProducer(k.kafka, topicB, perRuntime, 3000),
    ];
    await Promise.all(producers.map((p) => p.done));
    await allCommitted(topicA, groupA, a);
    await allCommitted(topicB, groupB, b);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    // Every key was incremented 6 times by each runtime, concurrently: 12 each, none lost, none twice.
    expect(new Set(await counts(store))).toEqual(new Set([(2 * perRuntime) / KEYS]));
  }, 300_000);

  it('kill -9 mid-stream: after a restart the counts are exact (redelivered messages are not applied twice)', async () => {
    const store = unique('counters-crash');
    stores.push(store);
    const total = 9000;
    const input = await topic();
    const groupId = unique('counter-crash');
    const first = runtime(counterFlow('A', input, groupId, store));
    const producer = new SteadyProducer(k.kafka, input, total, 3000);
    await waitUntil(
      'a third of the input counted',
      async () => (await counts(store)).reduce((a, b) => a + b, 0) >= total / 3,
      120_000,
      () => first.log,
    );
    first.kill();
    await first.exited;
    const atKill = (await counts(store)).reduce((a, b) => a + b, 0);
    const committed = [...(await committedOffsets(k.admin, groupId, input)).values()].reduce(
      (a, b) => a + Math.max(0, b),
      0,
    );

    const second = runtime(counterFlow('B', input, groupId, store));
    await producer.done;
    await allCommitted(input, groupId, second);
    const skipped = second.latest?.nodes.count?.custom.skipped;
    expect(await second.stop()).toBe(0);
    expect(new Set(await counts(store))).toEqual(new Set([total / KEYS]));
    console.info(
      `cache update crash: ${total} in, ${atKill} applied at the kill, ${committed} committed; the restart skipped ${JSON.stringify(skipped)} redelivered`,
    );
  }, 300_000);

  it('two runtimes in one consumer group, one joining and one killed mid-stream (two rebalances): exact counts', async () => {
    const store = unique('counters-group');
    stores.push(store);
    const total = 18_000;
    const input = await topic();
    const groupId = unique('counter-group');
    const a = runtime(counterFlow('A', input, groupId, store));
    const producer = new SteadyProducer(k.kafka, input, total, 3000);
    const counted = async () => (await counts(store)).reduce((x, y) => x + y, 0);
    await waitUntil(
      'a quarter counted',
      async () => (await counted()) >= total / 4,
      120_000,
      () => a.log,
    );
    // B joins: the partitions are shared out again while both write the same keys.
    const b = runtime(counterFlow('B', input, groupId, store));
    await waitUntil(
      'B to own partitions',
      () => b.partitions > 0,
      120_000,
      () => b.log,
    );
    await waitUntil(
      'two thirds counted',
      async () => (await counted()) >= (2 * total) / 3,
      120_000,
      () => b.log,
    );
    // A dies holding partitions: B takes them over after the session timeout and replays A's uncommitted part.
    a.kill();
    await a.exited;
    await producer.done;
    await allCommitted(input, groupId, b);
    expect(await b.stop()).toBe(0);
    expect(new Set(await counts(store))).toEqual(new Set([total / KEYS]));
  }, 300_000);

  it("a member frozen past its session (a zombie) is fenced by partition epoch: its stale writes are refused, and the counts equal one runtime's", async () => {
    const store = unique('counters-fence');
    stores.push(store);
    const total = 18_000;
    const input = await topic();
    const groupId = unique('counter-fence');
    const counted = async () => (await counts(store)).reduce((x, y) => x + y, 0);
    const stat = (r: RuntimeProcess, name: string) => Number(r.latest?.nodes.count?.custom[name] ?? 0);
    // A write in flight at the freeze times out on waking (it fails); what A read before the
    // rebalance is then refused without asking Redis (`refused`), or refused by Redis (`fenced`).
    const staleRefusedBy = (r: RuntimeProcess) => stat(r, 'fenced') + stat(r, 'refused');
    // Both slow: messages wait in A's flow, and B does not race through what A has in flight.
    const a = runtime(counterFlow('A', input, groupId, store, true));
    const producer = new SteadyProducer(k.kafka, input, total, 3000);
    await waitUntil(
      'a sixth counted',
      async () => (await counted()) >= total / 6,
      120_000,
      () => a.log,
    );
    const b = runtime(counterFlow('B', input, groupId, store, true));
    await waitUntil(
      'B to own partitions (first rebalance)',
      () => (b.assigned?.size ?? 0) > 0 && (a.assigned?.size ?? 0) > 0 && a.assigned!.size < PARTITIONS,
      120_000,
      () => b.log,
    );
    await waitUntil(
      "messages of A's partitions to wait in its flow",
      () => (a.latest?.nodes.slow?.queues.in?.size ?? 0) >= 200,
      120_000,
      () => a.log,
    );
    // A freezes mid-stream; after its session timeout the group gives every partition to B, which
    // claims new epochs for them (one assignment: one token on every partition's epoch).
    a.pause();
    await waitUntil(
      'B to own every partition (second rebalance) and claim their epochs',
      async () => b.assigned?.size === PARTITIONS && sameToken(await epochTokens(store, groupId, input)),
      120_000,
      () => b.log,
    );
    // A wakes up believing it still owns its partitions, and writes what it had in flight: newer
    // than what slow B has applied yet, so refused (not skipped as already applied).
    a.resume();
    await waitUntil(
      'A to report refused writes',
      () => staleRefusedBy(a) > 0,
      120_000,
      () => `${a.log}\nA's nodes: ${JSON.stringify(a.latest?.nodes)}`,
    );
    expect(a.log).toMatch(/write\(s\) of partition\(s\) .* refused: /);
    await producer.done;
    await allCommitted(input, groupId, b);
    const figures = (r: RuntimeProcess) =>
      ['fenced', 'refused', 'writeErrors', 'skipped'].map((name) => `${name} ${stat(r, name)}`).join(', ');
    const report = `A: ${figures(a)}; B: ${figures(b)}`;
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    // Refused writes failed their messages (never committed by A): the owner applied them, once.
    const final = await counts(store);
    const lost = final.reduce((sum, n) => sum + Math.max(0, total / KEYS - n), 0);
    expect(new Set(final), `${lost} lost; ${report}`).toEqual(new Set([total / KEYS]));
    console.info(`cache fencing: ${total} in; ${report}`);
  }, 300_000);
});
