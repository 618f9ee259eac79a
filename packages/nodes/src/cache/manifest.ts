import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

export const CACHE_OPERATIONS = ['get', 'enrich', 'put', 'update', 'delete'] as const;
export const CACHE_BACKENDS = ['embedded', 'redis'] as const;

export const cacheManifest = defineManifest({
  type: 'cache',
  typeVersion: 1,
  kind: 'cache',
  label: 'Cache',
  description: 'Keeps values by key, embedded (LMDB) or in Redis: put, get, enrich, atomic update or delete',
  category: 'storage',
  inputs: [{ name: 'in' }],
  outputs: [
    {
      name: 'out',
      description: 'get/enrich: found messages; put/delete: the input, once stored; update: the new value',
    },
    { name: 'miss', description: 'get/enrich: messages whose key is not in the cache' },
  ],
  docs: `
Keeps values by key. *Backend* \`embedded\`: a database (LMDB) in the flow's data folder; its
content survives restarts. *Backend* \`redis\`: a Redis server (a connection of the flow), shared by
every runtime that uses it; each key is a hash \`<store>:<key>\` (behind the connection's key
prefix) holding the value as JSON in its \`v\` field. Cache nodes that name the same *Store* share
it, e.g. one node *puts* customer records and another *enriches* orders with them.

| Operation | What it does |
|---|---|
| put | stores the message value under its key; the message goes on to **out** once it is on disk |
| get | sends the stored value (with the message's key, headers, timestamp) to **out**; unknown keys go to **miss** |
| enrich | adds the stored value to the message value under *Field*: \`{ ...value, [field]: stored }\`; unknown keys go to **miss** |
| update | computes the new value from the stored one with *Update* (\`old\` is the stored value or \`null\`): atomic per key; the message goes on with the new value |
| delete | removes the key; the message goes on to **out** |

**update** is atomic per key even with several runtimes writing one Redis (compare-and-set in a Lua
script, read again and recomputed when another writer was first; the embedded store uses one write
transaction per batch). Messages of one key in a batch apply in order. Examples: \`(old ?? 0) + 1\`
(a counter), \`{ n: (old?.n ?? 0) + 1, sum: (old?.sum ?? 0) + value.amount }\`,
\`old && old.ts > value.ts ? old : value\` (latest by time). The expression must be pure: it may
run again for a key. With the message's source position (Kafka topic, partition, offset) the
update records the last applied offset per partition with the value; a redelivered message (after a
crash) at or below it is not applied again, and goes on with the stored value. A result of
\`undefined\` is an error (the message goes to **error**, the value stays). A **put** of a message
with a source position is guarded the same way: a put at or below the key's last applied offset
for that partition is refused (counted as \`skipped\`), so a runtime that lost its partition in a
rebalance and still writes cannot overwrite what the partition's new owner wrote.

**Fencing** (k runtimes in one consumer group on one Redis reach the state one runtime reaches):
put, update and delete nodes fed by a kafka-source claim an epoch for each partition on every
assignment, before it is read (in Redis \`tributary-epoch:<store>:<group>:<topic>/<partition>\`;
in memory for LMDB). A runtime that keeps a partition keeps its epoch; one that gets it from
another member bumps it. Messages carry the assignment they were read under (\`meta.assignment\`)
and write under its epoch; the write script (or LMDB transaction) refuses an older one — a runtime
that lost the partition (a long pause, a frozen VM, a rebalance) cannot write over the new owner.
Claims carry the group generation of their assignment (Kafka's, higher for every rebalance): a
claim older than the generation that claimed the partition last is refused, so a member paused
between its assignment and its claim cannot take the partition back from its new owner.

A write that is refused or that the store fails (Redis away, a timeout) **fails its message**: not
confirmed, so it is not committed and is read again — never sent to **error**, which would confirm
it. Every later message of that partition read before it is read again is refused here without a
write (a later update applied first would leave a gap the recorded positions then skip), and the
kafka-source reads the partition again from the failed message. Only the message's own faults (no
key, an expression that throws) go to **error**. Cost: one script per assignment, and one hash
read per partition in each write script.

With *Publish changes*, every put, update and delete is also appended to the store's change stream,
which a **cache-updates** source reads (Redis: the stream \`tributary-changes:<store>\`, written in the
same script as the value).

The key is the message key, or the result of *Key expression* (\`value.customerId\`). A message
without a key goes to the **error** port. *TTL* makes stored values expire (put and update: each
write sets it again). With *On miss* \`pass\`, misses go to **out** instead, with \`null\` as the
value (get) or field (enrich). Statistics: \`size\` (on Redis counted by SCAN every few seconds),
\`hits\`, \`misses\`, \`skipped\` (redeliveries an update did not apply again), \`fenced\` (writes
refused by a newer partition epoch), \`writeErrors\` (writes the store failed: read again),
\`refused\` (later writes of a read with a failed write: read again).
`.trim(),
  config: z.strictObject({
    operation: z
      .enum(CACHE_OPERATIONS, { error: required('one of get, enrich, put, update, delete') })
      .describe(
        'put stores, get looks up, enrich merges the stored value into the message, update computes a new value from the stored one, delete removes',
      )
      .meta(ui({ label: 'Operation', widget: 'select', order: 1 })),
    backend: z
      .enum(CACHE_BACKENDS)
      .default('embedded')
      .describe("embedded: LMDB in the flow's data folder; redis: a Redis server shared by every runtime")
      .meta(ui({ label: 'Backend', widget: 'select', order: 2 })),
    connection: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('redis backend: the Redis server (a connection of the flow)')
      .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'redis', order: 3 })),
    store: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .default('cache')
      .describe('Name of the store (on Redis, the key prefix); cache nodes with the same name share their data')
      .meta(ui({ label: 'Store', order: 4 })),
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
          order: 5,
        }),
      ),
    update: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        'update: JavaScript expression for the new value (old, msg, key, value, headers in scope; old is null when missing)',
      )
      .meta(ui({ label: 'Update', widget: 'code', language: 'javascript', placeholder: '(old ?? 0) + 1', order: 6 })),
    field: z
      .string()
      .min(1)
      .default('cached')
      .describe('enrich: the field of the message value that receives the stored value')
      .meta(ui({ label: 'Field', order: 7 })),
    ttlMs: z
      .int()
      .min(1)
      .optional()
      .describe('put/update: how long stored values are kept before they expire; leave empty to keep them')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'TTL', placeholder: 'never expires', order: 8 })),
    onMiss: z
      .enum(['miss', 'pass'])
      .default('miss')
      .describe('get/enrich: send misses to the miss port, or pass them to out with null')
      .meta(ui({ label: 'On miss', widget: 'select', advanced: true, order: 9 })),
    publishChanges: z
      .boolean()
      .default(false)
      .describe("Append every put, update and delete to the store's change stream (read by cache-updates)")
      .meta(ui({ label: 'Publish changes', advanced: true, order: 10 })),
  }),
});
