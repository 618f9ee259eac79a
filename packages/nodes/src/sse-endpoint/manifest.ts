import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { ui } from '../lib/schema.js';
import { endpointPathField } from '../lib/web-fields.js';

export const sseEndpointManifest = defineManifest({
  type: 'sse-endpoint',
  typeVersion: 1,
  kind: 'sink',
  label: 'SSE endpoint',
  description: "Serves the messages it receives as a server-sent event stream on the runtime's server",
  category: 'web',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Serves \`/streams/<flow id>/<path>\` on the runtime's port (behind its token when one is set:
\`Authorization: Bearer …\`, or \`?access_token=…\` for a browser's \`EventSource\`). Every
connected client gets every message as an event: \`data\` is the value written with *Codec*, the
event type is *Event type* (else the message's \`meta.event\`, else none), and each event has an
increasing \`id\`.

**Confirmation.** A message is confirmed once it is in the replay buffer — not when a client read
it: an event stream has no acknowledgements. A client that reconnects with \`Last-Event-ID\` gets
what it missed, as long as the buffer (*Replay*, the last N events) still holds it. Ids keep
increasing across restarts of the runtime (they start at the clock in µs).

**Slow clients.** A client whose connection takes less than the flow sends is disconnected once
*Client buffer* bytes wait for it, and counted (\`droppedClients\`); memory stays bounded and the
other clients are not slowed down. Each client gets \`retry:\` on connect and a \`: ping\` comment
every *Ping* ms, so proxies keep the connection open.

Stats: \`clients\`, \`droppedClients\`.
`.trim(),
  config: z.strictObject({
    path: endpointPathField('/streams', 1, 'updates'),
    codec: z
      .enum(['json', 'string'])
      .default('json')
      .describe('How values become event data: json, or string (text as is)')
      .meta(ui({ label: 'Codec', widget: 'select', order: 2 })),
    event: z
      .string()
      .trim()
      .regex(/^[^\r\n]*$/, 'one line')
      .optional()
      .describe("Event type of every event (default: the message's meta.event, else none)")
      .meta(ui({ label: 'Event type', order: 3 })),
    replay: z
      .int()
      .min(0)
      .max(1_000_000)
      .default(1000)
      .describe('Events kept for clients that reconnect with Last-Event-ID')
      .meta(ui({ label: 'Replay', order: 4 })),
    retryMs: z
      .int()
      .min(0)
      .max(3_600_000)
      .default(2000)
      .describe('The retry: sent to clients (how long they wait before reconnecting)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Client retry', advanced: true, order: 5 })),
    pingMs: z
      .int()
      .min(1000)
      .max(3_600_000)
      .default(15_000)
      .describe('How often a comment ping is sent')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Ping', advanced: true, order: 6 })),
    clientBufferBytes: z
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('A client is dropped once this many bytes wait for it')
      .meta(ui({ label: 'Client buffer (bytes)', advanced: true, order: 7 })),
  }),
});
