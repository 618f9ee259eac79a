/**
 * Node-only: turns a flow's `sqs` connection into an @aws-sdk/client-sqs client. Never imported by
 * manifests (the AWS SDK must stay out of the editor's bundle).
 */
import { GetQueueUrlCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { NodeContext } from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import { connectionOf } from './connection-of.js';
import { sqsConnection, type SqsConnectionConfig } from './sqs.js';

/** The parsed `sqs` connection `id`; a NodeConfigError naming the connection and field otherwise. */
export function sqsConnectionOf(ctx: NodeContext, id: string, field = 'connection'): SqsConnectionConfig {
  const connection = connectionOf(ctx, id, sqsConnection, field);
  if ((connection.accessKeyId === undefined) !== (connection.secretAccessKey === undefined))
    throw new NodeConfigError(
      `connection "${id}": give both the access key id and the secret access key, or neither (the AWS chain)`,
      field,
    );
  return connection;
}

/**
 * SDK options for a connection. `longPollSeconds` is added to the request timeout so a long poll is
 * never cut short by it.
 */
export function sqsClientConfig(connection: SqsConnectionConfig, longPollSeconds = 0): SQSClientConfig {
  return {
    region: connection.region,
    ...(connection.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
    ...(connection.accessKeyId === undefined || connection.secretAccessKey === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: connection.accessKeyId,
            secretAccessKey: connection.secretAccessKey,
            ...(connection.sessionToken === undefined ? {} : { sessionToken: connection.sessionToken }),
          },
        }),
    // The SDK's own retries (throttling, 5xx, network) with its jittered backoff.
    maxAttempts: 5,
    requestHandler: { requestTimeout: connection.requestTimeoutMs + longPollSeconds * 1000 },
  };
}

/** An SQS client for a connection. Close with `client.destroy()`. */
export function createSqsClient(connection: SqsConnectionConfig, longPollSeconds = 0): SQSClient {
  return new SQSClient(sqsClientConfig(connection, longPollSeconds));
}

/** The queue's URL: `queue` itself when it is one, else looked up by name. */
export async function resolveQueueUrl(client: SQSClient, queue: string, signal?: AbortSignal): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  try {
    const answer = await client.send(new GetQueueUrlCommand({ QueueName: queue }), { abortSignal: signal });
    if (!answer.QueueUrl) throw new Error('no QueueUrl in the answer');
    return answer.QueueUrl;
  } catch (error) {
    throw new Error(`queue "${queue}" not found: ${describeSqsError(error)}`, { cause: error });
  }
}

/** An SDK error as one line: its name and message (the SDK's messages are often empty). */
export function describeSqsError(error: unknown): string {
  const e = error as { name?: string; message?: string; Code?: string } | null;
  if (e === null || typeof e !== 'object') return String(error);
  const name = e.name ?? e.Code ?? 'Error';
  return e.message ? `${name}: ${e.message}` : name;
}
