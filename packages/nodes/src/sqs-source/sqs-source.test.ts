/**
 * sqs-source against the real ElasticMQ (`pnpm elasticmq start`, or SQS_ENDPOINT): every test makes
 * its own queues. The AWS SDK itself is the peer that fills and inspects them.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestQueue,
  peek,
  queueDepth,
  requireSqsServer,
  sendBodies,
  sqsTestConnection,
  testSqsClient,
  waitFor,
  type TestQueue,
} from '../connections/sqs-test-server.js';
import { runNode } from '../testing/index.js';
import { sqsSourceNode } from './runtime.js';

let client: SQSClient;
const queues: TestQueue[] = [];
const connections = { queues: sqsTestConnection };

async function queue(attributes: Record<string, string> = {}): Promise<TestQueue> {
  const q = await createTestQueue(client, 'src', attributes);
  queues.push(q);
  return q;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i }));

beforeAll(async () => {
  client = testSqsClient();
  await requireSqsServer(client);
});

afterEach(async () => {
  for (const q of queues.splice(0)) await q.remove().catch(() => undefined);
});

afterAll(() => client?.destroy());

describe('sqs-source', () => {
  it('emits decoded messages with id, receive count, attributes and headers, and deletes them once confirmed', async () => {
    const q = await queue();
    await client.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: '{"order":7}',
        MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
      }),
    );
    await sendBodies(client, q.url, ids(24));
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.url, waitTimeSeconds: 1 },
      {
        connections,
        until: { messages: 25 },
      },
    );
    const values = result.outputs.out!.map((m) => m.value);
    expect(values).toContainEqual({ order: 7 });
    expect(values.filter((v) => typeof (v as { id?: number }).id === 'number')).toHaveLength(24);
    const order = result.outputs.out!.find((m) => (m.value as { order?: number }).order === 7)!;
    expect(order.headers).toEqual({ tenant: 'acme' });
    expect(order.meta.receiveCount).toBe(1);
    expect(typeof order.meta.messageId).toBe('string');
    expect((order.meta.attributes as Record<string, string>).SentTimestamp).toMatch(/^\d+$/);
    expect(order.meta.queue).toBe(q.url);
    await waitFor('the confirmed messages to be deleted', async () => {
      const depth = await queueDepth(client, q.url);
      return depth.visible === 0 && depth.inFlight === 0;
    });
  });

  it('looks a queue up by name', async () => {
    const q = await queue();
    await sendBodies(client, q.url, ['"hello"']);
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.name, waitTimeSeconds: 1 },
      {
        connections,
        until: { messages: 1 },
      },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual(['hello']);
  });

  it('hands messages the flow did not confirm back to the queue at once', async () => {
    const q = await queue({ VisibilityTimeout: '120' });
    await sendBodies(client, q.url, ids(5));
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.url, waitTimeSeconds: 1, onFailure: 'visible-now' },
      {
        connections,
        until: { messages: 5 },
        ack: 'fail',
      },
    );
    expect(result.outputs.out).toHaveLength(5);
    // Without the hand-back they would stay invisible for 120 s.
    const again = await waitFor('the failed messages to be visible again', async () => {
      const got = await peek(client, q.url, 1);
      return got.length > 0 ? got : null;
    });
    expect(Number(again[0]!.Attributes?.ApproximateReceiveCount)).toBe(2);
  });

  it('never has more than maxInFlight messages unconfirmed, and leaves the rest in the queue', async () => {
    const q = await queue({ VisibilityTimeout: '60' });
    await sendBodies(client, q.url, ids(30));
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.url, waitTimeSeconds: 1, maxInFlight: 7, receivers: 3 },
      {
        connections,
        until: { ms: 3000 },
        ack: 'none',
        keepOpen: true,
      },
    );
    expect(result.outputs.out).toHaveLength(7);
    expect((await queueDepth(client, q.url)).visible).toBe(23);
    for (const ack of result.pendingAcks) ack(true);
  });

  it('keeps messages invisible past the visibility timeout while the flow holds them, and deletes them after', async () => {
    const q = await queue({ VisibilityTimeout: '2' });
    await sendBodies(client, q.url, ids(3));
    const competitor: string[] = [];
    let watching = true;
    let watch: Promise<void> | undefined;
    // Once the source has the messages another consumer polls all along: without heartbeats it
    // would get them after 2 s.
    const startWatching = () =>
      (watch ??= (async () => {
        while (watching) for (const m of await peek(client, q.url, 1)) competitor.push(m.Body ?? '');
      })());
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.url, waitTimeSeconds: 1 },
      { connections, until: { ms: 7000 }, ack: 'none', keepOpen: true, onEmit: () => void startWatching() },
    );
    expect(result.outputs.out).toHaveLength(3);
    expect(Number(result.stats.extended)).toBeGreaterThanOrEqual(3);
    for (const ack of result.pendingAcks) ack(true);
    // Deletion runs with the acks; close waits for it.
    await waitFor('the held messages to be deleted', async () => (await queueDepth(client, q.url)).inFlight === 0);
    watching = false;
    await watch;
    expect(competitor).toEqual([]);
    expect((await queueDepth(client, q.url)).visible).toBe(0);
  });

  it('sends an undecodable body to the error port with its raw text, and deletes it once handled', async () => {
    const q = await queue();
    await sendBodies(client, q.url, ['not json', '{"ok":true}']);
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.url, waitTimeSeconds: 1 },
      {
        connections,
        until: { ms: 2500 },
      },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual([{ ok: true }]);
    expect(result.errors.map((e) => e.message.value)).toEqual(['not json']);
    expect(result.errors[0]!.code).toBe('E_DECODE');
    await waitFor('both to be deleted', async () => {
      const depth = await queueDepth(client, q.url);
      return depth.visible === 0 && depth.inFlight === 0;
    });
  });

  it('lets the redrive policy move a poison message to the dead-letter queue after maxReceiveCount receives', async () => {
    const dlq = await queue();
    const dlqArn = `arn:aws:sqs:us-east-1:000000000000:${dlq.name}`;
    const q = await queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) });
    await sendBodies(client, q.url, ['{"poison": ', '{"fine":1}']);
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: q.url, waitTimeSeconds: 1, undecodable: 'redrive' },
      {
        connections,
        until: { ms: 6000 },
      },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual([{ fine: 1 }]);
    expect(result.errors).toEqual([]);
    const dead = await waitFor('the poison message in the dead-letter queue', async () => {
      const got = await peek(client, dlq.url, 1);
      return got.length > 0 ? got : null;
    });
    expect(dead.map((m) => m.Body)).toEqual(['{"poison": ']);
    expect(Number(result.stats.returned)).toBeGreaterThanOrEqual(3);
    expect(await queueDepth(client, q.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('fails to start with a clear error when the queue does not exist', async () => {
    const result = await runNode(
      sqsSourceNode,
      { connection: 'queues', queue: 'no-such-queue-here', waitTimeSeconds: 1 },
      {
        connections,
        until: { ms: 3000 },
      },
    ).catch((error: unknown) => error as Error);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/queue "no-such-queue-here" not found/);
  });
});
