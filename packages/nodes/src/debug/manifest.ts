import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { ui } from '../lib/schema.js';

/** The marker the editor's debug panel recognises in a log entry's `data`. */
export const DEBUG_DATA_KEY = 'debug';

export const debugManifest = defineManifest({
  type: 'debug',
  typeVersion: 1,
  kind: 'sink',
  label: 'Debug',
  description: "Shows the messages it receives in the editor's debug panel, as trees you can open",
  category: 'output',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Wire any output to a *Debug* node to see its messages in the editor's **Debug** sidebar (*Debug* in the
top bar, or Ctrl+Shift+D), newest at the bottom, each value as a tree you can open; the sidebar shows
all debug nodes, the ones selected on the canvas, or a pick list.
*Show* \`value\` sends the value only, \`message\` the whole message: \`{ key, value, headers, timestamp }\`.
At most *Max per second* messages per second are shown; the others are counted (the node's figures)
but not sent, so a fast flow cannot flood the editor. The CLI prints a one-line preview of each.
`.trim(),
  config: z.strictObject({
    show: z
      .enum(['value', 'message'])
      .default('value')
      .describe('value: the message value; message: key, value, headers and timestamp')
      .meta(ui({ label: 'Show', widget: 'select', order: 1 })),
    maxPerSecond: z
      .int()
      .min(1)
      .max(50)
      .default(10)
      .describe('Messages shown per second at most; the rest are counted, not shown')
      .meta(ui({ label: 'Max per second', order: 2 })),
  }),
});
