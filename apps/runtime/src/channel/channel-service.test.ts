/**
 * Tributary as a consumer-channel service (`tributary serve --channel-brokers`), on the real broker
 * (127.0.0.1:9092 or KAFKA_BROKERS; shared: unique topics and groups, never stopped): the
 * channel-source and channel-sink nodes are its clients, kafkajs checks what reached Kafka.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { channelSinkNode, channelSourceNode } from '@tributary/nodes/runtime';
import { runNode } from '@tributary/nodes/testing';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delay, kafkaFor, waitUntil } from '../testing/kafka-harness.js';
import { bootServer } from '../testing/server-harness.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const TOKEN = 'channel-test-token';
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

let server: Awaited<ReturnType<typeof bootServer>>;
let kafka: Kafka;
let admin: Admin;

const connections = () => ({
  tributary: {
    url: server.url,
    dialect: 'opendxl',
    auth: 'token',
    token: TOKEN,
    consumerPath: '/api/channel/v1',
    producerPath: '/api/channel/v1',
  },
});

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const response = await fetch(`${server.url}/api/channel/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> | null };
}

beforeAll(async () => {
  kafka = kafkaFor(BROKERS, 'channel-test');
  admin = kafka.admin();
  await admin.connect();
  server = await bootServer({ token: TOKEN, channelBrokers: BROKERS });
});

afterAll(async () => {
  await server?.close();
  await admin?.disconnect();
});

describe('tributary serve --channel-brokers: the consumer-channel API over Kafka', () => {
  it('channel-sink produces through it and channel-source reads a topic with consumer-group commits', async () => {
    const topic = unique('channel');
    const group = unique('channel-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const COUNT = 300;
    const inputs = Array.from({ length: COUNT }, (_, id) => ({ key: `k${id % 7}`, value: { id } }));
    const sent = await runNode(
      channelSinkNode,
      { connection: 'tributary', topic, batchSize: 50 },
      {
        connections: connections(),
        inputs,
      },
    );
    expect(sent.errors).toEqual([]);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(COUNT);

    const read = await runNode(
      channelSourceNode,
      {
        connection: 'tributary',
        topics: [topic],
        group,
        startFrom: 'earliest',
        waitBetweenPollsMs: 200,
        commitIntervalMs: 0,
      },
      { connections: connections(), until: { messages: COUNT }, timeoutMs: 60_000 },
    );
    const ids = read.outputs.out!.map((m) => (m.value as { id: number }).id).sort((a, b) => a - b);
    expect(ids).toEqual(inputs.map((_, i) => i));
    expect(read.outputs.out!.find((m) => (m.value as { id: number }).id === 1)!.key).toBe('k1');
    // The group's committed positions are the ends of the partitions: everything was confirmed.
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const byPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
    for (const end of ends) expect(byPartition.get(end.partition)).toBe(end.high);
  }, 120_000);

  it('serves a client we did not write (curl): create, subscribe, records, commit, delete, produce', async () => {
    const topic = unique('curl');
    const group = unique('curl-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const curl = async (method: string, path: string, body?: unknown) => {
      const args = ['-sS', '-X', method, '-H', `Authorization: Bearer ${TOKEN}`, '-w', '\n%{http_code}'];
      if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
      // Async: the server answers from this very process.
      const run = await promisify(execFile)('curl', [...args, `${server.url}/api/channel/v1${path}`]);
      const lines = run.stdout.trimEnd().split('\n');
      const status = Number(lines.pop());
      const text = lines.join('\n');
      return { status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> | null };
    };
    const payload = Buffer.from(JSON.stringify({ hello: 'curl' })).toString('base64');
    const produced = await curl('POST', '/produce', {
      records: [{ routingData: { topic, shardingKey: 'k' }, message: { payload } }],
    });
    expect(produced.status).toBe(204);
    const created = await curl('POST', '/consumers', {
      consumerGroup: group,
      configs: { 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000 },
    });
    expect(created.status).toBe(200);
    const id = created.body!.consumerInstanceId as string;
    expect((await curl('POST', `/consumers/${id}/subscription`, { topics: [topic] })).status).toBe(204);
    const records = (await waitUntil(
      'the record to be fetched',
      async () => {
        const got = await curl('GET', `/consumers/${id}/records`);
        const list = got.body?.records as { message: { payload: string }; partition: number; offset: number }[];
        if (list?.length) return list;
        await delay(200);
        return null;
      },
      60_000,
    ))!;
    expect(JSON.parse(Buffer.from(records[0]!.message.payload, 'base64').toString())).toEqual({ hello: 'curl' });
    expect(
      (
        await curl('POST', `/consumers/${id}/offsets`, {
          offsets: [{ topic, partition: records[0]!.partition, offset: records[0]!.offset }],
        })
      ).status,
    ).toBe(204);
    expect((await curl('DELETE', `/consumers/${id}`)).status).toBe(204);
    expect((await curl('GET', `/consumers/${id}/records`)).status).toBe(404);
    // Kafka's committed position is one past the record the client committed.
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed[0]!.partitions[0]!.offset).toBe('1');
  }, 90_000);

  it('answers bad requests with a JSON 4xx, and an unknown consumer with 404', async () => {
    expect((await api('POST', '/consumers', { consumerGroup: 'g' }, null)).status).toBe(401);
    const badBody = await api('POST', '/consumers', { configs: {} });
    expect(badBody.status).toBe(400);
    expect(badBody.body).toMatchObject({ error: { code: 'E_BODY_INVALID' } });
    const badJson = await api('POST', '/consumers', '{not json');
    expect(badJson.status).toBe(400);
    const badReset = await api('POST', '/consumers', {
      consumerGroup: unique('g'),
      configs: { 'auto.offset.reset': 'none' },
    });
    expect(badReset.status).toBe(400);
    expect(String((badReset.body?.error as { message: string }).message)).toMatch(/auto.offset.reset/);
    const missing = await api('GET', '/consumers/no-such-consumer/records');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    const badPayload = await api('POST', '/produce', {
      records: [{ routingData: { topic: 't' }, message: { payload: '***' } }],
    });
    expect(badPayload.status).toBe(400);
  });

  it('forgets a consumer that was not heard from for its session timeout', async () => {
    const created = await api('POST', '/consumers', {
      consumerGroup: unique('expiring'),
      configs: { 'session.timeout.ms': '6000' },
    });
    expect(created.status).toBe(200);
    const id = created.body!.consumerInstanceId as string;
    const topic = unique('expiring');
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    expect((await api('POST', `/consumers/${id}/subscription`, { topics: [topic] })).status).toBe(204);
    expect((await api('GET', `/consumers/${id}/records`)).status).toBe(200);
    // Every request on the consumer keeps it alive, so wait without one: twice the session timeout.
    await delay(12_000);
    expect((await api('GET', `/consumers/${id}/records`)).status).toBe(404);
  }, 60_000);
});
