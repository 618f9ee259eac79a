import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { MAX_TIMER_MS, ui } from '../lib/schema.js';

export const timerManifest = defineManifest({
  type: 'timer',
  typeVersion: 1,
  kind: 'source',
  label: 'Timer',
  description: 'Emits a tick every interval: { tick, timestamp }',
  category: 'generate',
  inputs: [],
  outputs: [{ name: 'out', label: 'ticks' }],
  docs: `
Sends one message per interval whose value is \`{ tick, timestamp }\`: the tick number (1, 2, 3 …)
and the time it fired (ms since the epoch, also the message timestamp). Ticks keep to a fixed
schedule, so they do not drift; if the flow is held up past several ticks (backpressure), the
missed ones are skipped, not sent in a burst, and counted in the \`skipped\` statistic.
`.trim(),
  config: z.strictObject({
    intervalMs: z
      .int()
      .min(1)
      .max(MAX_TIMER_MS)
      .default(1000)
      .describe('Time between ticks')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Interval', order: 1 })),
    count: z
      .int()
      .min(1)
      .optional()
      .describe('Stop after this many ticks; leave empty to tick until the flow stops')
      .meta(ui({ label: 'Count', placeholder: 'forever', order: 2 })),
    immediate: z
      .boolean()
      .default(true)
      .describe('Send the first tick as soon as the flow starts (otherwise after one interval)')
      .meta(ui({ label: 'First tick at start', order: 3 })),
    key: z
      .string()
      .optional()
      .describe('Key of every tick message; leave empty for none')
      .meta(ui({ label: 'Key', advanced: true, order: 4 })),
  }),
});
