import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { postgresConnectionField } from '../connections/postgres.js';
import { batchSizeField, required, ui } from '../lib/schema.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const QUALIFIED = /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;

const DOCS = `
Reads new rows of a PostgreSQL table in the order of an increasing column (a \`bigserial\` id, a
sequence): each row becomes a message whose value is the row (column → value; \`bigint\` and
\`numeric\` as strings, timestamps as dates) and whose key is the column's value.

The position (the column's value below which every row was confirmed by the flow) is kept in the
node's state and survives restarts: the source resumes after it. *Start from* \`beginning\` reads
the rows already there on the first start; \`now\` only rows added later.

The table is polled every *Interval*; with a *Notify channel*, a \`NOTIFY <channel>\` (from a
trigger, say) polls at once, so new rows arrive without waiting for the interval.

The column must be **unique and increasing** as rows are committed: a row committed later with a
smaller value than one already read is never read (use a sequence, and prefer it over a timestamp).
`.trim();

export const postgresSourceManifest = defineManifest({
  type: 'postgres-source',
  typeVersion: 1,
  kind: 'source',
  label: 'PostgreSQL source',
  description: 'Reads new rows of a table by an increasing column (polling, or woken by NOTIFY)',
  category: 'storage',
  inputs: [],
  outputs: [{ name: 'out', description: 'One message per row' }],
  docs: DOCS,
  config: z.strictObject({
    connection: postgresConnectionField(1),
    table: z
      .string({ error: required('the table to read') })
      .trim()
      .regex(QUALIFIED, 'table: a name, or schema.name (letters, digits, _ and $)')
      .describe('The table to read, optionally schema.table')
      .meta(ui({ label: 'Table', placeholder: 'public.events', order: 2 })),
    column: z
      .string({ error: required('the increasing column') })
      .trim()
      .regex(NAME, 'column: letters, digits, _ and $, not starting with a digit')
      .describe('A unique, increasing column (e.g. a bigserial id): rows are read in its order')
      .meta(ui({ label: 'Increasing column', placeholder: 'id', order: 3 })),
    startFrom: z
      .enum(['beginning', 'now'])
      .default('beginning')
      .describe('First start: read the rows already in the table, or only those added later')
      .meta(ui({ label: 'Start from', widget: 'select', order: 4 })),
    intervalMs: z
      .int()
      .min(10)
      .max(3_600_000)
      .default(1000)
      .describe('How often to look for new rows when the last read found none')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Interval', order: 5 })),
    notifyChannel: z
      .string()
      .trim()
      .regex(NAME, 'a channel name: letters, digits, _ and $')
      .optional()
      .describe('LISTEN on this channel: a NOTIFY reads new rows at once')
      .meta(ui({ label: 'Notify channel', advanced: true, order: 6 })),
    batchSize: batchSizeField(7),
  }),
});
