/**
 * SQS on the local ElasticMQ (`pnpm elasticmq start`, or SQS_ENDPOINT), for `pnpm bench`:
 * sqs-source → counter run by the engine against a hand-written @aws-sdk/client-sqs loop doing the
 * same work (receive 10, parse, DeleteMessageBatch) with as many receives open at once. Each run
 * reads its own freshly filled queue; both are timed until every message is deleted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from '../engine/index.js';
import { uniqueName } from './kafka-pipeline.js';
import { medianOf } from './median.js';

export const SQS_ENDPOINT = process.env.SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
/** Receive requests open at once, for both sides. */
const RECEIVERS = 2;
const KEY = 'TRIBUTARY_BENCH_SQS_KEY';
const SECRET = 'TRIBUTARY_BENCH_SQS_SECRET';

function sqsClient(): SQSClient {
  return new SQSClient({
    endpoint: SQS_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
}

/** A new queue with `count` JSON bodies `{ n }`, sent 10 per request, 16 requests at a time. */
async function seedQueue(client: SQSClient, count: number): Promise<string> {
  let answer;
  try {
    answer = await client.send(
      new CreateQueueCommand({ QueueName: uniqueName('bench-sqs'), Attributes: { VisibilityTimeout: '60' } }),
    );
  } catch (error) {
    throw new Error(
      `no SQS server answers at ${SQS_ENDPOINT}: start one with \`pnpm elasticmq start\` or set SQS_ENDPOINT (${(error as Error).message})`,
      { cause: error },
    );
  }
  const url = answer.QueueUrl!;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + 10);
      const entries = [];
      for (let n = start; n < next; n++) entries.push({ Id: String(n - start), MessageBody: JSON.stringify({ n }) });
      await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return url;
}

export function sqsCounterFlow(queueUrl: string): FlowDocument {
  return {
    schemaVersion: 1,
    id: 'bench-sqs',
    name: 'SQS bench',
    connections: [
      {
        id: 'queues',
        type: 'sqs',
        config: {
          endpoint: SQS_ENDPOINT,
          region: 'us-east-1',
          accessKeyId: `\${env:${KEY}}`,
          secretAccessKey: `\${env:${SECRET}}`,
        },
      },
    ],
    nodes: [
      {
        id: 'in',
        type: 'sqs-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: { connection: 'queues', queue: queueUrl, waitTimeSeconds: 1, receivers: RECEIVERS },
      },
      { id: 'count', type: 'counter', typeVersion: 1, position: { x: 200, y: 0 }, config: {} },
    ],
    edges: [{ id: 'in->count', source: 'in', sourcePort: 'out', target: 'count', targetPort: 'in' }],
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The flow until the source deleted every message; seconds. */
export async function runTributarySqs(queueUrl: string, count: number, timeoutMs = 300_000): Promise<number> {
  process.env[KEY] = 'bench';
  process.env[SECRET] = 'bench';
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-sqs-bench-'));
  const started = performance.now();
  const run = await startFlow(sqsCounterFlow(queueUrl), { registry: createNodeRegistry(), dataDir });
  try {
    await waitFor(
      'the source to delete every message',
      () => Number(run.stats().nodes.in?.custom.deleted ?? 0) >= count,
      timeoutMs,
    );
    return (performance.now() - started) / 1000;
  } finally {
    await run.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The hand-written baseline: `RECEIVERS` loops of receive → parse → DeleteMessageBatch, what people
 * write with the SDK (and what deletes only after the work, like the flow). Timed like the flow.
 */
export async function runHandWrittenSqs(client: SQSClient, queueUrl: string, count: number): Promise<number> {
  const started = performance.now();
  let done = 0;
  let sum = 0;
  const loop = async () => {
    while (done < count) {
      const answer = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = answer.Messages ?? [];
      if (messages.length === 0) continue;
      for (const m of messages) sum += (JSON.parse(m.Body!) as { n: number }).n;
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      done += messages.length;
    }
  };
  await Promise.all(Array.from({ length: RECEIVERS }, loop));
  if (sum < 0) throw new Error('unreachable'); // keeps the parse from being optimised away
  return (performance.now() - started) / 1000;
}

/** `pnpm bench` section: both consumers on the same ElasticMQ, alternated, same number of messages. */
export async function runSqsBench(): Promise<Record<string, number | number[]>> {
  const count = Number(process.env.SQS_BENCH_MESSAGES ?? 10_000);
  const runs = Number(process.env.SQS_BENCH_RUNS ?? 3);
  const client = sqsClient();
  const hand: number[] = [];
  const ours: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const a = await seedQueue(client, count);
      hand.push(Math.round(count / (await runHandWrittenSqs(client, a, count))));
      await client.send(new DeleteQueueCommand({ QueueUrl: a }));
      const b = await seedQueue(client, count);
      ours.push(Math.round(count / (await runTributarySqs(b, count))));
      await client.send(new DeleteQueueCommand({ QueueUrl: b }));
    }
  } finally {
    client.destroy();
  }
  const handRate = medianOf(hand);
  const oursRate = medianOf(ours);
  return {
    messages: count,
    hand_written_msgs_per_s: handRate,
    tributary_msgs_per_s: oursRate,
    tributary_vs_hand_written_pct: Math.round((oursRate / handRate) * 1000) / 10,
    hand_written_runs: hand,
    tributary_runs: ours,
  };
}
