import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { codecField } from '../lib/codec-field.js';
import { ui } from '../lib/schema.js';
import { tlsField } from '../connections/tls.js';
import { endpointPathField, urlField, wsClientFields } from '../lib/web-fields.js';

export const websocketSinkManifest = defineManifest({
  type: 'websocket-sink',
  typeVersion: 1,
  kind: 'sink',
  label: 'WebSocket sink',
  description: 'Sends messages over WebSockets: to a URL, to every client of a path, or back to the sender',
  category: 'web',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Each message's value is written with *Codec* as one frame (text, or binary for \`bytes\`).

- **client**: connects to *URL* (reconnecting with growing pauses, pings with a pong timeout). A
  message is confirmed once written to the socket; with *Await reply*, only once the peer sent a
  frame back (one message in flight at a time). What was not confirmed when the connection dropped
  is sent again after the reconnect (at-least-once).
- **broadcast**: serves \`/ws/<flow id>/<path>\` on the runtime's port (behind its token) and sends
  every message to every connected client; confirmed once handed to the sockets. A client that lets
  more than 4 MB pile up is disconnected.
- **reply**: answers on the connection a message came from (\`meta.session\`, set by a
  \`websocket-source\` of the same flow). A message whose connection is gone goes to the **error** port.

Stats: \`sent\`, \`resent\`, \`replies\`, \`sessions\` (broadcast).
`.trim(),
  config: z.strictObject({
    mode: z
      .enum(['client', 'broadcast', 'reply'])
      .default('reply')
      .describe('client: send to a URL; broadcast: to every client of a path; reply: to the sender of the message')
      .meta(ui({ label: 'Mode', widget: 'select', order: 1 })),
    url: urlField(['ws', 'wss'], 2, 'ws://127.0.0.1:8765/in', 'Client mode: the WebSocket URL').optional(),
    path: endpointPathField('/ws', 3, 'updates').optional(),
    codec: codecField(4, 'How values become frames: json, string (text) or bytes (binary)'),
    awaitReply: z
      .boolean()
      .default(false)
      .describe('Client mode: confirm a message only once the peer sent a frame back')
      .meta(ui({ label: 'Await reply', order: 5 })),
    replyTimeoutMs: z
      .int()
      .min(100)
      .max(600_000)
      .default(30_000)
      .describe('Client mode with Await reply: how long to wait for a reply before reconnecting and resending')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Reply timeout', advanced: true, order: 6 })),
    ...wsClientFields(7),
    tls: tlsField('WebSocket server', 20),
  }),
});
