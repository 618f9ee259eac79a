import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { codecField } from '../lib/codec-field.js';
import { batchSizeField, ui } from '../lib/schema.js';
import { tlsField } from '../connections/tls.js';
import { authorizationField, headersField, urlField } from '../lib/web-fields.js';

export const sseSourceManifest = defineManifest({
  type: 'sse-source',
  typeVersion: 1,
  kind: 'source',
  label: 'SSE source',
  description: 'Reads a server-sent event stream; reconnects and resumes from the last confirmed event id',
  category: 'web',
  inputs: [],
  outputs: [{ name: 'out', label: 'events' }],
  docs: `
Opens *URL* (GET, or POST with *Body*) as a \`text/event-stream\` and emits one message per event:
\`value\` is the event's \`data\` read with *Codec*, \`key\` its \`id\`, and \`meta\` holds \`id\` and
\`event\` (the type, \`message\` when the server gave none). Data the codec cannot read goes to the
**error** port.

**Resume.** The node keeps the id of the last event confirmed by the sinks with nothing unconfirmed
before it, in the flow's data folder (\`sse-source/<node id>.json\`), and sends it as
\`Last-Event-ID\` when it reconnects and after a restart: a server that honours it resends what was
not confirmed (at-least-once; events after that id may be seen twice, none is skipped).

**Reconnect.** After a drop it waits the server's \`retry:\` (else *Initial delay*), growing ×2 with
jitter up to *Max delay* while attempts fail. No byte for *Stall timeout* (pings included) counts as
a drop. A \`204 No Content\` answer ends the source. While the flow is full it stops reading the
response, so the server's writes back up in TCP rather than in memory.

Stats: \`connected\` (0/1), \`reconnects\`, \`lastId\` (last confirmed id, when numeric), \`bytes\`,
\`events\`, \`httpErrors\`.
`.trim(),
  config: z.strictObject({
    url: urlField(['http', 'https'], 1, 'http://127.0.0.1:8000/events', 'The event stream to read'),
    method: z
      .enum(['GET', 'POST'])
      .default('GET')
      .describe('GET, or POST for streams opened with a request body')
      .meta(ui({ label: 'Method', widget: 'select', order: 2 })),
    body: z
      .string()
      .optional()
      .describe('Request body for POST (sent as is; set Content-Type in Headers)')
      .meta(ui({ label: 'Body', widget: 'textarea', order: 3 })),
    codec: codecField(4, 'How event data is read: json, string or bytes'),
    headers: headersField(5),
    authorization: authorizationField(6),
    resume: z
      .boolean()
      .default(true)
      .describe('Send Last-Event-ID with the last confirmed id, and keep it across restarts')
      .meta(ui({ label: 'Resume from last id', order: 7 })),
    initialDelayMs: z
      .int()
      .min(0)
      .max(600_000)
      .default(1000)
      .describe("First pause before reconnecting (the server's retry: overrides it)")
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Initial delay', advanced: true, order: 8 })),
    maxDelayMs: z
      .int()
      .min(0)
      .max(3_600_000)
      .default(30_000)
      .describe('Longest pause between reconnect attempts')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Max delay', advanced: true, order: 9 })),
    stallTimeoutMs: z
      .int()
      .min(0)
      .max(3_600_000)
      .default(60_000)
      .describe('Reconnect when no byte arrived for this long (0: never)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Stall timeout', advanced: true, order: 10 })),
    tls: tlsField('SSE server', 11),
    batchSize: batchSizeField(12),
  }),
});
