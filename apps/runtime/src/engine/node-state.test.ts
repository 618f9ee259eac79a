/**
 * `ctx.state` through the real engine: a postgres-source keeps its confirmed position there, in the
 * flow's data folder, so a second run of the flow (same data folder) reads only the rows added
 * since. Needs PostgreSQL on 127.0.0.1:5432 (database `test`); fails, never skips, without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from './index.js';

const DB = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env.PGUSER ?? 'postgres' };
const TABLE = `nodestate_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
let pool: pg.Pool;
let dataDir: string;

beforeAll(async () => {
  pool = new pg.Pool({ ...DB, max: 2 });
  await pool.query(`CREATE TABLE "${TABLE}" (id bigserial PRIMARY KEY, name text)`);
  dataDir = mkdtempSync(join(tmpdir(), 'node-state-'));
});
afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS "${TABLE}"`);
  await pool.end();
  rmSync(dataDir, { recursive: true, force: true });
});

const flow: FlowDocument = {
  schemaVersion: 1,
  id: 'node-state',
  name: 'postgres-source → counter',
  connections: [{ id: 'db', type: 'postgres', config: DB }],
  nodes: [
    {
      id: 'rows',
      type: 'postgres-source',
      typeVersion: 1,
      position: { x: 0, y: 0 },
      config: { connection: 'db', table: TABLE, column: 'id', intervalMs: 50 },
    },
    { id: 'count', type: 'counter', typeVersion: 1, position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'rows->count', source: 'rows', sourcePort: 'out', target: 'count', targetPort: 'in' }],
};

/** Runs the flow until the counter saw `count` rows, then stops it; answers what the counter saw in all. */
async function readRows(count: number): Promise<number> {
  const run = await startFlow(flow, { registry: createNodeRegistry(), dataDir });
  const deadline = Date.now() + 30_000;
  while ((run.stats().nodes.count?.in ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`the counter saw ${run.stats().nodes.count?.in} of ${count} rows`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // A little longer: a source that did not resume from its position would send more now.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await run.stop();
  return run.stats().nodes.count!.in;
}

describe('ctx.state in the engine', () => {
  it('keeps a source position across runs of the flow', async () => {
    await pool.query(`INSERT INTO "${TABLE}" (name) SELECT 'a' || g FROM generate_series(1, 3) g`);
    expect(await readRows(3)).toBe(3);
    await pool.query(`INSERT INTO "${TABLE}" (name) SELECT 'b' || g FROM generate_series(1, 2) g`);
    expect(await readRows(2)).toBe(2);
  });
});
