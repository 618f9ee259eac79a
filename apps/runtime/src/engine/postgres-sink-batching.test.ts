/**
 * postgres-sink through the real engine (its batches are held across `process` calls, which the
 * runNode harness cannot do): batching by time and by count, bad rows to the error port with the
 * database's message, every input confirmed only after COMMIT. Needs PostgreSQL on 127.0.0.1:5432
 * (database `test`); fails, never skips, without it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from './index.js';

const DB = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env.PGUSER ?? 'postgres' };
const RUN = `pgbatch_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
let pool: pg.Pool;
const dirs: string[] = [];
let n = 0;

beforeAll(() => {
  pool = new pg.Pool({ ...DB, max: 2 });
});
afterAll(async () => {
  for (let i = 0; i < n; i++) await pool.query(`DROP TABLE IF EXISTS "${RUN}_${i}"`);
  await pool.query('DELETE FROM tributary_offsets WHERE sink LIKE $1', [`${RUN.replace(/_/g, '-')}%`]);
  await pool.end();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** inline (`messages`) → postgres-sink (`sink` settings) → its error port into a file. */
function flow(table: string, messages: unknown[], sink: Record<string, unknown>): FlowDocument {
  return {
    schemaVersion: 1,
    id: table.replace(/_/g, '-'),
    name: 'postgres-sink batching',
    connections: [{ id: 'db', type: 'postgres', config: DB }],
    nodes: [
      { id: 'in', type: 'inline', typeVersion: 1, position: { x: 0, y: 0 }, config: { messages } },
      {
        id: 'rows',
        type: 'postgres-sink',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: {
          connection: 'db',
          table,
          createTable: true,
          columns: [
            { column: 'id', value: 'value.id', type: 'bigint' },
            { column: 'name', value: 'value.name', type: 'text NOT NULL' },
          ],
          ...sink,
        },
      },
      { id: 'dead', type: 'file', typeVersion: 1, position: { x: 400, y: 0 }, config: { path: 'dead.jsonl' } },
    ],
    edges: [
      { id: 'in->rows', source: 'in', sourcePort: 'out', target: 'rows', targetPort: 'in' },
      { id: 'rows:error->dead', source: 'rows', sourcePort: 'error', target: 'dead', targetPort: 'in' },
    ],
  };
}

async function run(messages: unknown[], sink: Record<string, unknown>, source: Record<string, unknown> = {}) {
  const table = `${RUN}_${n++}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'pg-batching-'));
  dirs.push(dataDir);
  const doc = flow(table, messages, sink);
  doc.nodes[0]!.config = { ...doc.nodes[0]!.config, ...source };
  const started = await startFlow(doc, { registry: createNodeRegistry(), dataDir });
  const result = await started.done;
  const stats = started.stats();
  const ids = (await pool.query<{ id: string }>(`SELECT id FROM "${table}" ORDER BY id`)).rows.map((r) => Number(r.id));
  let dead: { value: unknown; meta: { error: { code: string; message: string } } }[] = [];
  try {
    dead = readFileSync(join(dataDir, 'dead.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as (typeof dead)[number]);
  } catch {
    // No file: nothing was dead-lettered.
  }
  return { result, stats, ids, dead };
}

const rows = (count: number) => Array.from({ length: count }, (_, i) => ({ value: { id: i, name: `n${i}` } }));

describe('postgres-sink in the engine', () => {
  it('a partial batch is written after Linger, in one transaction, and the flow finishes confirmed', async () => {
    const { result, stats, ids } = await run(rows(5), { batchSize: 1000, lingerMs: 200 });
    expect(result.state).toBe('finished');
    expect(ids).toEqual([0, 1, 2, 3, 4]);
    expect(stats.nodes.rows!.custom).toMatchObject({ rows: 5, transactions: 1, pending: 0 });
  });

  it('full batches are written as they fill (by count)', async () => {
    const { stats, ids } = await run(rows(1000), { batchSize: 100, lingerMs: 60_000 });
    expect(ids).toHaveLength(1000);
    // A linger of a minute would have held the flow that long: the count triggered every write.
    expect(stats.nodes.rows!.custom.transactions).toBeGreaterThanOrEqual(5);
  });

  it('held batches: bad rows go to the error port with the database message; the others are written', async () => {
    // Spaced out (inline intervalMs) so that the batches are written by the linger timer while the
    // flow runs. (A batch still held when a finite flow ends is written by close(), when the engine
    // no longer delivers to the error port: see notes/state.md.)
    const { stats, ids, dead } = await run(
      [
        ...rows(3),
        { value: { id: 'x', name: 'bad id' } },
        { value: { id: 7 } },
        { value: { id: 8, name: 'ok' } },
        { value: { id: 9, name: 'ok' } },
        { value: { id: 10, name: 'ok' } },
      ],
      { batchSize: 1000, lingerMs: 20 },
      { intervalMs: 100 },
    );
    expect(ids).toEqual([0, 1, 2, 8, 9, 10]);
    expect(dead.map((d) => d.value)).toEqual([{ id: 'x', name: 'bad id' }, { id: 7 }]);
    expect(dead.map((d) => d.meta.error.code)).toEqual(['E_ROW_REJECTED', 'E_ROW_REJECTED']);
    expect(dead[0]!.meta.error.message).toMatch(/invalid input syntax for type bigint/);
    expect(dead[1]!.meta.error.message).toMatch(/null value in column "name"/);
    expect(stats.nodes.rows!.errors).toBe(2);
  });
});
