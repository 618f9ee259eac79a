import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { parseKeyTemplate } from '../lib/key-template.js';
import { batchSizeField, ui } from '../lib/schema.js';

export const sequenceManifest = defineManifest({
  type: 'sequence',
  typeVersion: 1,
  kind: 'source',
  label: 'Sequence',
  description:
    'Emits numbers start, start + step, … — a fixed count or endlessly, as fast as possible or at a set rate',
  category: 'generate',
  inputs: [],
  outputs: [{ name: 'out', label: 'numbers' }],
  docs: `
Each message's value is a number: \`start + index × step\`. Without *Count* the sequence runs until
the flow stops. Without *Rate* it sends as fast as the flow takes messages (backpressure sets the
pace); with *Rate* it paces itself to that many messages per second, sending small batches.

*Key* is a template: \`{value}\` and \`{index}\` (or \`{i}\`) insert the number and its position,
\`{index % 4}\` the remainder (to spread keys over partitions), e.g. \`sensor-{i % 4}\`. Without it
messages have no key.
`.trim(),
  config: z.strictObject({
    count: z
      .int()
      .min(0)
      .optional()
      .describe('How many numbers to send; leave empty to run until the flow stops')
      .meta(ui({ label: 'Count', placeholder: 'endless', order: 1 })),
    start: z
      .number()
      .default(0)
      .describe('The first number')
      .meta(ui({ label: 'Start', order: 2 })),
    step: z
      .number()
      .default(1)
      .describe('Added for each next number (may be negative or fractional)')
      .meta(ui({ label: 'Step', order: 3 })),
    rate: z
      .number()
      .positive()
      .max(1e9)
      .optional()
      .describe('Messages per second; leave empty to send as fast as the flow takes them')
      .meta(ui({ label: 'Rate (msgs/s)', placeholder: 'as fast as possible', order: 4 })),
    key: z
      .string()
      .superRefine((template, ctx) => {
        const parsed = parseKeyTemplate(template);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
      })
      .optional()
      .describe('Key template, e.g. sensor-{index % 4}; leave empty for messages without a key')
      .meta(ui({ label: 'Key', placeholder: 'sensor-{index % 4}', order: 5 })),
    batchSize: batchSizeField(6),
  }),
});
