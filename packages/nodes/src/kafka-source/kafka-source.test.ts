import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { AckCallback, FlowMessage, SourceContext } from '@tributary/shared';
import {
  closeBrokerHelpers,
  committedOffsets,
  createTopic,
  eventually,
  produce,
  requireBroker,
  TEST_CONNECTION,
  testConnections,
  uniqueName,
} from '../connections/kafka-test-broker.js';
import { createTestContext, parseConfig, runNode } from '../testing/index.js';
import { providePositions, sourceControlOf } from '../lib/positions.js';
import { kafkaSourceNode } from './runtime.js';

afterAll(closeBrokerHelpers);

const lagOf = (lag: unknown, key: string) => (lag as Record<string, number> | undefined)?.[key];

interface Emitted {
  batch: FlowMessage[];
  onAck: AckCallback | undefined;
}

/**
 * Runs a kafka-source with a hand-made SourceContext, so a test decides when (and whether, and in
 * which order) each emitted batch is confirmed, and can look at stats while the source runs.
 */
async function drive(
  config: Record<string, unknown>,
  onEmit?: (index: number) => Promise<void> | void,
  nodeId = 'node',
) {
  const controller = new AbortController();
  const test = createTestContext({ connections: testConnections, signal: controller.signal, nodeId });
  const instance = await kafkaSourceNode.create(
    parseConfig(kafkaSourceNode.manifest, { connection: TEST_CONNECTION, ...config }),
    test.ctx,
  );
  if (instance.kind !== 'source') throw new Error('kafka-source must be a source');
  const emitted: Emitted[] = [];
  const errors: { error: unknown; message: FlowMessage | undefined; onAck: AckCallback | undefined }[] = [];
  const ctx: SourceContext = {
    ...test.ctx,
    // The engine's contract: undefined = accepted, a promise = the queue is full.
    emit(batch, onAck) {
      emitted.push({ batch: [...batch], onAck });
      return onEmit?.(emitted.length - 1) ?? undefined;
    },
    async emitError(error, message, onAck) {
      errors.push({ error, message, onAck });
      await Promise.resolve();
    },
  };
  const running = instance.run(ctx);
  let stopped = false;
  return {
    /** The source's `run`: settles when it stops, or rejects when it cannot start. */
    running,
    emitted,
    errors,
    stats: test.stats,
    logs: test.logs,
    values: () => emitted.flatMap((e) => e.batch.map((m) => m.value)),
    /** Stops like the engine: abort, wait for `run`, then `close` (which commits what is confirmed). */
    async stop() {
      if (stopped) return;
      stopped = true;
      controller.abort();
      await running;
      await instance.close?.();
      await test.close();
    },
  };
}

const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ value: JSON.stringify(from + i) }));

