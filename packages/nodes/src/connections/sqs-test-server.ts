/**
 * Test helper: the local ElasticMQ (`pnpm elasticmq start`, or SQS_ENDPOINT) and queues with unique
 * names, so parallel test runs never share one. Tests fail, never skip, without a server.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';

export const SQS_ENDPOINT = process.env.SQS_ENDPOINT ?? 'http://127.0.0.1:9324';

/** The `sqs` connection config of the local server. */
export const sqsTestConnection = {
  endpoint: SQS_ENDPOINT,
  region: 'us-east-1',
  accessKeyId: 'test',
  secretAccessKey: 'test',
} as const;

export function testSqsClient(): SQSClient {
  return new SQSClient({
    endpoint: SQS_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

export function uniqueQueueName(prefix: string, fifo = false): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}${fifo ? '.fifo' : ''}`;
}

/** Fails with a readable hint when nothing answers at SQS_ENDPOINT. */
export async function requireSqsServer(client: SQSClient): Promise<void> {
  try {
    await client.send(
      new GetQueueAttributesCommand({ QueueUrl: `${SQS_ENDPOINT}/000000000000/none`, AttributeNames: ['All'] }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (/QueueDoesNotExist|NonExistentQueue/.test(name)) return;
    throw new Error(
      `No SQS server answers at ${SQS_ENDPOINT}: start one with \`pnpm elasticmq start\` (repository root) or set SQS_ENDPOINT (${(error as Error).message})`,
      { cause: error },
    );
  }
}

export interface TestQueue {
  readonly name: string;
  readonly url: string;
  remove(): Promise<void>;
}

/** Creates a queue (attributes as SQS takes them, e.g. { VisibilityTimeout: '2' }). */
export async function createTestQueue(
  client: SQSClient,
  prefix: string,
  attributes: Record<string, string> = {},
): Promise<TestQueue> {
  const fifo = attributes.FifoQueue === 'true';
  const name = uniqueQueueName(prefix, fifo);
  const answer = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = answer.QueueUrl!;
  return { name, url, remove: () => client.send(new DeleteQueueCommand({ QueueUrl: url })).then(() => undefined) };
}

/** Sends bodies in batches of 10. */
export async function sendBodies(client: SQSClient, url: string, bodies: readonly string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const answer = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
    if (answer.Failed?.length) throw new Error(`send failed: ${JSON.stringify(answer.Failed)}`);
  }
}

/** Visible and in-flight message counts of a queue. */
export async function queueDepth(client: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const answer = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Receives (without deleting) what is visible now: one short poll of up to 10. */
export async function peek(client: SQSClient, url: string, waitSeconds = 0): Promise<Message[]> {
  const answer = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return answer.Messages ?? [];
}

export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
