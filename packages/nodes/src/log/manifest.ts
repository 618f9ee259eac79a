import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { ui } from '../lib/schema.js';

export const logManifest = defineManifest({
  type: 'log',
  typeVersion: 1,
  kind: 'sink',
  label: 'Log',
  description: "Writes messages to the flow's log (the editor's log panel, the CLI's output)",
  category: 'output',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
*Format* \`value\` prints the value (strings as they are, anything else as JSON); \`json\` prints the
whole message as JSON: \`{ key, value, headers, timestamp }\`. With *Every Nth* above 1 only one message
in N is printed: the first, then every Nth after it (the others are still counted as received). Long lines are cut at
*Max length* characters.
`.trim(),
  config: z.strictObject({
    level: z
      .enum(['debug', 'info', 'warn', 'error'])
      .default('info')
      .describe('Log level of the lines written')
      .meta(ui({ label: 'Level', widget: 'select', order: 1 })),
    format: z
      .enum(['value', 'json'])
      .default('value')
      .describe('value: the message value; json: the whole message as JSON')
      .meta(ui({ label: 'Format', widget: 'select', order: 2 })),
    every: z
      .int()
      .min(1)
      .default(1)
      .describe('Print only every Nth message (1 prints all)')
      .meta(ui({ label: 'Every Nth', order: 3 })),
    maxLength: z
      .int()
      .min(16)
      .max(1_000_000)
      .default(2000)
      .describe('Longest line printed, in characters; longer ones are cut with …')
      .meta(ui({ label: 'Max length', advanced: true, order: 4 })),
  }),
});
