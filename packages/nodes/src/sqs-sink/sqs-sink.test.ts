/**
 * sqs-sink against the real ElasticMQ (`pnpm elasticmq start`, or SQS_ENDPOINT); the AWS SDK reads
 * back what it sent.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestQueue,
  peek,
  requireSqsServer,
  sqsTestConnection,
  testSqsClient,
  type TestQueue,
} from '../connections/sqs-test-server.js';
import { runNode } from '../testing/index.js';
import { deduplicationId, sqsSinkNode } from './runtime.js';

let client: SQSClient;
const queues: TestQueue[] = [];
const connections = { queues: sqsTestConnection };

async function queue(attributes: Record<string, string> = {}): Promise<TestQueue> {
  const q = await createTestQueue(client, 'sink', attributes);
  queues.push(q);
  return q;
}

/** Everything in the queue (receives until an empty answer; VisibilityTimeout keeps them from coming back). */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const got = await peek(client, url, 1);
    if (got.length === 0) return all;
    all.push(...got);
  }
}

beforeAll(async () => {
  client = testSqsClient();
  await requireSqsServer(client);
});

afterEach(async () => {
  for (const q of queues.splice(0)) await q.remove().catch(() => undefined);
});

afterAll(() => client?.destroy());

describe('sqs-sink', () => {
  it('sends every message of a batch, in requests of 10, with its headers as attributes', async () => {
    const q = await queue({ VisibilityTimeout: '60' });
    const inputs = Array.from({ length: 37 }, (_, i) => ({ value: { id: i }, headers: { source: 'test' } }));
    const result = await runNode(sqsSinkNode, { connection: 'queues', queue: q.url }, { connections, inputs });
    expect(result.errors).toEqual([]);
    expect(result.stats.sent).toBe(37);
    const got = await drain(q.url);
    expect(got.map((m) => (JSON.parse(m.Body!) as { id: number }).id).sort((a, b) => a - b)).toEqual(
      inputs.map((_, i) => i),
    );
    expect(got[0]!.MessageAttributes?.source?.StringValue).toBe('test');
  });

  it('routes a message SQS cannot take to the error port and sends the rest', async () => {
    const q = await queue({ VisibilityTimeout: '60' });
    const inputs = [
      { value: 'small' },
      { value: 'x'.repeat(300 * 1024) },
      { value: 'too many headers', headers: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`h${i}`, 'v'])) },
      { value: 'also small' },
      // A control character SQS does not allow in a body: SQS itself rejects this entry (sender fault).
      { value: 'bad \u0001 char' },
    ];
    const result = await runNode(
      sqsSinkNode,
      { connection: 'queues', queue: q.name, codec: 'string' },
      {
        connections,
        inputs,
      },
    );
    expect(result.errors.map((e) => e.text)).toEqual([
      expect.stringMatching(/over SQS's limit/),
      expect.stringMatching(/at most 10 message attributes/),
      expect.stringMatching(/SQS rejected the message/),
    ]);
    expect(result.stats.rejected).toBe(1);
    expect((await drain(q.url)).map((m) => m.Body).sort()).toEqual(['also small', 'small']);
  });

  it('FIFO: groups by message key and deduplicates a batch sent twice', async () => {
    const q = await queue({ FifoQueue: 'true', VisibilityTimeout: '60' });
    const inputs = [
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: { n: 2 } },
      { key: 'a', value: { n: 3 } },
      { key: null, value: { n: 4 } },
    ];
    const config = { connection: 'queues', queue: q.url, groupId: 'rest' };
    await runNode(sqsSinkNode, config, { connections, inputs });
    // A retry after a crash sends the same messages again: SQS drops them by deduplication id.
    await runNode(sqsSinkNode, config, { connections, inputs });
    const got = await drain(q.url);
    expect(got).toHaveLength(4);
    const groups = got.map((m) => [m.Attributes?.MessageGroupId, (JSON.parse(m.Body!) as { n: number }).n]);
    expect(groups.sort()).toEqual([
      ['a', 1],
      ['a', 3],
      ['b', 2],
      ['rest', 4],
    ]);
  });

  it('derives the deduplication id from where the message came from, else from key and body', () => {
    const base = { key: null, value: 1, headers: {}, timestamp: 0 };
    const fromSqs = deduplicationId({ ...base, meta: { messageId: 'm-1' } }, 'x');
    expect(deduplicationId({ ...base, meta: { messageId: 'm-1' } }, 'other body')).toBe(fromSqs);
    const fromKafka = deduplicationId({ ...base, meta: { topic: 't', partition: 0, offset: '5' } }, 'x');
    expect(fromKafka).not.toBe(deduplicationId({ ...base, meta: { topic: 't', partition: 0, offset: '6' } }, 'x'));
    expect(deduplicationId({ ...base, meta: {} }, 'x')).toBe(deduplicationId({ ...base, meta: {} }, 'x'));
    expect(deduplicationId({ ...base, meta: {} }, 'x')).not.toBe(deduplicationId({ ...base, meta: {} }, 'y'));
    expect(fromSqs).toMatch(/^[0-9a-f]{64}$/);
  });
});
