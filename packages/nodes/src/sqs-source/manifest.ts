import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { codecField } from '../lib/codec-field.js';
import { queueField, sqsConnectionField } from '../connections/sqs.js';
import { ui } from '../lib/schema.js';

export const sqsSourceManifest = defineManifest({
  type: 'sqs-source',
  typeVersion: 1,
  kind: 'source',
  label: 'SQS source',
  description:
    'Receives messages from an Amazon SQS queue (or ElasticMQ), deleting each only once the flow confirmed it',
  category: 'queues',
  inputs: [],
  outputs: [{ name: 'out', label: 'messages' }],
  docs: `
Long-polls *Queue* and emits each SQS message with its body decoded by *Codec*. \`key\` is the
FIFO message group id (null on standard queues), \`headers\` are the message attributes of type
String and Number, \`timestamp\` is when SQS received it, and \`meta\` holds \`messageId\`,
\`receiveCount\` (how often SQS has handed it out, this time included), \`queue\` and the system
\`attributes\` (SentTimestamp, MessageGroupId, SequenceNumber …).

**Delivery: at least once.** A message is deleted (DeleteMessageBatch; only the failed entries are
tried again) only after every message derived from it was confirmed by the sinks. A message the
flow did not confirm (the flow stopped first) becomes visible again according to *On failure*: at
once, after *Retry delay*, or when the queue's visibility timeout runs out. Combined with the queue's
redrive policy this is how SQS's own dead-letter queue sees poison messages. While a message is in
the flow its visibility is extended every half visibility timeout (read from the queue on start),
so a slow sink does not make it reappear and be handled twice. A crash (\`kill -9\`) loses nothing:
what was not confirmed comes back after the visibility timeout.

*Not* like the SQS helper of Dataiku's streaming endpoints, which deletes each message as soon as it
is received: a crash or a failing step there loses the messages it had taken.

**Backpressure.** At most *Max in flight* messages are received and not yet confirmed; while the flow
is full, no receive is made (the messages stay in the queue for other consumers). A node after it
that holds messages until later input comes (a **window**) must hold fewer than *Max in flight*, or
it would wait for input this source never receives: such a flow is refused at deploy.

A body the codec cannot read goes to the **error** port (and is deleted once that is handled) —
or, with *Undecodable* set to \`redrive\`, is handed back to the queue so that its redrive policy moves
it to the dead-letter queue after \`maxReceiveCount\` receives. To dead-letter messages that fail
later in the flow, wire the failing node's error port to an SQS sink writing to the dead-letter queue.

Stats: \`inFlight\`, \`received\`, \`deleted\`, \`deleteErrors\` (entries that could not be deleted),
\`returned\` (made visible again), \`extended\` (visibility extensions), \`receiveErrors\`.
`.trim(),
  // No receive while this many are unconfirmed: a window behind it must hold fewer (checked at deploy).
  maxUnconfirmed: (config) => config.maxInFlight as number,
  config: z.strictObject({
    connection: sqsConnectionField(0),
    queue: queueField(1, 'to read'),
    codec: codecField(2, 'How message bodies are read: json (parsed), string (text) or bytes'),
    maxInFlight: z
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe('Most messages received and not yet confirmed; no receive is made while this many are in the flow')
      .meta(ui({ label: 'Max in flight', order: 3 })),
    waitTimeSeconds: z
      .int()
      .min(0)
      .max(20)
      .default(20)
      .describe('Long polling: how long one receive waits for messages when the queue is empty (0-20 s)')
      .meta(ui({ widget: 'duration', unit: 's', label: 'Wait time', advanced: true, order: 4 })),
    receivers: z
      .int()
      .min(1)
      .max(16)
      .default(2)
      .describe('Receive requests kept open at once (more: higher throughput on a busy queue)')
      .meta(ui({ label: 'Concurrent receives', advanced: true, order: 5 })),
    onFailure: z
      .enum(['visible-now', 'visible-after', 'queue-timeout'])
      .default('visible-now')
      .describe(
        'What happens to a message the flow did not confirm: visible again at once, after the retry delay, or when the queue visibility timeout ends',
      )
      .meta(ui({ label: 'On failure', widget: 'select', order: 6 })),
    retryDelaySeconds: z
      .int()
      .min(0)
      .max(43_200)
      .default(30)
      .describe('For "visible-after": how long before a failed message is visible again')
      .meta(ui({ widget: 'duration', unit: 's', label: 'Retry delay', advanced: true, order: 7 })),
    undecodable: z
      .enum(['error-port', 'redrive'])
      .default('error-port')
      .describe(
        'A body the codec cannot read: to the error port (then deleted), or back to the queue so its redrive policy dead-letters it',
      )
      .meta(ui({ label: 'Undecodable', widget: 'select', advanced: true, order: 8 })),
  }),
});
