import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

export const filterManifest = defineManifest({
  type: 'filter',
  typeVersion: 1,
  kind: 'handler',
  label: 'Filter',
  description: 'Keeps the messages for which an expression is true; the others are dropped',
  category: 'transform',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out', label: 'kept' }],
  docs: `
A JavaScript expression decides, per message, whether it goes on. \`msg\`, \`key\`, \`value\` and
\`headers\` are in scope: \`value > 10\`, \`key !== null && key.startsWith('eu-')\`,
\`headers['type'] === 'order'\`. Truthy keeps the message, falsy drops it (dropped messages are
acknowledged and counted). An expression that throws sends the message to the **error** port.
`.trim(),
  config: z.strictObject({
    expression: z
      .string({ error: required('a JavaScript expression, e.g. value > 10') })
      .trim()
      .min(1, 'required: a JavaScript expression, e.g. value > 10')
      .describe('JavaScript expression; messages for which it is truthy are kept')
      .meta(ui({ label: 'Keep when', widget: 'code', language: 'javascript', placeholder: 'value > 10', order: 1 })),
  }),
});
