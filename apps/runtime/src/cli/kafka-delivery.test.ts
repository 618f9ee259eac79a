/**
 * Delivery guarantees end to end, against the real broker (`pnpm kafka start`, or KAFKA_BROKERS;
 * these tests fail, never skip, without one): flows run as `tributary run` processes that are
 * killed with SIGKILL, stopped, or scaled out while a producer writes at a steady rate.
 */
import { describe, expect, it } from 'vitest';
import { BROKERS, unique, useKafka, useRuntimes } from '../testing/delivery-fixtures.js';
import type { RuntimeProcess } from '../testing/kafka-harness.js';
import {
  Collector,
  committedOffsets,
  deliveryFlow,
  idCounts,
  SteadyProducer,
  waitUntil,
  type OutputRecord,
} from '../testing/kafka-harness.js';

const PARTITIONS = 6;

const k = useKafka('delivery-test');
const { runtime, defer } = useRuntimes();

async function topics(...names: string[]): Promise<void> {
  await k.admin.createTopics({
    topics: names.map((topic) => ({ topic, numPartitions: PARTITIONS })),
    waitForLeaders: true,
  });
}

async function collector(topic: string): Promise<Collector> {
  const c = await Collector.start(k.kafka, k.admin, topic);
  defer(() => c.close());
  return c;
}

/** Ids 0…count-1 that never reached the output. */
function missingIds(records: readonly OutputRecord[], count: number): number[] {
  const counts = idCounts(records);
  const missing: number[] = [];
  for (let id = 0; id < count; id++) if (!counts.has(id)) missing.push(id);
  return missing;
}

/** Waits until ids 0…count-1 are all in the output; on timeout says which are missing and what `by` logged. */
async function everyIdThrough(out: Collector, count: number, by: RuntimeProcess): Promise<void> {
  await waitUntil(
    'every message in the output',
    () => missingIds(out.records, count).length === 0,
    120_000,
    () => {
      const missing = missingIds(out.records, count);
      return `${missing.length} missing (first: ${missing.slice(0, 5).join(', ')}); runtime: ${by.log}`;
    },
  );
}

/** Runtime A, alone in its group: returns once it owns every partition. */
async function firstMember(options: Omit<Parameters<typeof deliveryFlow>[0], 'worker'>): Promise<RuntimeProcess> {
  const a = runtime(deliveryFlow({ ...options, worker: 'A' }));
  await waitUntil(
    'runtime A to own every partition',
    () => a.partitions === PARTITIONS,
    60_000,
    () => a.log,
  );
  return a;
}

/**
 * Runs the pipeline in runtime A with a producer at 3,000 msgs/s, kills A with SIGKILL once a third
 * of the input is through, and starts runtime B on the same group. Returns what the test needs to
 * judge the crash: the output so far, the committed offsets at the kill, and B.
 */
async function crashMidStream(prefix: string, delivery: 'at-least-once' | 'at-most-once', count: number) {
  const [input, output, groupId] = [unique(`${prefix}-in`), unique(`${prefix}-out`), unique(`${prefix}-group`)];
  await topics(input, output);
  const out = await collector(output);
  const options = { brokers: BROKERS, input, output, groupId, delivery };

  const first = await firstMember(options);
  const producer = new SteadyProducer(k.kafka, input, count, 3000);
  await waitUntil(
    'a third of the messages through',
    () => out.records.length >= count / 3,
    60_000,
    () => first.log,
  );

  first.kill();
  await first.exited;
  await out.caughtUp();
  const beforeCrash = [...out.records];
  // Read after the kill: nothing can commit any more, so this is where a restart resumes.
  const committed = await committedOffsets(k.admin, groupId, input);

  const second = runtime(deliveryFlow({ ...options, worker: 'B' }));
  await producer.done;
  return { input, groupId, out, beforeCrash, committed, second };
}

