import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { durationField } from '../lib/duration.js';
import { required, ui } from '../lib/schema.js';

const DOCS = `
Pauses a stream while a stream it depends on is down (slipstream's *Checkpoint*). Put one
**checkpoint** node with role *dependency* on the stream that must keep up (it passes its messages
on and records their event time: the heartbeat) and one with role *dependent* on the stream that
needs it, both with the same *Checkpoint name*.

- When a dependent message's event time is more than *Threshold* ahead of the dependency's last
  heartbeat, the dependency is **down**: the dependent stream pauses (its queue fills and its source
  stops reading), a \`down\` message goes out on the **status** port with the position
  (topic/partition/offset) of the paused message and, in reprocess mode, \`rewindTo\`: where each
  partition will be rewound.
- When the heartbeat catches up (reaches the paused message's event time), the dependent **resumes** and a \`recovered\` message (with the
  downtime in seconds, and in reprocess mode \`reprocessed\`: how many come again, and \`rewound\`)
  goes out on **status**.
- *On recovery*: **resume** goes on from the paused message; **reprocess** first rewinds the
  dependent's **kafka-source** to the positions recorded at the pause — the first message that
  passed after the dependency's last heartbeat, per partition (they were handled while it was
  already silent) — so those are read and processed again, marked \`meta.reprocessed: true\`, then
  the stream goes on. Nothing is kept in memory but positions, so a downtime of any length is
  reprocessed whole (while the topic still holds it); the source's commit waits for what is read
  again. The source is the one of the
  flow that owns those partitions, or the one named in *Source*. When it cannot be rewound (the
  messages carry no Kafka topic/partition/offset, or no single running kafka-source reads them)
  the stream resumes without reprocessing, the \`down\` and \`recovered\` status messages carry a
  \`rewindError\`, an error is logged and \`rewindErrors\` counted.
- On the first dependent message, before any heartbeat, the dependency's marker starts at that
  message's time (as slipstream does).

Stats: \`down\` (1 while paused), \`downtimeSeconds\` (total), \`downtimes\`, \`heartbeat\`, \`lagSeconds\`,
\`reprocessed\`, \`rewindErrors\`.
Feed the two streams from **separate sources**: a paused dependent must not stop the source the
heartbeats come from. The two nodes meet inside one running flow (one runtime).
`.trim();

export const checkpointManifest = defineManifest({
  type: 'checkpoint',
  typeVersion: 2,
  kind: 'handler',
  label: 'Checkpoint',
  description: 'Pauses a dependent stream while the stream it depends on falls behind, then resumes or reprocesses',
  category: 'transform',
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', label: 'messages', description: 'The messages, passed on (paused while the dependency is down)' },
    { name: 'status', label: 'status', description: 'down and recovered events (dependent role)' },
  ],
  docs: DOCS,
  migrations: {
    // 1 → 2: reprocess rewinds the source instead of keeping copies, so there is no Max reprocess.
    1: ({ maxReprocess: _dropped, ...config }) => config,
  },
  config: z.strictObject({
    name: z
      .string({ error: required('the checkpoint name both nodes share') })
      .trim()
      .min(1, 'required: the checkpoint name both nodes share')
      .describe('Joins the dependency and the dependent node of one checkpoint (the same name on both)')
      .meta(ui({ label: 'Checkpoint name', placeholder: 'prices', order: 1 })),
    role: z
      .enum(['dependent', 'dependency'])
      .default('dependent')
      .describe('dependency: records heartbeats; dependent: pauses while the dependency is behind')
      .meta(ui({ label: 'Role', widget: 'select', order: 2 })),
    time: z
      .string()
      .trim()
      .min(1)
      .default('msg.timestamp')
      .describe('Expression of the event time (ms since the epoch, a Date or ISO text)')
      .meta(
        ui({ label: 'Event time', widget: 'code', language: 'javascript', placeholder: 'msg.timestamp', order: 3 }),
      ),
    threshold: durationField(
      'Threshold',
      'Dependent: the dependency is down when it is this far behind in event time',
      { order: 4 },
    ).default('1m'),
    onRecovery: z
      .enum(['resume', 'reprocess'])
      .default('resume')
      .describe('Dependent: resume from the paused message, or first send again what passed after the last heartbeat')
      .meta(ui({ label: 'On recovery', widget: 'select', order: 5 })),
    source: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        'Reprocess: the id of the kafka-source node to rewind (empty: the one source of the flow reading these partitions)',
      )
      .meta(ui({ label: 'Source', placeholder: 'orders', advanced: true, order: 6 })),
  }),
});
