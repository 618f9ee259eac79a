import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  closeBrokerHelpers,
  createTopic,
  endOffsets,
  readAll,
  requireBroker,
  TEST_CONNECTION,
  testConnections,
  uniqueName,
} from '../connections/kafka-test-broker.js';
import { kafkaSourceNode } from '../kafka-source/runtime.js';
import { parseConfig, runNode } from '../testing/index.js';
import { codecFor } from '../lib/codecs.js';
import { kafkaSinkNode } from './runtime.js';

afterAll(closeBrokerHelpers);

const sink = (config: Record<string, unknown>) => ({ connection: TEST_CONNECTION, ...config });

// Unique topics and groups per test: they run side by side (each waits mostly on the broker).
describe.concurrent('kafka-sink', () => {
  // Every test here fails (never skips) with how to start the broker when none answers.
  beforeEach(async () => {
    await requireBroker();
  });

  it('writes key, value, headers and timestamp, and has written them when process resolves', async ({ expect }) => {
    const topic = uniqueName('sink-basic');
    await createTopic(topic);
    const result = await runNode(kafkaSinkNode, sink({ topic }), {
      connections: testConnections,
      inputs: [
        { key: 'k1', value: { id: 1 }, headers: { trace: 'abc' }, timestamp: 1700000000123 },
        { value: 'text' },
        { key: 'k3', value: null },
      ],
    });
    expect(result.errors).toEqual([]);
    // Written and acknowledged by the time process resolved: the end offset already counts them.
    expect(await endOffsets(topic)).toEqual({ 0: 3 });
    expect(result.stats).toMatchObject({ acknowledged: 3, inFlight: 0 });

    const records = await readAll(topic, 3);
    expect(records.map((r) => r.value?.toString('utf8') ?? null)).toEqual(['{"id":1}', '"text"', null]);
    expect(records[0]).toMatchObject({ key: 'k1', headers: { trace: 'abc' }, timestamp: 1700000000123 });
    expect(records[1]!.key).toBeNull();
  });

  it('stamps the time of writing when Record time is "write" (results of old event time outlive retention)', async ({
    expect,
  }) => {
    const topic = uniqueName('sink-write-time');
    await createTopic(topic);
    const before = Date.now();
    const result = await runNode(kafkaSinkNode, sink({ topic, timestamp: 'write' }), {
      connections: testConnections,
      inputs: [{ key: 'old', value: 1, timestamp: Date.UTC(2020, 0, 1) }],
    });
    expect(result.errors).toEqual([]);
    const [record] = await readAll(topic, 1);
    expect(record!.timestamp).toBeGreaterThanOrEqual(before);
  });

  it('routes by header, then by value field, then to the fixed topic', async ({ expect }) => {
    const fallback = uniqueName('sink-route-default');
    const byHeader = uniqueName('sink-route-header');
    const byField = uniqueName('sink-route-field');
    for (const t of [fallback, byHeader, byField]) await createTopic(t);
    const result = await runNode(
      kafkaSinkNode,
      sink({ topic: fallback, topicHeader: 'to', topicField: 'target.topic', codec: 'json' }),
      {
        connections: testConnections,
        inputs: [
          { value: { n: 1 }, headers: { to: byHeader } },
          { value: { n: 2, target: { topic: byField } } },
          { value: { n: 3 } },
          { value: { n: 4, target: { topic: 'not a topic!' } } },
        ],
      },
    );
    expect(await endOffsets(byHeader)).toEqual({ 0: 1 });
    expect(await endOffsets(byField)).toEqual({ 0: 1 });
    expect(await endOffsets(fallback)).toEqual({ 0: 1 });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'E_ENCODE', message: { value: { n: 4 } } });
    expect(result.errors[0]!.text).toMatch(/not a valid topic name/);
  });

  it('sends a message it cannot encode to the error port and still writes the rest of the batch', async ({
    expect,
  }) => {
    const topic = uniqueName('sink-encode');
    await createTopic(topic);
    const result = await runNode(kafkaSinkNode, sink({ topic }), {
      connections: testConnections,
      inputs: [{ value: 1 }, { value: { big: 10n } }, { value: 3 }],
    });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.text).toMatch(/cannot be written as JSON/);
    expect(result.stats).toMatchObject({ acknowledged: 2, errors: 1 });
    expect(await endOffsets(topic)).toEqual({ 0: 2 });
  });

  it('pins records to one partition, and compresses with gzip', async ({ expect }) => {
    const topic = uniqueName('sink-partition');
    await createTopic(topic, 3);
    await runNode(kafkaSinkNode, sink({ topic, partition: 2, compression: 'gzip', codec: 'string' }), {
      connections: testConnections,
      inputs: [
        { key: 'a', value: 'x'.repeat(1000) },
        { key: 'b', value: 'y' },
      ],
    });
    expect(await endOffsets(topic)).toEqual({ 0: 0, 1: 0, 2: 2 });
    const records = await readAll(topic, 2);
    expect(records.map((r) => r.value?.toString('utf8'))).toEqual(['x'.repeat(1000), 'y']);
  });

  it('round-trips through a kafka-source with the same codec', async ({ expect }) => {
    const topic = uniqueName('sink-roundtrip');
    await createTopic(topic);
    const sent = [{ a: 1, nested: { b: [true, null] } }, 'text', 42, null];
    await runNode(kafkaSinkNode, sink({ topic }), {
      connections: testConnections,
      inputs: sent.map((value, i) => ({ key: `k${i}`, value })),
    });
    const read = await runNode(
      kafkaSourceNode,
      { connection: TEST_CONNECTION, topics: [topic], groupId: uniqueName('g'), startFrom: 'earliest' },
      { connections: testConnections, until: { messages: 4 }, timeoutMs: 25_000 },
    );
    expect(read.outputs.out?.map((m) => [m.key, m.value])).toEqual(sent.map((value, i) => [`k${i}`, value]));
  });
});

