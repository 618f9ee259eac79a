import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { inlineMessageProblems, isInlineMessage } from '../lib/inline-items.js';
import { batchSizeField, DEFAULT_BATCH_SIZE, MAX_TIMER_MS, required, ui } from '../lib/schema.js';

export const inlineManifest = defineManifest({
  type: 'inline',
  typeVersion: 1,
  kind: 'source',
  label: 'Inline messages',
  description: 'Sends a fixed list of messages written in the flow (test data, fixtures, demos)',
  category: 'generate',
  inputs: [],
  outputs: [{ name: 'out' }],
  docs: `
*Messages* is a JSON list. Each item is either a value (\`42\`, \`"hello"\`, \`{ "user": 1 }\`) or a
message: an object with \`value\` and optionally \`key\`, \`headers\` and \`timestamp\`, and no other
fields, e.g. \`{ "key": "u1", "value": { "clicks": 3 }, "headers": { "source": "test" } }\`. To send
an object that looks like a message as a plain value, wrap it: \`{ "value": { "value": 1 } }\`.

The list is sent *Repeat* times (or forever), as fast as the flow takes it, or one message per
*Interval* when that is set.
`.trim(),
  config: z.strictObject({
    messages: z
      .array(z.unknown(), { error: required('a list of values or { key, value, headers } messages') })
      .min(1, 'add at least one message')
      .superRefine((items, ctx) => {
        items.forEach((item, index) => {
          if (!isInlineMessage(item)) return;
          for (const [path, message] of inlineMessageProblems(item)) {
            ctx.addIssue({ code: 'custom', path: [index, ...path], message });
          }
        });
      })
      .describe('JSON list: values, or { key, value, headers, timestamp } messages')
      .meta(
        ui({ label: 'Messages', widget: 'json', placeholder: '[{ "key": "a", "value": 1 }, 2, "three"]', order: 1 }),
      ),
    repeat: z
      .int()
      .min(1)
      .default(1)
      .describe('How many times the list is sent')
      .meta(ui({ label: 'Repeat', order: 2 })),
    forever: z
      .boolean()
      .default(false)
      .describe('Send the list again and again until the flow stops (ignores Repeat)')
      .meta(ui({ label: 'Repeat forever', order: 3 })),
    intervalMs: z
      .int()
      .min(0)
      .max(MAX_TIMER_MS)
      .default(0)
      .describe('Pause between messages; 0 sends them as fast as the flow takes them')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Interval', order: 4 })),
    batchSize: batchSizeField(
      5,
      `Most messages per batch when there is no interval (default: the flow's, else ${DEFAULT_BATCH_SIZE})`,
    ),
  }),
});