describe('kafka-source → function → kafka-sink in tributary run processes', () => {
  it('at-least-once: kill -9 mid-stream loses nothing; the duplicates are exactly what was written after the last commit', async () => {
    const count = 18_000;
    const { out, beforeCrash, committed, second } = await crashMidStream('crash', 'at-least-once', count);
    await everyIdThrough(out, count, second);
    expect(await second.stop()).toBe(0);
    await out.caughtUp();

    expect(missingIds(out.records, count)).toEqual([]);
    const duplicates = out.records.length - count;
    // What the killed runtime wrote at or above the committed offset is read and written again;
    // nothing else is.
    const writtenAfterCommit = beforeCrash.filter((r) => r.o >= Math.max(0, committed.get(r.p) ?? 0));
    expect(duplicates).toBe(writtenAfterCommit.length);
    const twice = [...idCounts(out.records)].filter(([, n]) => n > 1).map(([id]) => id);
    expect(new Set(twice)).toEqual(new Set(writtenAfterCommit.map((r) => r.id)));
    console.info(
      `at-least-once crash: ${count} in, ${out.records.length} out, ${beforeCrash.length} written before the kill, ${duplicates} duplicates (all written after the last commit)`,
    );
  }, 240_000);

  it('at-most-once: kill -9 mid-stream never duplicates; it loses only records committed but not yet written', async () => {
    const count = 18_000;
    const { input, groupId, out, beforeCrash, committed, second } = await crashMidStream('amo', 'at-most-once', count);
    // The run is over when the group has committed the whole input (at-most-once commits first;
    // the graceful stop below writes what is still in flight).
    await waitUntil(
      'the whole input committed',
      async () => {
        const [ends, done] = [await k.admin.fetchTopicOffsets(input), await committedOffsets(k.admin, groupId, input)];
        return ends.every((p) => done.get(p.partition) === Number(p.high));
      },
      120_000,
      () => second.log,
    );
    expect(await second.stop()).toBe(0);
    await out.caughtUp();

    const counts = idCounts(out.records);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    expect(out.records.length).toBe(counts.size);

    // The lost records: committed by the killed runtime (offset below its commit), never written.
    const input_ = await Collector.start(k.kafka, k.admin, input);
    defer(() => input_.close());
    await input_.caughtUp();
    const where = new Map(input_.raw.map((r, i) => [input_.records[i]!.id, r]));
    const lost = missingIds(out.records, count);
    for (const id of lost) {
      const at = where.get(id)!;
      expect(at.offset).toBeLessThan(committed.get(at.partition) ?? 0);
      expect(beforeCrash.some((r) => r.id === id)).toBe(false);
    }
    console.info(
      `at-most-once crash: ${count} in, ${out.records.length} out, 0 duplicates, ${lost.length} lost (committed, in flight at the kill)`,
    );
  }, 240_000);

  it('scale-out: two runtimes in one group share the partitions; stopping one moves its partitions to the other', async () => {
    const count = 24_000;
    const [input, output, groupId] = [unique('scale-in'), unique('scale-out'), unique('scale-group')];
    await topics(input, output);
    const out = await collector(output);
    const options = { brokers: BROKERS, input, output, groupId };

    const a = await firstMember(options);
    const b = runtime(deliveryFlow({ ...options, worker: 'B' }));
    await waitUntil(
      'A and B to split the partitions',
      () => a.partitions > 0 && b.partitions > 0 && a.partitions + b.partitions === PARTITIONS,
      60_000,
      () => `A owns ${a.partitions}, B owns ${b.partitions}; B: ${b.log}`,
    );
    const split = { a: a.partitions, b: b.partitions };
    // The real assignment of both members (what each client reported last), settled: disjoint and
    // complete. The 1 Hz figures above can trail a rebalance under load.
    const settled = () => {
      const [ofA, ofB] = [a.assigned, b.assigned];
      if (ofA === null || ofB === null) return false;
      return [...ofA].every((p) => !ofB.has(p)) && ofA.size + ofB.size === PARTITIONS;
    };
    await waitUntil('the settled assignment of both members', settled, 60_000, () => `A: ${a.log}\nB: ${b.log}`);
    // Only records produced after this point can only have been read after it: A's records read
    // before the rebalance (still on their way to the output) are not in the shared phase.
    const ends = new Map((await k.admin.fetchTopicOffsets(input)).map((p) => [p.partition, Number(p.high)]));
    // Written from now on, so that both read while they share the topic, and A's partitions still
    // have records coming when A stops.
    const producer = new SteadyProducer(k.kafka, input, count, 2000);
    const readAfter = (r: OutputRecord) => r.o >= (ends.get(r.p) ?? 0);
    // Both write while they share the topic.
    await waitUntil('output from both runtimes', () => {
      const recent = out.records.filter(readAfter);
      return recent.some((r) => r.by === 'A') && recent.some((r) => r.by === 'B');
    });
    expect(settled()).toBe(true); // no rebalance since: the shared phase below is one assignment
    const sharedPhase = out.records.filter(readAfter);
    const partitionsOf = (by: string) => new Set(sharedPhase.filter((r) => r.by === by).map((r) => r.p));
    const [ofA, ofB] = [partitionsOf('A'), partitionsOf('B')];
    // While shared, a partition is read by one runtime only: the one it is assigned to.
    expect([...ofA].filter((p) => ofB.has(p))).toEqual([]);
    expect([...ofA].every((p) => a.assigned!.has(p))).toBe(true);
    expect([...ofB].every((p) => b.assigned!.has(p))).toBe(true);

    expect(await a.stop()).toBe(0);
    // Everything A wrote is in the topic now; once read, whatever follows is B's.
    await out.caughtUp();
    const stoppedAt = out.records.length;
    await waitUntil(
      'B to take every partition',
      () => b.partitions === PARTITIONS,
      60_000,
      () => b.log,
    );
    await producer.done;
    await everyIdThrough(out, count, b);
    expect(await b.stop()).toBe(0);
    await out.caughtUp();

    // The union of both outputs is the input; A's partitions went on with B.
    expect(missingIds(out.records, count)).toEqual([]);
    const afterStop = out.records.slice(stoppedAt);
    for (const p of ofA) expect(afterStop.some((r) => r.p === p && r.by === 'B')).toBe(true);
    expect(afterStop.every((r) => r.by === 'B')).toBe(true);
    const duplicates = out.records.length - count;
    console.info(
      `scale-out: split ${split.a}/${split.b}, ${out.records.length} out for ${count} in, ${duplicates} duplicates across the two rebalances`,
    );
  }, 240_000);

  it('a poison record goes to the dead-letter topic and is counted, and the partition keeps moving', async () => {
    const [input, output, dead, groupId] = [
      unique('poison-in'),
      unique('poison-out'),
      unique('poison-dlq'),
      unique('pg'),
    ];
    await k.admin.createTopics({
      topics: [input, output, dead].map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    });
    const producer = k.kafka.producer();
    await producer.connect();
    const values = ['{"id":0}', '{"id":1}', 'not json {', '{"id":2}', '\u0000\u0001', '{"id":3}'];
    await producer.send({ topic: input, messages: values.map((value) => ({ key: 'k', value })), acks: -1 });
    await producer.disconnect();

    const out = await collector(output);
    const flow = runtime(deliveryFlow({ brokers: BROKERS, input, output, groupId, worker: 'A', deadLetter: dead }));
    await waitUntil(
      'the four good records in the output',
      () => out.records.length === 4,
      60_000,
      () => flow.log,
    );
    expect(out.records.map((r) => r.id)).toEqual([0, 1, 2, 3]);

    const letters = await Collector.start(k.kafka, k.admin, dead, false);
    defer(() => letters.close());
    await waitUntil(
      'two dead letters',
      () => letters.raw.length === 2,
      30_000,
      () => flow.log,
    );
    expect(letters.raw.map((r) => r.value)).toEqual(['not json {', '\u0000\u0001']);
    await waitUntil(
      'the source to count both',
      () => flow.latest?.nodes.in?.errors === 2,
      10_000,
      () => flow.log,
    );

    expect(await flow.stop()).toBe(0);
    // Committed past the poison, now that the dead letters are written.
    expect((await committedOffsets(k.admin, groupId, input)).get(0)).toBe(values.length);
  }, 120_000);
});