describe('kafka-sink config and encoding', () => {
  it('requires a connection and a topic; refuses the idempotent producer without acks all', () => {
    expect(() => parseConfig(kafkaSinkNode.manifest, {})).toThrow(/connection: required.*\n.*topic: required/s);
    expect(parseConfig(kafkaSinkNode.manifest, { connection: 'k', topic: 'out' })).toMatchObject({
      acks: 'all',
      idempotent: true,
      compression: 'none',
      codec: 'json',
      headers: true,
    });
    expect(() => parseConfig(kafkaSinkNode.manifest, { connection: 'k', topic: 'out', acks: '1' })).toThrow(
      /\/acks: the idempotent producer needs acks "all"/,
    );
    expect(
      parseConfig(kafkaSinkNode.manifest, { connection: 'k', topic: 'out', acks: '1', idempotent: false }),
    ).toMatchObject({
      acks: '1',
    });
  });

  it.each([
    [{ a: 1 }, 'json', '{"a":1}'],
    ['s', 'json', '"s"'],
    ['s', 'string', 's'],
    [7, 'string', '7'],
    [null, 'json', null],
    [undefined, 'string', null],
  ] as const)('encodes %j with %s as %j', (value, codec, expected) => {
    expect(codecFor(codec).encode(value)).toEqual(expected);
  });

  it('encodes bytes from a Buffer, a Uint8Array view or a string, and refuses other values', () => {
    const view = new Uint8Array([9, 1, 2, 3]).subarray(1);
    expect([...(codecFor('bytes').encode(view) as Buffer)]).toEqual([1, 2, 3]);
    expect((codecFor('bytes').encode('hé') as Buffer).toString('utf8')).toBe('hé');
    expect(() => codecFor('bytes').encode({ a: 1 })).toThrow(/needs a Buffer or a string, got an object/);
    expect(() => codecFor('string').encode([1])).toThrow(/needs a text value, got an array/);
  });
});
