import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

export const mapManifest = defineManifest({
  type: 'map',
  typeVersion: 1,
  kind: 'handler',
  label: 'Map',
  description: 'Replaces each message value (and optionally its key) with the result of an expression',
  category: 'transform',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  docs: `
\`msg\`, \`key\`, \`value\` and \`headers\` are in scope. *Value* computes the new value
(\`value * 2\`, \`{ ...value, total: value.price * value.qty }\`, \`JSON.parse(value)\`); *Key*, if
set, computes the new key (\`value.userId\`; numbers become strings, \`null\` removes the key).
Headers, timestamp and metadata are kept. An expression that throws sends the message to the
**error** port.
`.trim(),
  config: z.strictObject({
    value: z
      .string({ error: required('an expression for the new value, e.g. value * 2') })
      .trim()
      .min(1, 'required: an expression for the new value, e.g. value * 2')
      .describe('JavaScript expression whose result becomes the message value')
      .meta(ui({ label: 'Value', widget: 'code', language: 'javascript', placeholder: 'value * 2', order: 1 })),
    key: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('JavaScript expression whose result becomes the message key (leave empty to keep the key)')
      .meta(ui({ label: 'Key', widget: 'code', language: 'javascript', placeholder: 'value.userId', order: 2 })),
  }),
});
