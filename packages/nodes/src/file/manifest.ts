import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { ui } from '../lib/schema.js';

export const fileManifest = defineManifest({
  type: 'file',
  typeVersion: 1,
  kind: 'sink',
  label: 'File',
  description: "Appends messages as JSON lines to a file in the flow's data folder",
  category: 'output',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Writes one JSON document per line (JSON Lines), appending to the file. *Path* is relative to the
flow's data folder, and must stay inside it: \`..\`, absolute paths elsewhere and symbolic links
that lead out are refused. Missing folders are created.

*Content* \`message\` writes \`{ key, value, headers, timestamp }\`, plus \`meta\` when the message
has any (on a dead-letter branch it holds \`error: { code, message, nodeId }\`); \`value\` writes the
value only.
With *Sync* \`batch\`, each batch is flushed to disk (fsync) before the messages are confirmed, so
nothing confirmed is lost in a crash; \`none\` leaves flushing to the operating system (faster).
A message that cannot be written as JSON (a cycle) goes to the **error** port; bigints are written
as strings.
`.trim(),
  config: z.strictObject({
    path: z
      .string()
      .trim()
      .min(1, 'required: a file path inside the data folder, e.g. out/orders.jsonl')
      .default('output.jsonl')
      .describe("File to append to, relative to the flow's data folder")
      .meta(ui({ label: 'Path', placeholder: 'out/orders.jsonl', order: 1 })),
    content: z
      .enum(['message', 'value'])
      .default('message')
      .describe('message: { key, value, headers, timestamp, meta? } per line; value: the value only')
      .meta(ui({ label: 'Content', widget: 'select', order: 2 })),
    sync: z
      .enum(['batch', 'none'])
      .default('batch')
      .describe('batch: fsync after every batch before confirming (durable); none: let the OS flush (faster)')
      .meta(ui({ label: 'Sync', widget: 'select', advanced: true, order: 3 })),
  }),
});
