import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { codecField } from '../lib/codec-field.js';
import { ui } from '../lib/schema.js';
import { endpointPathField } from '../lib/web-fields.js';

export const webhookManifest = defineManifest({
  type: 'webhook',
  typeVersion: 1,
  kind: 'source',
  label: 'Webhook',
  description: "Receives HTTP POSTs on the runtime's server; answers 2xx once the flow confirmed the message",
  category: 'web',
  inputs: [],
  outputs: [{ name: 'out', label: 'requests' }],
  docs: `
Serves \`POST /hooks/<flow id>/<path>\` (and any path below it) on the runtime's port, behind its
token when one is set (\`Authorization: Bearer …\`). Each request becomes one message: \`value\` is
the body read with *Codec*, \`headers\` the request headers (without \`authorization\`, \`cookie\`
and the signature header), \`meta\` holds \`method\`, \`subPath\` and \`query\`.

**Answers.** With *Respond* \`confirmed\` (default) the sender gets \`200 {"ok":true}\` only once
every message derived from the request was confirmed by the sinks — a sender that retries on
failure loses nothing. \`accepted\` answers \`202\` as soon as the message is in the flow.
While the flow is full the endpoint answers \`429\` with \`Retry-After\`; a body the codec cannot
read gets \`400\`, a body over *Max body* \`413\`, a bad signature \`401\` — all as JSON
\`{"error":{"code","message"}}\`. A flow that stops before confirming answers \`503\`.

**Authentication.** \`secret\`: the header *Signature header* (default \`x-webhook-secret\`) must
equal *Secret*. \`hmac-sha256\`: it must hold the HMAC-SHA256 of the raw body with *Secret*, in hex,
optionally prefixed \`sha256=\` (GitHub's \`x-hub-signature-256\` style).

Stats: \`requests\`, \`rejected\` (4xx), \`saturated\` (429 answers).
`.trim(),
  config: z
    .strictObject({
      path: endpointPathField('/hooks', 1, 'orders'),
      codec: codecField(2, 'How the request body is read: json, string or bytes'),
      respond: z
        .enum(['confirmed', 'accepted'])
        .default('confirmed')
        .describe('confirmed: 200 once the sinks confirmed; accepted: 202 once in the flow')
        .meta(ui({ label: 'Respond', widget: 'select', order: 3 })),
      auth: z
        .enum(['none', 'secret', 'hmac-sha256'])
        .default('none')
        .describe("Check a shared secret or an HMAC signature of the body (on top of the runtime's token)")
        .meta(ui({ label: 'Authentication', widget: 'select', order: 4 })),
      secret: z
        .string()
        .optional()
        .describe('The shared secret or HMAC key, as a ${cred:NAME} or ${env:NAME} reference')
        .meta(ui({ label: 'Secret', widget: 'secret', secret: true, order: 5 })),
      signatureHeader: z
        .string()
        .trim()
        .toLowerCase()
        .optional()
        .describe('Header holding the secret or signature (default x-webhook-secret, or x-signature-256 for HMAC)')
        .meta(ui({ label: 'Signature header', advanced: true, order: 6 })),
      maxBodyBytes: z
        .int()
        .min(1)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024)
        .describe('Larger bodies get 413')
        .meta(ui({ label: 'Max body (bytes)', advanced: true, order: 7 })),
      timeoutMs: z
        .int()
        .min(100)
        .max(600_000)
        .default(30_000)
        .describe('A confirmation that takes longer answers 504 (the message may still be delivered)')
        .meta(ui({ widget: 'duration', unit: 'ms', label: 'Timeout', advanced: true, order: 8 })),
    })
    .refine((c) => c.auth === 'none' || c.secret !== undefined, {
      message: 'required: a secret for this authentication',
      path: ['secret'],
    }),
});