// Unique topics and groups per test: they run side by side (each waits mostly on the broker).
describe.concurrent('kafka-source', () => {
  // Every test here fails (never skips) with how to start the broker when none answers.
  beforeEach(async () => {
    await requireBroker();
  });

  it('emits records with key, value, headers, timestamp and meta, and commits them once confirmed', async ({
    expect,
  }) => {
    const topic = uniqueName('src-basic');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, [
      {
        key: 'k1',
        value: JSON.stringify({ id: 1 }),
        headers: { source: 'test', multi: ['a', 'b'] },
        timestamp: '1700000000000',
      },
      { key: null, value: JSON.stringify([1, 2]) },
      { key: 'k3', value: null },
    ]);

    const result = await runNode(
      kafkaSourceNode,
      { connection: TEST_CONNECTION, topics: [topic], groupId, startFrom: 'earliest', commitIntervalMs: 0 },
      { connections: testConnections, until: { messages: 3 }, timeoutMs: 25_000 },
    );

    expect(result.timedOut).toBe(false);
    const out = result.outputs.out ?? [];
    expect(out.map((m) => m.value)).toEqual([{ id: 1 }, [1, 2], null]);
    expect(out[0]).toMatchObject({
      key: 'k1',
      headers: { source: 'test', multi: 'b' },
      timestamp: 1700000000000,
      meta: { topic, partition: 0, offset: '0' },
    });
    expect(out[1]!.key).toBeNull();
    expect(out[2]!.meta.offset).toBe('2');
    // close() committed the confirmed offsets: the group resumes after the last record.
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: 3 });
    expect(result.stats.committed).toEqual({ [`${topic}-0`]: 3 });
    expect(result.stats.lag).toEqual({ [`${topic}-0`]: 0 });
    expect(result.stats.partitions).toBe(1);
  });

  it('commits only below the lowest unconfirmed offset when confirmations come out of order', async ({ expect }) => {
    const topic = uniqueName('src-order');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, values(6));
    const config = { topics: [topic], groupId, startFrom: 'earliest', batchSize: 2, commitIntervalMs: 0 };

    const first = await drive(config);
    await eventually('3 batches', () => first.emitted.length === 3);
    expect(first.values()).toEqual([0, 1, 2, 3, 4, 5]);
    // Offsets 4-5 and 0-1 confirmed, 2-3 never (the flow stopped first): only 0-1 may be committed.
    first.emitted[2]!.onAck!(true);
    first.emitted[0]!.onAck!(true);
    first.emitted[1]!.onAck!(false);
    await first.stop();
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: 2 });

    // The next member of the group starts from the committed offset: 2-5 come again, 0-1 do not.
    const second = await drive(config);
    await eventually('offsets 2-5 again', () => second.values().length === 4);
    expect(second.values()).toEqual([2, 3, 4, 5]);
    for (const e of second.emitted) e.onAck!(true);
    await second.stop();
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: 6 });
  });

  it('reads a partition again from a message the flow failed, without a restart, and never commits past it', async ({
    expect,
  }) => {
    const topic = uniqueName('src-rewind');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, values(6));
    const source = await drive({ topics: [topic], groupId, startFrom: 'earliest', batchSize: 2, commitIntervalMs: 0 });
    await eventually('3 batches', () => source.emitted.length === 3);
    // 0-1 confirmed, 2-3 failed (a cache write the store failed), 4-5 confirmed after it: the
    // partition is read again from 2, and what was read before (4-5) does not count.
    source.emitted[0]!.onAck!(true);
    source.emitted[1]!.onAck!(false);
    source.emitted[2]!.onAck!(true);
    await eventually('offsets 2-5 read again', () => source.values().length === 10);
    expect(source.values()).toEqual([0, 1, 2, 3, 4, 5, 2, 3, 4, 5]);
    expect(source.stats.rewinds).toBe(1);
    // 4-5 were confirmed before the re-read, yet the commit stops at the failed message.
    await eventually('the commit of 0-1', async () => (await committedOffsets(groupId, topic))[0] === 2);
    for (const e of source.emitted.slice(3)) e.onAck!(true);
    await eventually('the commit of all 6', async () => (await committedOffsets(groupId, topic))[0] === 6);
    await source.stop();
  });

  it('sends an undecodable record to the error port and commits it once that is handled', async ({ expect }) => {
    const topic = uniqueName('src-poison');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, [{ value: '{"ok":1}' }, { key: 'bad', value: '{not json' }, { value: '{"ok":3}' }]);

    const source = await drive({ topics: [topic], groupId, startFrom: 'earliest', commitIntervalMs: 0 });
    await eventually('2 good records and 1 error', () => source.values().length === 2 && source.errors.length === 1);
    expect(source.values()).toEqual([{ ok: 1 }, { ok: 3 }]);
    const poison = source.errors[0]!;
    expect((poison.error as { code?: string }).code).toBe('E_DECODE');
    expect((poison.error as Error).message).toMatch(/not valid JSON/);
    expect(poison.message).toMatchObject({
      key: 'bad',
      value: '{not json',
      meta: { topic, partition: 0, offset: '1' },
    });

    // The good ones are confirmed; the error is not handled yet, so the commit stops below it.
    for (const e of source.emitted) e.onAck!(true);
    await eventually(
      'commit of offset 1',
      () => (source.stats.committed as Record<string, number>)?.[`${topic}-0`] === 1,
    );
    poison.onAck!(true);
    await source.stop();
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: 3 });
  });

  it('reads text with the string codec and hands bytes that are not UTF-8 to the error port as base64', async ({
    expect,
  }) => {
    const topic = uniqueName('src-string');
    await createTopic(topic);
    const invalid = Buffer.from([0xff, 0xfe, 0x41]);
    await produce(topic, [{ value: 'héllo' }, { value: invalid }]);

    const result = await runNode(
      kafkaSourceNode,
      {
        connection: TEST_CONNECTION,
        topics: [topic],
        groupId: uniqueName('g'),
        startFrom: 'earliest',
        codec: 'string',
      },
      { connections: testConnections, until: { messages: 1 }, timeoutMs: 25_000 },
    );
    expect(result.outputs.out?.map((m) => m.value)).toEqual(['héllo']);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toMatchObject({
      value: invalid.toString('base64'),
      meta: { valueEncoding: 'base64' },
    });
  });

  it('hands bytes through with the bytes codec', async ({ expect }) => {
    const topic = uniqueName('src-bytes');
    await createTopic(topic);
    await produce(topic, [{ value: Buffer.from([0, 1, 2, 255]) }]);
    const result = await runNode(
      kafkaSourceNode,
      { connection: TEST_CONNECTION, topics: [topic], groupId: uniqueName('g'), startFrom: 'earliest', codec: 'bytes' },
      { connections: testConnections, until: { messages: 1 }, timeoutMs: 25_000 },
    );
    const value = result.outputs.out?.[0]?.value;
    expect(Buffer.isBuffer(value)).toBe(true);
    expect([...(value as Buffer)]).toEqual([0, 1, 2, 255]);
  });

  it('at-most-once commits before sending on, so unconfirmed records are not read again', async ({ expect }) => {
    const topic = uniqueName('src-amo');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, values(4));

    const source = await drive({ topics: [topic], groupId, startFrom: 'earliest', delivery: 'at-most-once' });
    await eventually('4 records', () => source.values().length === 4);
    // Nothing is ever confirmed (at-most-once sends no confirmation callback at all).
    expect(source.emitted.every((e) => e.onAck === undefined)).toBe(true);
    await source.stop();
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: 4 });
  });

  it('reads from two topics and reports lag and committed offsets per partition', async ({ expect }) => {
    const a = uniqueName('src-multi-a');
    const b = uniqueName('src-multi-b');
    await createTopic(a);
    await createTopic(b, 2);
    await produce(a, values(2));
    await produce(b, [
      { value: '10', partition: 0 },
      { value: '11', partition: 1 },
    ]);
    const result = await runNode(
      kafkaSourceNode,
      { connection: TEST_CONNECTION, topics: [a, b], groupId: uniqueName('g'), startFrom: 'earliest' },
      { connections: testConnections, until: { messages: 4 }, timeoutMs: 25_000 },
    );
    expect(result.outputs.out?.map((m) => m.value).sort((x, y) => Number(x) - Number(y))).toEqual([0, 1, 10, 11]);
    expect(result.stats.partitions).toBe(3);
    expect(result.stats.committed).toEqual({ [`${a}-0`]: 2, [`${b}-0`]: 1, [`${b}-1`]: 1 });
  });

  it('starts at the end with startFrom latest when the group has no committed offset', async ({ expect }) => {
    const topic = uniqueName('src-latest');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, [{ value: '"old"' }]);
    const source = await drive({ topics: [topic], groupId, startFrom: 'latest' });
    await eventually('the partition assignment', () => source.stats.partitions === 1);
    // Assigned, but the start position is fixed only by the first fetch: produce until a new record arrives.
    await eventually('a position at the end', async () => {
      await produce(topic, [{ value: '"new"' }]);
      return source.values().length > 0;
    });
    expect(source.values()).not.toContain('old');
    expect(source.values()[0]).toBe('new');
    await source.stop();
  });

  it('waits for a topic the broker creates on first use instead of failing', async ({ expect }) => {
    // Not created beforehand: the local broker creates topics on first use (auto.create.topics.enable).
    const topic = uniqueName('src-new-topic');
    const source = await drive({ topics: [topic], groupId: uniqueName('g'), startFrom: 'earliest' });
    await eventually('the partition assignment', () => source.stats.partitions === 1);
    await produce(topic, values(3));
    await eventually('three records', () => source.values().length === 3);
    expect(source.values()).toEqual([0, 1, 2]);
    await source.stop();
  });

  it('with startFrom committed resumes a group where it left off, and refuses a group with nothing committed', async ({
    expect,
  }) => {
    const topic = uniqueName('src-committed');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, values(4));
    const refused = await drive({ topics: [topic], groupId, startFrom: 'committed' });
    await expect(refused.running).rejects.toThrow(/no committed offset for .*-0.*choose earliest or latest/);
    await refused.stop().catch(() => undefined);

    const first = await drive({ topics: [topic], groupId, startFrom: 'earliest' }, (i) =>
      first.emitted[i]!.onAck?.(true),
    );
    await eventually('four records', () => first.values().length === 4);
    await first.stop();
    await produce(topic, values(2, 4));
    const resumed = await drive({ topics: [topic], groupId, startFrom: 'committed' });
    await eventually('the two new records', () => resumed.values().length === 2);
    expect(resumed.values()).toEqual([4, 5]);
    await resumed.stop();
  });

  it('pauses a partition while the flow is saturated and reports the lag', async ({ expect }) => {
    const topic = uniqueName('src-pause');
    await createTopic(topic);
    await produce(topic, values(6));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const source = await drive(
      { topics: [topic], groupId: uniqueName('g'), startFrom: 'earliest', batchSize: 2 },
      // The first emit meets backpressure: the engine has no room until `release`.
      (index) => (index === 0 ? gate : undefined),
    );
    await eventually('the first batch', () => source.emitted.length === 1);
    await eventually('the pause', () => source.stats.pauses === 1);
    expect(source.emitted).toHaveLength(1);
    // Lag counts what the flow has not confirmed: all six (the first two are emitted, unconfirmed).
    expect(source.stats.lag).toEqual({ [`${topic}-0`]: 6 });
    source.emitted[0]!.onAck?.(true);
    await eventually('lag 4 once the first two are confirmed', () => lagOf(source.stats.lag, `${topic}-0`) === 4);
    release();
    await eventually('the rest', () => source.values().length === 6);
    expect(source.values()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lagOf(source.stats.lag, `${topic}-0`)).toBe(4);
    for (const e of source.emitted) e.onAck?.(true);
    await eventually('lag 0', () => lagOf(source.stats.lag, `${topic}-0`) === 0);
    await source.stop();
  });

  it('does not pause for a full queue that has room again at once', async ({ expect }) => {
    const topic = uniqueName('src-brief');
    await createTopic(topic);
    await produce(topic, values(6));
    // Every emit meets a full queue that the engine empties right away (a fast flow at full speed).
    const source = await drive({ topics: [topic], groupId: uniqueName('g'), startFrom: 'earliest', batchSize: 2 }, () =>
      Promise.resolve(),
    );
    await eventually('all six', () => source.values().length === 6);
    expect(source.values()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(source.stats.pauses ?? 0).toBe(0);
    for (const e of source.emitted) e.onAck?.(true);
    await source.stop();
  });

  it('commits once Commit every messages are confirmed, without waiting for the interval', async ({ expect }) => {
    const topic = uniqueName('src-every');
    const groupId = uniqueName('g');
    await createTopic(topic);
    await produce(topic, values(6));
    // A one-minute interval: only the message count can make the commit happen within the test.
    const source = await drive({
      topics: [topic],
      groupId,
      startFrom: 'earliest',
      batchSize: 2,
      commitIntervalMs: 60_000,
      commitEveryMessages: 4,
    });
    await eventually('three batches', () => source.emitted.length === 3);
    // Four confirmed (two batches): the count is reached, the interval is far off.
    source.emitted[0]!.onAck?.(true);
    source.emitted[1]!.onAck?.(true);
    await eventually('the commit at offset 4', async () => (await committedOffsets(groupId, topic))[0] === 4);
    expect(source.stats.committed).toEqual({ [`${topic}-0`]: 4 });
    await source.stop();
  });

  it('resumes each assigned partition where its position owner says, and another node can seek it', async ({
    expect,
  }) => {
    const topic = uniqueName('src-owner');
    await createTopic(topic, 2);
    await produce(topic, [
      ...values(5).map((m) => ({ ...m, partition: 0 })),
      ...values(5, 10).map((m) => ({ ...m, partition: 1 })),
    ]);
    // The owner (a sink storing offsets with its rows) knows partition 0 only: next to read is 3.
    const owner = createTestContext({ nodeId: 'owner' });
    const asked: number[][] = [];
    const unregister = providePositions(owner.ctx, {
      resumeFrom: (_topic, partitions) => {
        asked.push([...partitions].sort());
        return Promise.resolve(new Map([[0, 3n]]));
      },
    });
    const source = await drive(
      {
        topics: [topic],
        groupId: uniqueName('g'),
        startFrom: 'earliest',
        positionsFrom: 'owner',
      },
      undefined,
      // Its own node id: the tests beside it (run concurrently) register their controls as "node".
      'owned-source',
    );
    await eventually('7 records', () => source.values().length === 7);
    const read = source.values() as number[];
    expect(read.filter((v) => v < 10)).toEqual([3, 4]);
    expect(read.filter((v) => v >= 10)).toEqual([10, 11, 12, 13, 14]);
    expect(asked).toEqual([[0, 1]]);

    // A checkpoint-like node of the same flow rewinds partition 1 to offset 2.
    const control = await sourceControlOf(owner.ctx, 'owned-source');
    expect(
      control
        .assigned()
        .map((tp) => tp.partition)
        .sort(),
    ).toEqual([0, 1]);
    control.seek({ topic, partition: 1, offset: 2n });
    await eventually('partition 1 read again from offset 2', () => source.values().length === 10);
    expect(source.values().slice(7)).toEqual([12, 13, 14]);
    unregister();
    await source.stop();
    await owner.close();
  });

  it('does not commit confirmations for a partition it lost in a rebalance', async ({ expect }) => {
    const topic = uniqueName('src-rebalance');
    const groupId = uniqueName('g');
    await createTopic(topic, 2);
    await produce(topic, [
      ...values(3).map((m) => ({ ...m, partition: 0 })),
      ...values(3, 10).map((m) => ({ ...m, partition: 1 })),
    ]);
    const config = { topics: [topic], groupId, startFrom: 'earliest', commitIntervalMs: 0, sessionTimeoutMs: 10_000 };

    const a = await drive(config);
    await eventually('member A reading both partitions', () => a.values().length === 6);
    // The partition count is reported on the next stats tick, which can trail the data under load.
    await eventually('member A owning both partitions', () => a.stats.partitions === 2);

    // B joins: A gives one partition away. B never confirms anything, so it commits nothing itself.
    const readBefore = a.emitted.length;
    const b = await drive(config);
    await eventually('the rebalance', () => a.stats.partitions === 1 && b.stats.partitions === 1, 30_000);
    await eventually('B reading its partition from the start', () => b.values().length === 3, 30_000);
    const lost = b.emitted[0]!.batch[0]!.meta.partition!;
    const kept = 1 - lost;
    // A reads the partition it kept again from the group's commit (none yet): wait for that, or
    // the confirmations below could all belong to A's previous assignment (nothing to commit).
    const rereadKept = () =>
      a.emitted.slice(readBefore).flatMap((e) => e.batch.filter((m) => m.meta.partition === kept)).length;
    await eventually('A reading its kept partition again', () => rereadKept() >= 3, 30_000);

    // Each assignment says its group generation (what fences a member paused past its session):
    // the rebalance's is higher than A's first, and the same for A and B.
    const generations = (logs: readonly { message: string }[]) =>
      logs
        .flatMap(({ message }) => /^assigned \d+ partition\(s\) \(generation (\d+)\)/.exec(message)?.[1] ?? [])
        .map(Number);
    const [first, ...later] = generations(a.logs);
    expect(later.at(-1)).toBeGreaterThan(first!);
    expect(generations(b.logs).at(-1)).toBe(later.at(-1));

    // Now A's confirmations arrive, for both partitions: only the one it still owns is committed.
    for (const e of a.emitted) e.onAck!(true);
    await a.stop();
    const committed = await committedOffsets(groupId, topic);
    expect(committed[kept]).toBe(3);
    expect(committed[lost]).toBe(-1);
    await b.stop();
  }, 60_000);

  it('fails with a clear error when the connection is not a valid Kafka connection', async ({ expect }) => {
    const test = createTestContext({ connections: { kafka: { brokers: ['no-port'] } } });
    try {
      expect(() =>
        kafkaSourceNode.create(
          parseConfig(kafkaSourceNode.manifest, { connection: 'kafka', topics: ['t'], groupId: 'g' }),
          test.ctx,
        ),
      ).toThrow(/connection "kafka" is not a valid Kafka connection: brokers.0: a broker is host:port/);
    } finally {
      await test.close();
    }
  });
});

