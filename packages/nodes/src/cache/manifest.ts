import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

const CACHE_OPERATIONS = ['get', 'enrich', 'put', 'delete'] as const;

export const cacheManifest = defineManifest({
  type: 'cache',
  typeVersion: 1,
  kind: 'cache',
  label: 'Cache',
  description: 'Keeps values by key in a persistent embedded store: put, get, enrich or delete',
  category: 'storage',
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', description: 'get/enrich: found messages; put/delete: the input, once stored' },
    { name: 'miss', description: 'get/enrich: messages whose key is not in the cache' },
  ],
  docs: `
An embedded database (LMDB) in the flow's data folder; its content survives restarts. Cache nodes
of a flow that name the same *Store* share it, e.g. one node *puts* customer records and another
*enriches* orders with them.

| Operation | What it does |
|---|---|
| put | stores the message value under its key; the message goes on to **out** once it is on disk |
| get | sends the stored value (with the message's key, headers, timestamp) to **out**; unknown keys go to **miss** |
| enrich | adds the stored value to the message value under *Field*: \`{ ...value, [field]: stored }\`; unknown keys go to **miss** |
| delete | removes the key; the message goes on to **out** |

The key is the message key, or the result of *Key expression* (\`value.customerId\`). A message
without a key goes to the **error** port. *TTL* makes stored values expire (put only). With *On
miss* \`pass\`, misses go to **out** instead, with \`null\` as the value (get) or field (enrich).
Statistics: \`size\`, \`hits\`, \`misses\`.
`.trim(),
  config: z.strictObject({
    operation: z
      .enum(CACHE_OPERATIONS, { error: required('one of get, enrich, put, delete') })
      .describe('put stores, get looks up, enrich merges the stored value into the message, delete removes')
      .meta(ui({ label: 'Operation', widget: 'select', order: 1 })),
    store: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .default('cache')
      .describe('Name of the store; cache nodes of this flow with the same name share their data')
      .meta(ui({ label: 'Store', order: 2 })),
    keyExpression: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('JavaScript expression for the key (msg, key, value, headers in scope); default: the message key')
      .meta(
        ui({
          label: 'Key expression',
          widget: 'code',
          language: 'javascript',
          placeholder: 'value.customerId',
          order: 3,
        }),
      ),
    field: z
      .string()
      .min(1)
      .default('cached')
      .describe('enrich: the field of the message value that receives the stored value')
      .meta(ui({ label: 'Field', order: 4 })),
    ttlMs: z
      .int()
      .min(1)
      .optional()
      .describe('put: stored values expire after this many milliseconds; leave empty to keep them')
      .meta(ui({ label: 'TTL (ms)', placeholder: 'never expires', order: 5 })),
    onMiss: z
      .enum(['miss', 'pass'])
      .default('miss')
      .describe('get/enrich: send misses to the miss port, or pass them to out with null')
      .meta(ui({ label: 'On miss', widget: 'select', advanced: true, order: 6 })),
  }),
});
