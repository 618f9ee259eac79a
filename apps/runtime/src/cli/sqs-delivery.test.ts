/**
 * SQS delivery end to end, against the real ElasticMQ (`pnpm elasticmq start`, or SQS_ENDPOINT; these
 * tests fail, never skip, without one): sqs-source → function → sqs-sink flows run as real
 * `tributary run` processes, killed with SIGKILL mid-stream or slowed past the visibility timeout.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { FlowDocument } from '@tributary/shared';
import {
  createTestQueue,
  peek,
  queueDepth,
  requireSqsServer,
  sendBodies,
  sqsTestConnection,
  testSqsClient,
  type TestQueue,
} from '@tributary/nodes/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRuntimes } from '../testing/delivery-fixtures.js';
import { waitUntil } from '../testing/kafka-harness.js';

let client: SQSClient;
const { runtime, defer } = useRuntimes();

async function queue(attributes: Record<string, string> = {}): Promise<TestQueue> {
  const q = await createTestQueue(client, 'delivery', attributes);
  defer(() => q.remove());
  return q;
}

/** sqs-source → function (writes `{ id, by, rc }`, after `delayMs`) → sqs-sink. */
function sqsFlow(input: string, output: string, worker: string, o: { delayMs?: number; maxInFlight?: number } = {}) {
  const wait = o.delayMs ? `await new Promise((resolve) => setTimeout(resolve, ${o.delayMs}));` : '';
  const flow: FlowDocument = {
    schemaVersion: 1,
    id: `sqs-delivery-${worker.toLowerCase()}`,
    name: `SQS delivery (${worker})`,
    connections: [
      {
        id: 'queues',
        type: 'sqs',
        config: {
          endpoint: sqsTestConnection.endpoint,
          region: sqsTestConnection.region,
          // Secrets are references in a flow; the runtime process inherits these variables.
          accessKeyId: '${env:TRIBUTARY_TEST_SQS_KEY}',
          secretAccessKey: '${env:TRIBUTARY_TEST_SQS_SECRET}',
        },
      },
    ],
    nodes: [
      {
        id: 'in',
        type: 'sqs-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: { connection: 'queues', queue: input, waitTimeSeconds: 1, maxInFlight: o.maxInFlight ?? 50 },
      },
      {
        id: 'tag',
        type: 'function',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: {
          code: `${wait} return { value: { id: msg.value.id, by: ${JSON.stringify(worker)}, rc: msg.meta.receiveCount } };`,
          ...(o.delayMs ? { concurrency: 64 } : {}),
        },
      },
      {
        id: 'out',
        type: 'sqs-sink',
        typeVersion: 1,
        position: { x: 400, y: 0 },
        config: { connection: 'queues', queue: output },
      },
    ],
    edges: [
      { id: 'in->tag', source: 'in', sourcePort: 'out', target: 'tag', targetPort: 'in' },
      { id: 'tag->out', source: 'tag', sourcePort: 'out', target: 'out', targetPort: 'in' },
    ],
  };
  return flow;
}

interface OutputRecord {
  id: number;
  by: string;
  rc: number;
}

/** Receives and deletes everything in `url` into `into` until `done` says stop. */
async function collect(url: string, into: OutputRecord[], done: () => boolean): Promise<void> {
  const { DeleteMessageBatchCommand } = await import('@aws-sdk/client-sqs');
  while (!done()) {
    const got: Message[] = await peek(client, url, 1);
    if (got.length === 0) continue;
    for (const m of got) into.push(JSON.parse(m.Body!) as OutputRecord);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

function idCounts(records: readonly OutputRecord[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}

beforeAll(async () => {
  process.env.TRIBUTARY_TEST_SQS_KEY = sqsTestConnection.accessKeyId;
  process.env.TRIBUTARY_TEST_SQS_SECRET = sqsTestConnection.secretAccessKey;
  client = testSqsClient();
  await requireSqsServer(client);
});

afterAll(() => client?.destroy());

describe('sqs delivery (real tributary run processes, real ElasticMQ)', () => {
  it('kill -9 mid-stream loses nothing: what was not confirmed comes back to the next run', async () => {
    const COUNT = 3000;
    const MAX_IN_FLIGHT = 50;
    // A short visibility timeout: what the killed run held comes back after 5 s, not 30.
    const input = await queue({ VisibilityTimeout: '5' });
    const output = await queue({ VisibilityTimeout: '60' });
    await sendBodies(
      client,
      input.url,
      Array.from({ length: COUNT }, (_, id) => JSON.stringify({ id })),
    );
    const records: OutputRecord[] = [];
    let collecting = true;
    const collector = collect(output.url, records, () => !collecting);
    try {
      const first = runtime(sqsFlow(input.url, output.url, 'A', { maxInFlight: MAX_IN_FLIGHT }));
      await waitUntil(
        'the first run to be mid-stream',
        () => records.length >= 300,
        60_000,
        () => first.log,
      );
      first.kill();
      await first.exited;
      expect(records.length).toBeLessThan(COUNT); // it really was killed mid-stream

      const second = runtime(sqsFlow(input.url, output.url, 'B', { maxInFlight: MAX_IN_FLIGHT }));
      await waitUntil(
        'every id in the output',
        () => idCounts(records).size === COUNT,
        120_000,
        () => `${idCounts(records).size} of ${COUNT} ids; ${second.log}`,
      );
      expect(await second.stop()).toBe(0);
      await waitUntil('the input queue to be empty', async () => {
        const depth = await queueDepth(client, input.url);
        return depth.visible === 0 && depth.inFlight === 0;
      });
    } finally {
      collecting = false;
      await collector;
    }
    const duplicates = records.length - idCounts(records).size;
    // Only what the killed run had received and not yet deleted can come twice: bounded by the cap
    // in flight plus the deletes on the wire (4 requests of 10).
    expect(duplicates).toBeLessThanOrEqual(MAX_IN_FLIGHT + 40);
    // Those that came twice were redelivered by SQS (receive count 2), nothing else.
    const twice = [...idCounts(records)].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of twice) expect(records.some((r) => r.id === id && r.by === 'B' && r.rc >= 2)).toBe(true);
    console.log(`kill -9: ${COUNT} ids, ${duplicates} duplicates (cap in flight ${MAX_IN_FLIGHT})`);
  }, 240_000);

  it('a flow slower than the visibility timeout gets no duplicate: the source extends it', async () => {
    const COUNT = 30;
    const input = await queue({ VisibilityTimeout: '2' });
    const output = await queue({ VisibilityTimeout: '60' });
    await sendBodies(
      client,
      input.url,
      Array.from({ length: COUNT }, (_, id) => JSON.stringify({ id })),
    );
    const records: OutputRecord[] = [];
    let collecting = true;
    const collector = collect(output.url, records, () => !collecting);
    try {
      // Each message spends 5 s in the flow: two and a half visibility timeouts.
      const run = runtime(sqsFlow(input.url, output.url, 'slow', { delayMs: 5000, maxInFlight: 10 }));
      await waitUntil(
        'every id in the output',
        () => idCounts(records).size === COUNT,
        120_000,
        () => run.log,
      );
      expect(await run.stop()).toBe(0);
      const extended = run.latest?.nodes.in?.custom.extended;
      expect(typeof extended === 'number' && extended > 0).toBe(true);
    } finally {
      collecting = false;
      await collector;
    }
    expect(records).toHaveLength(COUNT);
    expect(records.every((r) => r.rc === 1)).toBe(true);
    expect(await queueDepth(client, input.url)).toEqual({ visible: 0, inFlight: 0 });
  }, 180_000);
});