describe('kafka-source config', () => {
  it('refuses a group instance id on the kafkajs client, which has no static membership', async () => {
    const test = createTestContext({ connections: { kafka: { brokers: ['127.0.0.1:9092'], client: 'kafkajs' } } });
    try {
      const config = { connection: 'kafka', topics: ['t'], groupId: 'g', groupInstanceId: 'runtime-1' };
      expect(() => kafkaSourceNode.create(parseConfig(kafkaSourceNode.manifest, config), test.ctx)).toThrow(
        /groupInstanceId: static membership needs the platformatic client/,
      );
    } finally {
      await test.close();
    }
  });

  it('requires a connection, topics and a group id, and fills in safe defaults', () => {
    expect(() => parseConfig(kafkaSourceNode.manifest, {})).toThrow(
      /connection: required.*\n.*topics: required.*\n.*groupId: required/s,
    );
    const config = parseConfig(kafkaSourceNode.manifest, { connection: 'k', topics: ['orders'], groupId: 'g' });
    expect(config).toMatchObject({
      startFrom: 'latest',
      codec: 'json',
      delivery: 'at-least-once',
      commitIntervalMs: 1000,
    });
    expect(() =>
      parseConfig(kafkaSourceNode.manifest, { connection: 'k', topics: ['bad topic'], groupId: 'g' }),
    ).toThrow(/topic name/);
  });
});
