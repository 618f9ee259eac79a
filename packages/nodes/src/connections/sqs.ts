/**
 * The `sqs` connection type: an SQS endpoint (Amazon SQS, ElasticMQ, LocalStack) with its region and
 * credentials, shared by the SQS nodes of a flow. Browser-safe (zod and @tributary/shared only); the
 * node-only client factory is in `sqs-client.ts`.
 */
import { z } from 'zod';
import { defineConnectionType } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

const secretRef = (what: string, label: string, order: number) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(`${what}: a \${env:NAME} or \${cred:NAME} reference, never the value itself`)
    .meta(ui({ label, widget: 'secret', secret: true, order }));

export const sqsConnectionConfig = z.strictObject({
  region: z
    .string({ error: required('the AWS region, e.g. eu-west-1') })
    .trim()
    .regex(/^[a-z0-9-]{2,40}$/, 'a region name such as eu-west-1')
    .default('us-east-1')
    .describe('AWS region of the queues (ElasticMQ and LocalStack accept any)')
    .meta(ui({ label: 'Region', placeholder: 'eu-west-1', order: 1 })),
  endpoint: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL such as http://127.0.0.1:9324' })
    .optional()
    .describe("The service's URL; empty for Amazon SQS itself, http://127.0.0.1:9324 for a local ElasticMQ")
    .meta(ui({ label: 'Endpoint', placeholder: 'http://127.0.0.1:9324', order: 2 })),
  accessKeyId: secretRef(
    'Access key id (empty: the usual AWS chain of environment, profile, instance role)',
    'Access key id',
    3,
  ),
  secretAccessKey: secretRef('Secret access key', 'Secret access key', 4),
  sessionToken: secretRef('Session token of temporary credentials', 'Session token', 5),
  requestTimeoutMs: z
    .int()
    .min(1000)
    .max(300_000)
    .default(30_000)
    .describe('How long a request waits for an answer before it fails and is retried (long polls add their wait)')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Request timeout', advanced: true, order: 6 })),
});

export type SqsConnectionConfig = z.output<typeof sqsConnectionConfig>;

/**
 * The `sqs` connection type.
 *
 * @example
 * // a local ElasticMQ (`pnpm elasticmq start`):
 * // { "id": "queues", "type": "sqs", "config": { "endpoint": "http://127.0.0.1:9324", "region": "us-east-1" } }
 * // Amazon SQS with keys kept as credentials:
 * // { "region": "eu-west-1", "accessKeyId": "${cred:AWS_KEY}", "secretAccessKey": "${cred:AWS_SECRET}" }
 */
export const sqsConnection = defineConnectionType({
  type: 'sqs',
  label: 'Amazon SQS',
  description: 'An SQS endpoint (Amazon SQS, ElasticMQ, LocalStack): region, endpoint, credentials',
  config: sqsConnectionConfig,
});

/** The config field a node uses to name its SQS connection. */
export function sqsConnectionField(order = 0) {
  return z
    .string({ error: required('the SQS connection to use') })
    .trim()
    .min(1, 'required: the SQS connection to use')
    .describe('The SQS endpoint and credentials (a connection of the flow)')
    .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'sqs', order }));
}

/** The queue field of the SQS nodes: a queue URL, or a name looked up with GetQueueUrl. */
export function queueField(order: number, what: string) {
  return z
    .string({ error: required(`the queue ${what}: its URL or its name`) })
    .trim()
    .min(1, `required: the queue ${what}`)
    .max(2048)
    .refine((v) => /^https?:\/\//.test(v) || /^[a-zA-Z0-9_-]{1,75}(\.fifo)?$/.test(v), {
      message: 'a queue URL (http(s)://…) or a queue name (letters, digits, "-", "_", ending ".fifo" for FIFO)',
    })
    .describe(`The queue ${what}: its URL, or its name (looked up on start)`)
    .meta(
      ui({ label: 'Queue', placeholder: 'orders or https://sqs.eu-west-1.amazonaws.com/123456789012/orders', order }),
    );
}
