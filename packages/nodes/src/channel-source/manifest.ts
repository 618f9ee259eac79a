import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { channelConnectionField } from '../connections/channel.js';
import { codecField } from '../lib/codec-field.js';
import { required, ui } from '../lib/schema.js';

export const channelSourceManifest = defineManifest({
  type: 'channel-source',
  typeVersion: 1,
  kind: 'source',
  label: 'Channel source',
  description:
    'Consumes topics over HTTP as a consumer in a consumer group (OpenDXL channel, Confluent REST v2, Tributary)',
  category: 'queues',
  inputs: [],
  outputs: [{ name: 'out', label: 'records' }],
  docs: `
A consumer of *Group* on a streaming service reached over HTTP — what the OpenDXL streaming client's
\`Channel\` does, as a node. It creates a consumer (with *Start from*, the session and request
timeouts and any *Extra settings*), subscribes it to *Topics*, and polls for records: at once again
when a poll brought records, after *Wait between polls* when it brought none. Each message carries
the record's key, value (decoded with *Codec*) and headers; \`meta\` holds \`topic\`, \`partition\` and
\`offset\`.

**Delivery: at least once.** Offsets are committed, per partition, only up to the last record the
flow confirmed (never what was merely fetched), every *Commit interval* and on stop; the consumer is
deleted on stop. After a crash the group resumes from the last commit, so records after it are seen
again: duplicates are bounded by what was in flight (*Max in flight*). No poll is made while that
many are unconfirmed, so a node after it that holds messages until later input comes (a **window**)
must hold fewer, or it would wait forever: such a flow is refused at deploy.

**Faults it rides out.** Temporary failures (network errors, 408, 429, 5xx) are retried with backoff.
A 404 means the service forgot the consumer (restart, expiry, another instance behind a load
balancer): it is created and subscribed again, and the group resumes from its commits (counted in
\`recreated\`). With *login* authentication a 401/403 logs in again. Cookies are kept, so a load
balancer's affinity cookie (AWSALB) pins the consumer to one instance.

A record the codec cannot read goes to the **error** port with its raw bytes (base64).

Stats: \`inFlight\`, \`polls\`, \`emptyPolls\`, \`committed\` (per topic-partition), \`recreated\`,
\`logins\`, \`relogins\`, \`retries\`.
`.trim(),
  // No poll while this many are unconfirmed: a window behind it must hold fewer (checked at deploy).
  maxUnconfirmed: (config) => config.maxInFlight as number,
  config: z.strictObject({
    connection: channelConnectionField(0),
    topics: z
      .array(z.string().trim().min(1).max(249), { error: required('one or more topics to read') })
      .min(1, 'required: one or more topics to read')
      .describe('Topics to subscribe to')
      .meta(ui({ label: 'Topics', placeholder: 'case-mgmt-events', order: 1 })),
    group: z
      .string({ error: required('the consumer group') })
      .trim()
      .min(1, 'required: the consumer group')
      .max(249)
      .describe('Consumer group: consumers of one group share the partitions, and the group keeps the offsets')
      .meta(ui({ label: 'Group', placeholder: 'case-events', order: 2 })),
    startFrom: z
      .enum(['latest', 'earliest', 'none'])
      .default('latest')
      .describe('Where a group without committed offsets starts: latest, earliest, or none (the service refuses)')
      .meta(ui({ label: 'Start from', widget: 'select', order: 3 })),
    codec: codecField(4, 'How record values are read: json (parsed), string (text) or bytes'),
    waitBetweenPollsMs: z
      .int()
      .min(0)
      .max(600_000)
      .default(1000)
      .describe('Pause after a poll that brought no records (a poll that brought records is followed at once)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Wait between polls', order: 5 })),
    maxInFlight: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Most records fetched and not yet confirmed; no poll is made while this many are in the flow')
      .meta(ui({ label: 'Max in flight', advanced: true, order: 6 })),
    commitIntervalMs: z
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe('How often confirmed offsets are committed (0: after every confirmation)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Commit interval', advanced: true, order: 7 })),
    sessionTimeoutMs: z
      .int()
      .min(1000)
      .max(3_600_000)
      .optional()
      .describe('The service drops a consumer it has not heard from for this long (default: the service decides)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Session timeout', advanced: true, order: 8 })),
    requestTimeoutMs: z
      .int()
      .min(1000)
      .max(3_600_000)
      .optional()
      .describe("The service's request timeout for this consumer; larger than the session timeout")
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Request timeout', advanced: true, order: 9 })),
    extraSettings: z
      .record(z.string(), z.string())
      .default({})
      .describe('More consumer settings sent when the consumer is created (the fields above win)')
      .meta(ui({ label: 'Extra settings', widget: 'json', advanced: true, order: 10 })),
  }),
});
