/**
 * postgres-source against the local PostgreSQL (127.0.0.1:5432, database `test`; fails, never
 * skips, without it). Each test reads its own table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runNode } from '../testing/index.js';
import { postgresSourceNode } from './runtime.js';

const DB = { host: '127.0.0.1', database: 'test', user: process.env.PGUSER ?? 'postgres', connectTimeoutMs: 5000 };
const RUN = `pgsrc_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
let pool: pg.Pool;
let n = 0;
const tables: string[] = [];
let dataDir: string;

beforeAll(() => {
  pool = new pg.Pool({ host: DB.host, database: DB.database, user: DB.user, max: 2 });
});
afterAll(async () => {
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS "${t}"`);
  await pool.end();
});
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pg-source-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function table(rows: string[]): Promise<string> {
  const name = `${RUN}_${n++}`;
  tables.push(name);
  await pool.query(`CREATE TABLE "${name}" (id bigserial PRIMARY KEY, name text NOT NULL)`);
  await insert(name, rows);
  return name;
}

async function insert(name: string, rows: string[]): Promise<void> {
  for (const row of rows) await pool.query(`INSERT INTO "${name}" (name) VALUES ($1)`, [row]);
}

const read = (config: Record<string, unknown>, until: number, extra: Parameters<typeof runNode>[2] = {}) =>
  runNode(
    postgresSourceNode,
    { connection: 'db', column: 'id', intervalMs: 50, ...config },
    {
      dataDir,
      connections: { db: DB },
      until: { messages: until },
      ...extra,
    },
  );

describe('postgres-source', () => {
  it('reads rows in the order of the column; a restart resumes after the confirmed position', async () => {
    const t = await table(['a', 'b', 'c']);
    const first = await read({ table: t }, 3);
    expect(first.outputs.out!.map((m) => [m.key, m.value])).toEqual([
      ['1', { id: '1', name: 'a' }],
      ['2', { id: '2', name: 'b' }],
      ['3', { id: '3', name: 'c' }],
    ]);
    await insert(t, ['d', 'e']);
    const second = await read({ table: t }, 2);
    expect(second.outputs.out!.map((m) => (m.value as { name: string }).name)).toEqual(['d', 'e']);
  });

  it('does not move the position past rows the flow did not confirm: they are read again', async () => {
    const t = await table(['a', 'b']);
    await read({ table: t }, 2, { ack: 'fail' });
    const again = await read({ table: t }, 2);
    expect(again.outputs.out!.map((m) => (m.value as { name: string }).name)).toEqual(['a', 'b']);
  });

  it('startFrom now skips the rows already there on the first start', async () => {
    const t = await table(['old']);
    const reading = read({ table: t, startFrom: 'now' }, 1);
    // Inserted while the source polls (it took its starting position before its first poll).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await insert(t, ['new']);
    const result = await reading;
    expect(result.outputs.out!.map((m) => (m.value as { name: string }).name)).toEqual(['new']);
  });

  it('a NOTIFY on the channel reads new rows at once, without waiting for the interval', async () => {
    const t = await table([]);
    const channel = `${t}_changes`;
    const reading = read({ table: t, intervalMs: 600_000, notifyChannel: channel }, 1, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await insert(t, ['x']);
    await pool.query(`NOTIFY "${channel}"`);
    const result = await reading;
    expect(result.timedOut).toBe(false);
    expect(result.outputs.out!.map((m) => (m.value as { name: string }).name)).toEqual(['x']);
  });
});
