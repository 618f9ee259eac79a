import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { postgresConnectionField } from '../connections/postgres.js';
import { required, ui } from '../lib/schema.js';

/** A SQL identifier as users type it: letters, digits, `_` and `$`, not starting with a digit. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const identifier = (what: string) =>
  z
    .string({ error: required(what) })
    .trim()
    .regex(IDENTIFIER, `${what}: letters, digits, _ and $, not starting with a digit`)
    .max(63, 'PostgreSQL names are at most 63 characters');

/** One entry of the column mapping (an array of objects: the editor draws it as a list of rows). */
export const columnMapping = z.strictObject({
  column: identifier('the column name')
    .describe('Column of the table')
    .meta(ui({ label: 'Column', order: 1 })),
  value: z
    .string({ error: required('a JavaScript expression for the column') })
    .trim()
    .min(1, 'required: a JavaScript expression for the column')
    .describe('JavaScript expression for the value (msg, key, value, headers, meta in scope), e.g. value.id')
    .meta(ui({ label: 'Value', widget: 'code', language: 'javascript', placeholder: 'value.id', order: 2 })),
  type: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9_ (),[\]]*$/, 'a PostgreSQL type such as bigint, text, jsonb, timestamptz')
    .max(60)
    .optional()
    .describe("Create table: the column's PostgreSQL type (default text)")
    .meta(ui({ label: 'Type', placeholder: 'text', order: 3 })),
});

const DOCS = `
Writes messages as rows of a PostgreSQL table, in transactions: a message is confirmed (and its
source may commit it) only after the COMMIT of the transaction holding its row.

**Columns** map each column to a JavaScript expression over the message (\`value.id\`,
\`key\`, \`msg.timestamp\`, \`new Date(value.at)\`, \`meta.partition\`). Objects and arrays are
written as JSON (for \`json\`/\`jsonb\` columns), \`undefined\` as NULL.

*Mode* \`insert\` inserts every row (with a *Conflict key*: rows whose key exists are skipped,
\`ON CONFLICT DO NOTHING\`); \`upsert\` inserts or updates the other columns of the row with the same
*Conflict key* (it needs a unique index or primary key on those columns). Rows of one batch with
the same key: the last one wins. *Create table* creates the table if it does not exist, with the
columns' *Type* (default \`text\`) and the conflict key as primary key.

**Batching**: rows are written together once *Batch size* rows wait, or *Linger* milliseconds
after the first one, whichever comes first.

**Bad rows** (a type the column rejects, a constraint violated, an expression that throws) go to
the **error** port with the database's message; the rest of the batch is written (a failed batch
is retried row by row, each row behind a savepoint).

**Effectively-once** (on by default): the position of each message (Kafka topic, partition,
offset) is stored in the table \`tributary_offsets\` (*Offsets table*) in the same transaction as
the rows: the rows of partitions being written are locked (\`FOR UPDATE\`, which also fences a
second writer of the same partition), messages at or below the stored offset are skipped as
redeliveries, and the offsets advance with the commit. A kafka-source whose *Positions from*
names this node resumes where this table says, on start and on every partition assignment.
Messages without a position (other sources) are always written.

**State** (\`ctx.state\`, Dataiku's \`checkpoint(state)\` / \`get_state()\`): the optional
*State code* runs inside each transaction, after its rows went in and before COMMIT, with
\`messages\` (those whose rows this transaction writes: redeliveries skipped by the offsets and
refused rows left out) and \`state\` (\`await state.get(key)\`, \`state.set(key, value)\`,
\`state.delete(key)\`; JSON values). What it sets is written to \`tributary_state\` (*State
table*, a row per flow/node/key) in the same transaction as the rows and offsets: after a crash
the state is never ahead of nor behind the table. A key read here is locked until COMMIT, so
runtimes sharing the flow take turns. Code that throws rolls the transaction back and sends its
messages to the error port.

\`\`\`js
// a running total next to the rows
const total = (await state.get('total')) ?? 0;
await state.set('total', total + messages.reduce((sum, m) => sum + m.value.amount, 0));
\`\`\`

Statistics: \`rows\` (written), \`skipped\` (redeliveries), \`transactions\`, \`pending\` (rows waiting).
`.trim();

export const postgresSinkManifest = defineManifest({
  type: 'postgres-sink',
  typeVersion: 1,
  kind: 'sink',
  label: 'PostgreSQL sink',
  description: 'Inserts or upserts rows into a PostgreSQL table, effectively-once with the source offsets',
  category: 'storage',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: DOCS,
  config: z.strictObject({
    connection: postgresConnectionField(1),
    table: z
      .string({ error: required('the table to write') })
      .trim()
      .regex(
        /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/,
        'table: a name, or schema.name (letters, digits, _ and $)',
      )
      .describe('The table to write, optionally schema.table')
      .meta(ui({ label: 'Table', placeholder: 'public.orders', order: 2 })),
    columns: z
      .array(columnMapping, { error: required('the columns to write, each with a value expression') })
      .min(1, 'at least one column')
      .max(1000)
      .describe('Columns of the table and the expression that gives each its value')
      .meta(ui({ label: 'Columns', order: 3 })),
    mode: z
      .enum(['insert', 'upsert'])
      .default('insert')
      .describe('insert adds rows; upsert updates the row with the same conflict key')
      .meta(ui({ label: 'Mode', widget: 'select', order: 4 })),
    conflictKey: z
      .array(identifier('a column name'))
      .max(32)
      .default([])
      .describe('Columns that identify a row (unique index or primary key): upsert updates it, insert skips it')
      .meta(ui({ label: 'Conflict key', order: 5 })),
    createTable: z
      .boolean()
      .default(false)
      .describe('Create the table if it does not exist (column types from the mapping, conflict key as primary key)')
      .meta(ui({ label: 'Create table', order: 6 })),
    batchSize: z
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('Rows written in one transaction at most')
      .meta(ui({ label: 'Batch size', advanced: true, order: 7 })),
    lingerMs: z
      .int()
      .min(0)
      .max(60_000)
      .default(50)
      .describe('How long a partial batch waits for more rows before it is written (0: write each batch as it comes)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Linger', advanced: true, order: 8 })),
    effectivelyOnce: z
      .boolean()
      .default(true)
      .describe('Store source offsets with the rows in one transaction and skip redelivered messages')
      .meta(ui({ label: 'Effectively-once', advanced: true, order: 9 })),
    offsetsTable: z
      .string()
      .trim()
      .regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'a name, or schema.name')
      .default('tributary_offsets')
      .describe('Table of the stored offsets (created if missing)')
      .meta(ui({ label: 'Offsets table', advanced: true, order: 10 })),
    state: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        'JavaScript run in each transaction before COMMIT, with messages (those written) and state (get/set/delete); what it sets commits with the rows',
      )
      .meta(
        ui({
          label: 'State code',
          widget: 'code',
          language: 'javascript',
          placeholder: "await state.set('rows', ((await state.get('rows')) ?? 0) + messages.length);",
          advanced: true,
          order: 11,
        }),
      ),
    stateTable: z
      .string()
      .trim()
      .regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'a name, or schema.name')
      .default('tributary_state')
      .describe('Table of the node state kept by the State code (created if missing)')
      .meta(ui({ label: 'State table', advanced: true, order: 12 })),
  }),
});
