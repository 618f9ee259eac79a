import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { kafkaConnectionField } from '../connections/kafka.js';
import { avroField, codecFieldWithAvro } from '../lib/codec-field.js';
import { required, ui } from '../lib/schema.js';

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export const kafkaSinkManifest = defineManifest({
  type: 'kafka-sink',
  typeVersion: 1,
  kind: 'sink',
  label: 'Kafka sink',
  description: 'Produces messages to a Kafka topic and confirms them once the brokers acknowledged them',
  category: 'kafka',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Writes each message as a record: the message key becomes the record key, the value is encoded
with *Codec*, and the message headers become record headers (turn *Headers* off to drop them). A
keyed record goes to the partition Kafka's Java client would choose for its key, so one key's
records stay in order whichever client wrote them; messages without a key are spread over the
partitions (a batch to a partition with the default client, one by one with kafkajs).

**Topic.** Every record goes to *Topic*, unless *Topic header* or *Topic field* is set and the
message has a non-empty value there: the header of that name, or the value's field at that dotted
path (\`target.topic\`). *Partition* pins every record to one partition.

**Durability.** A batch is confirmed (and so committed by a Kafka source upstream) only when the
brokers acknowledged it: with *Acks* \`all\`, once every in-sync replica has it. \`1\` waits for the
leader only; \`0\` does not wait at all, so a confirmed message may still be lost. The idempotent
producer (default on; needs acks \`all\`) keeps retries from writing a record twice.

**Broker outages.** A send that fails for a reason that may pass (broker restarting or
unreachable, leader moving, request timed out) is tried again with growing pauses, for up to
*Delivery timeout* (default 2 minutes, like the Java client's \`delivery.timeout.ms\`; 0 = never give
up). Meanwhile the flow's queues fill and the sources slow down or pause: nothing is confirmed, so
nothing is committed. A batch still unwritten after that, or refused for good (record too large,
not authorised), goes to the **error** port.

**Record time.** A record carries its message's timestamp (a window's result: the window's end).
Brokers delete records by that time (\`retention.ms\`), so results about old event time (a replay of
last month's data) can be deleted minutes after they are written. Set *Record time* to \`write\` to
stamp the time of writing instead.

A message that cannot be encoded (a value JSON cannot represent, bytes that are not a Buffer or
string) goes to the **error** port; the rest of the batch is still written.

Stats: \`inFlight\` (records sent, not yet acknowledged), \`acknowledged\`, \`errors\`, \`retries\`
(sends tried again after a transient failure).
`.trim(),
  config: z
    .strictObject({
      connection: kafkaConnectionField(),
      topic: z
        .string({ error: required('the topic to write to, e.g. orders-enriched') })
        .trim()
        .regex(TOPIC, 'a topic name is 1-249 letters, digits, ".", "_" or "-"')
        .describe('Topic to write to (the fallback when a topic header or field is set but missing)')
        .meta(ui({ label: 'Topic', placeholder: 'orders-enriched', order: 1 })),
      topicHeader: z
        .string()
        .trim()
        .min(1)
        .optional()
        .describe('Take the topic from this message header when the message has it')
        .meta(ui({ label: 'Topic header', advanced: true, order: 2 })),
      topicField: z
        .string()
        .trim()
        .regex(/^[^.]+(\.[^.]+)*$/, 'a dotted path into the value, e.g. target.topic')
        .optional()
        .describe('Take the topic from this field of the value (dotted path) when it is a non-empty string')
        .meta(ui({ label: 'Topic field', placeholder: 'target.topic', advanced: true, order: 3 })),
      codec: codecFieldWithAvro(
        4,
        'How values are written: json (JSON text), string (text as is), bytes (Buffer or string) or avro (set Avro below)',
      ),
      avro: avroField(11),
      headers: z
        .boolean()
        .default(true)
        .describe('Write the message headers as record headers')
        .meta(ui({ label: 'Headers', order: 5 })),
      partition: z
        .int()
        .min(0)
        .optional()
        .describe('Write every record to this partition; leave empty to partition by key')
        .meta(ui({ label: 'Partition', placeholder: 'by key', advanced: true, order: 6 })),
      acks: z
        .enum(['all', '1', '0'])
        .default('all')
        .describe('Acknowledgement to wait for: all in-sync replicas, the leader only (1), or none (0)')
        .meta(ui({ label: 'Acks', widget: 'select', order: 7 })),
      compression: z
        .enum(['none', 'gzip'])
        .default('none')
        .describe('Compress record batches')
        .meta(ui({ label: 'Compression', widget: 'select', advanced: true, order: 8 })),
      idempotent: z
        .boolean()
        .default(true)
        .describe('Idempotent producer: retries never write a record twice (needs acks "all")')
        .meta(ui({ label: 'Idempotent', advanced: true, order: 9 })),
      deliveryTimeoutMs: z
        .int()
        .min(0)
        .default(120_000)
        .describe('How long to keep retrying a batch through transient broker failures (0 = forever)')
        .meta(ui({ widget: 'duration', unit: 'ms', label: 'Delivery timeout', advanced: true, order: 10 })),
      timestamp: z
        .enum(['message', 'write'])
        .default('message')
        .describe(
          "Each record's timestamp: the message's (event time), or the time of writing (keeps results of old data from retention)",
        )
        .meta(ui({ label: 'Record time', widget: 'select', advanced: true, order: 12 })),
    })
    .superRefine((config, ctx) => {
      if (config.idempotent && config.acks !== 'all')
        ctx.addIssue({
          code: 'custom',
          path: ['acks'],
          message: 'the idempotent producer needs acks "all": set acks to all, or turn idempotent off',
        });
    }),
});
