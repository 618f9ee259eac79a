import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { codecField } from '../lib/codec-field.js';
import { ui } from '../lib/schema.js';
import { tlsField } from '../connections/tls.js';
import { checkRole, endpointPathField, urlField, wsClientFields } from '../lib/web-fields.js';

export const websocketSourceManifest = defineManifest({
  type: 'websocket-source',
  typeVersion: 1,
  kind: 'source',
  label: 'WebSocket source',
  description: 'Each WebSocket frame becomes a message; as a client of a URL or serving a path of the runtime',
  category: 'web',
  inputs: [],
  outputs: [{ name: 'out', label: 'frames' }],
  docs: `
**Client** role: connects to *URL* (with *Subprotocols*, *Headers*, *Authorization*), sends each of
*Open messages* after connecting, pings every *Ping* ms and reconnects (growing pauses with jitter)
when the connection drops or a pong does not come back within *Pong timeout*.

**Server** role: serves \`/ws/<flow id>/<path>\` on the runtime's port (behind its token:
\`Authorization: Bearer …\` or \`?access_token=…\`). Each connection gets a session id.

Each frame becomes a message: \`value\` is the frame read with *Codec*, \`key\` and
\`meta.session\` the session id (a \`websocket-sink\` in reply mode answers on it), \`meta.binary\`
whether it was a binary frame. A frame the codec cannot read goes to the **error** port.

**Replies after confirmation.** With *Reply* \`text\`, once every message derived from a frame was
confirmed by the sinks, *Reply text* (default \`acknowledged\`) is sent back on the same socket — the
request/acknowledge pattern of devices and feeds. A frame whose processing failed gets no reply.

**Backpressure.** While the flow is full the node stops reading the sockets (the peers' writes
back up in TCP). Frames that arrive together are emitted as one batch (a reply still goes to each frame).
Stats: \`connected\` (client) or \`sessions\` (server), \`reconnects\`, \`frames\`.
`.trim(),
  config: z
    .strictObject({
      role: z
        .enum(['client', 'server'])
        .default('client')
        .describe('client: connect to a URL; server: serve a path of the runtime')
        .meta(ui({ label: 'Role', widget: 'select', order: 1 })),
      // A default rather than a requirement that depends on the role (forms mark required fields only).
      url: urlField(['ws', 'wss'], 2, 'ws://127.0.0.1:8765/feed', 'Client role: the WebSocket URL').default(
        'ws://127.0.0.1:8765/',
      ),
      path: endpointPathField('/ws', 3, 'devices').optional(),
      codec: codecField(4, 'How frames are read: json, string or bytes'),
      reply: z
        .enum(['none', 'text'])
        .default('none')
        .describe('text: send Reply text back once the frame was confirmed by the sinks')
        .meta(ui({ label: 'Reply', widget: 'select', order: 5 })),
      replyText: z
        .string()
        .default('acknowledged')
        .describe('What is sent back after confirmation')
        .meta(ui({ label: 'Reply text', order: 6 })),
      openMessages: z
        .array(z.string())
        .default([])
        .describe('Client role: frames sent after each connect (a subscription, a hello)')
        .meta(ui({ label: 'Open messages', widget: 'json', order: 7 })),
      ...wsClientFields(8),
      tls: tlsField('WebSocket server', 20),
    })
    .superRefine(checkRole),
});
