import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { batchSizeField, ui } from '../lib/schema.js';

const DOCS = `
Emits every put, update and delete of a cache store, as the cache nodes with *Publish changes* make
them (slipstream's \`async for key, value in cache\`): key = the cache key, value = the new value
(\`null\` for a delete), header \`op\` = \`put\`, \`update\` or \`delete\`.

*Backend* \`redis\`: the store's change stream \`tributary-changes:<store>\` (a Redis Stream written
in the same script as the value), read with the consumer group *Group*: every runtime running
this flow shares the work; an entry is acknowledged (XACK) only once the flow confirmed it, and
entries a reader took but did not confirm for *Claim after* (it crashed) are claimed again
(XAUTOCLAIM). *Start from* \`new\` or \`all\` applies when the group is created.

*Backend* \`embedded\`: the changes of the flow's own embedded store, in process: only changes made
while the flow runs, nothing is kept for later.
`.trim();

export const cacheUpdatesManifest = defineManifest({
  type: 'cache-updates',
  typeVersion: 1,
  kind: 'source',
  label: 'Cache updates',
  description: 'Emits every put, update and delete of a cache store (a change stream)',
  category: 'storage',
  inputs: [],
  outputs: [{ name: 'out', description: 'One message per change' }],
  docs: DOCS,
  config: z.strictObject({
    backend: z
      .enum(['embedded', 'redis'])
      .default('embedded')
      .describe("embedded: the flow's LMDB store, in process; redis: the store's change stream in Redis")
      .meta(ui({ label: 'Backend', widget: 'select', order: 1 })),
    connection: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('redis backend: the Redis server (a connection of the flow)')
      .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'redis', order: 2 })),
    store: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .default('cache')
      .describe('The store whose changes to read (the Store of the cache nodes)')
      .meta(ui({ label: 'Store', order: 3 })),
    group: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('redis: consumer group (default tributary:<flow id>:<node id>)')
      .meta(ui({ label: 'Group', advanced: true, order: 4 })),
    startFrom: z
      .enum(['new', 'all'])
      .default('new')
      .describe('redis: when the group is created, read only new changes, or the whole stream')
      .meta(ui({ label: 'Start from', widget: 'select', advanced: true, order: 5 })),
    claimAfterMs: z
      .int()
      .min(100)
      .max(86_400_000)
      .default(30_000)
      .describe('redis: changes taken by a reader but not confirmed for this long are claimed again')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Claim after', advanced: true, order: 6 })),
    batchSize: batchSizeField(7),
  }),
});
