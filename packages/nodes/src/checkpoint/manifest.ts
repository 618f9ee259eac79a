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
  stops reading), a \`down\` message goes out on the **status** port with the positions
  (topic/partition/offset) at that moment.
- When the heartbeat catches up (reaches the paused message's event time), the dependent **resumes** and a \`recovered\` message (with the
  downtime in seconds) goes out on **status**.
- *On recovery*: **resume** goes on from the paused message; **reprocess** first sends again the
  messages that passed after the dependency's last heartbeat (they were handled while it was
  already silent), marked \`meta.reprocessed: true\`. Those are kept (unconfirmed) in memory, up to
  *Max reprocess*.
- On the first dependent message, before any heartbeat, the dependency's marker starts at that
  message's time (as slipstream does).

Stats: \`down\` (1 while paused), \`downtimeSeconds\` (total), \`downtimes\`, \`heartbeat\`, \`lagSeconds\`.
Feed the two streams from **separate sources**: a paused dependent must not stop the source the
heartbeats come from. The two nodes meet inside one running flow (one runtime).
`.trim();

export const checkpointManifest = defineManifest({
  type: 'checkpoint',
  typeVersion: 1,
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
    maxReprocess: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Reprocess: most messages kept to send again; older ones are confirmed and counted (notReprocessed)')
      .meta(ui({ label: 'Max reprocess', advanced: true, order: 6 })),
  }),
});
