import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { codecField } from '../lib/codec-field.js';
import { queueField, sqsConnectionField } from '../connections/sqs.js';
import { ui } from '../lib/schema.js';

export const sqsSinkManifest = defineManifest({
  type: 'sqs-sink',
  typeVersion: 1,
  kind: 'sink',
  label: 'SQS sink',
  description: 'Sends messages to an Amazon SQS queue (or ElasticMQ) in batches of up to 10',
  category: 'queues',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Sends each message to *Queue* with SendMessageBatch (up to 10 entries and 256 KiB per request): the
value encoded with *Codec* is the body, and the headers become String message attributes (at most
10, SQS's limit). A batch is confirmed only once SQS accepted every entry; entries SQS refuses for
a passing reason (throttling, server errors) are sent again — only those — and entries it rejects
for good (too large, invalid characters) go to the **error** port, counted.

**FIFO queues** (name ending \`.fifo\`): the message group id is the message key (messages without a
key use *Group id*), and the deduplication id is derived from the message itself — the SQS message
id or Kafka topic/partition/offset it came from, else a hash of key and body — so a message sent
again after a crash or a retry within SQS's 5-minute window is dropped by SQS, not duplicated.
Batches to a FIFO queue are sent one after another to keep the order.
`.trim(),
  config: z.strictObject({
    connection: sqsConnectionField(0),
    queue: queueField(1, 'to send to'),
    codec: codecField(2, 'How message values are written as bodies: json, string (text) or bytes (UTF-8 text)'),
    headers: z
      .boolean()
      .default(true)
      .describe('Send the message headers as String message attributes')
      .meta(ui({ label: 'Headers', order: 3 })),
    groupId: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .default('default')
      .describe('FIFO queues: the message group id of messages without a key')
      .meta(ui({ label: 'Group id', placeholder: 'default', advanced: true, order: 4 })),
    delaySeconds: z
      .int()
      .min(0)
      .max(900)
      .optional()
      .describe('Standard queues: how long before a sent message becomes visible (the queue default if empty)')
      .meta(ui({ widget: 'duration', unit: 's', label: 'Delay', advanced: true, order: 5 })),
    parallel: z
      .int()
      .min(1)
      .max(32)
      .default(4)
      .describe('Standard queues: batch requests on the wire at once')
      .meta(ui({ label: 'Parallel requests', advanced: true, order: 6 })),
  }),
});
