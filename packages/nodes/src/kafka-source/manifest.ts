import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { kafkaConnectionField } from '../connections/kafka.js';
import { avroField, codecFieldWithAvro } from '../lib/codec-field.js';
import { batchSizeField, required, ui } from '../lib/schema.js';

/** Kafka's own limit for topic names: letters, digits, `.`, `_`, `-`, at most 249 characters. */
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export const kafkaSourceManifest = defineManifest({
  type: 'kafka-source',
  typeVersion: 1,
  kind: 'source',
  label: 'Kafka source',
  description: 'Consumes one or more Kafka topics in a consumer group, committing offsets once messages are handled',
  category: 'kafka',
  inputs: [],
  outputs: [{ name: 'out', label: 'records' }],
  docs: `
Reads *Topics* as a member of the consumer group *Group id*: run the same flow in several places
with the same group and Kafka spreads the partitions over them. Each message carries the record's
key, value (decoded with *Codec*), headers and timestamp; \`meta\` holds \`topic\`, \`partition\`
and \`offset\`.

**Delivery.** \`at-least-once\` (default) commits, per partition, only the offset below which every
message has been confirmed by the sinks (or dropped on purpose), so nothing is lost if the flow
stops or crashes; some messages may be seen twice after a restart. \`at-most-once\` commits each
batch before sending it on: nothing is seen twice, but a crash can lose what was in flight.

**Start from** applies only when the group has no committed offset for a partition; otherwise the
group resumes where it left off. \`committed\` refuses to start while any partition of the topics has
no committed offset for the group (a safety net for a group that must never skip or replay).

With codec \`avro\`, values are plain Avro binary of *Avro schema*, or (with a *Schema registry*
connection) the Confluent wire format, resolved to *Avro schema* when it is set too. While the registry
is unreachable the partition waits and retries (nothing goes to the error port).

A record the codec cannot read (invalid JSON, invalid UTF-8 for \`string\`, bad Avro) goes to the **error**
port with its raw value (base64 in \`value\` and \`meta.valueEncoding: 'base64'\` when it is not
text); its offset is committed once that is handled. A slow flow pauses the partitions it is
behind on instead of buffering.

**Commits** happen every *Commit interval* or as soon as *Commit every* messages were confirmed,
whichever comes first. *Group instance id* (static membership, platformatic client) lets a
restarted runtime take its partitions back without waiting for the session timeout, and without a
rebalance of the other members. kafkajs has no static membership: with that client the node
refuses the setting. A static member does not leave the group when it stops (its partitions wait
for it, up to the session timeout); give each runtime its own id.
*Positions from* names a sink that stores offsets in its own transaction: the source then asks it
where to resume, on start and on every partition assignment. A **checkpoint** in *reprocess* mode
rewinds (seeks) the partitions it reads to where a downtime began; the commit then waits for what
is read again.

A message the flow **fails** (not confirmed: a cache write the store failed or fenced) is read
again without a restart: its partition pauses (0.2 s, growing to 10 s while it keeps failing) and
resumes from the lowest unconfirmed offset — never past the failed message. What was read before
and is still in the flow is ignored by the commit (and refused by the cache's writers).

Stats: \`lag\` (messages not yet confirmed by the flow, up to the end, per
\`topic-partition\`), \`lagSeconds\` (age of the last record read, per partition, 0 when
caught up), \`committed\` (last committed offset per partition), \`partitions\` (owned now),
\`rebalances\`, \`pauses\` (partitions paused under backpressure: the flow's queue stayed full for more
than 50 ms), \`commitErrors\`, \`restarts\`
(consumer restarts after broker errors), \`unconfirmed\`, \`seeks\` (rewinds by a checkpoint),
\`rewinds\` (partitions read again after a failed message).
`.trim(),
  config: z.strictObject({
    connection: kafkaConnectionField(),
    topics: z
      .array(z.string().trim().regex(TOPIC, 'a topic name is 1-249 letters, digits, ".", "_" or "-"'), {
        error: required('one or more topics to read, e.g. ["orders"]'),
      })
      .min(1, 'required: one or more topics to read')
      .describe('Topics to consume')
      .meta(ui({ label: 'Topics', placeholder: 'orders', order: 1 })),
    groupId: z
      .string({ error: required('the consumer group id, e.g. orders-enrichment') })
      .trim()
      .min(1, 'required: the consumer group id')
      .describe('Consumer group: members of one group share the partitions, and the group keeps the offsets')
      .meta(ui({ label: 'Group id', placeholder: 'orders-enrichment', order: 2 })),
    startFrom: z
      .enum(['earliest', 'latest', 'committed'])
      .default('latest')
      .describe(
        'Where to start on a partition the group has no committed offset for: earliest, latest, or committed (refuse to start without one)',
      )
      .meta(ui({ label: 'Start from', widget: 'select', order: 3 })),
    codec: codecFieldWithAvro(
      4,
      'How record values are read: json (parsed), string (UTF-8 text), bytes (a Buffer) or avro (set Avro below)',
    ),
    avro: avroField(6),
    delivery: z
      .enum(['at-least-once', 'at-most-once'])
      .default('at-least-once')
      .describe('at-least-once: commit after the flow confirmed; at-most-once: commit before sending on')
      .meta(ui({ label: 'Delivery', widget: 'select', order: 5 })),
    batchSize: batchSizeField(6),
    commitIntervalMs: z
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe('How often confirmed offsets are committed (0: after every confirmation)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Commit interval', advanced: true, order: 7 })),
    commitEveryMessages: z
      .int()
      .min(1)
      .max(10_000_000)
      .default(5000)
      .describe(
        'Commit as soon as this many messages were confirmed since the last commit, even before the interval (bounds duplicates after a crash during a fast catch-up)',
      )
      .meta(ui({ label: 'Commit every (messages)', advanced: true, order: 9 })),
    groupInstanceId: z
      .string()
      .trim()
      .min(1)
      .max(249)
      .optional()
      .describe(
        'Static membership: a stable id per runtime (unique in the group), so a restarted runtime gets its partitions back at once instead of after the session timeout. Needs the platformatic client: kafkajs has no static membership, and the node refuses to start with it there. A stopped runtime does not leave the group, so its partitions wait for it up to the session timeout',
      )
      .meta(ui({ label: 'Group instance id', advanced: true, order: 10 })),
    positionsFrom: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        'Node id of a sink in this flow that stores the offsets with its data (effectively-once): on start and every assignment the source resumes where that sink says',
      )
      .meta(ui({ label: 'Positions from', advanced: true, order: 11 })),
    sessionTimeoutMs: z
      .int()
      .min(6000)
      .max(300_000)
      .default(30_000)
      .describe('The group drops a member it has not heard from for this long')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Session timeout', advanced: true, order: 8 })),
  }),
});
