/**
 * `pnpm bench` (section `state`): the cache on Redis and the PostgreSQL sink against what people
 * write by hand on the same servers, in the same run.
 *
 * - cache enrich: sequence → function (an order object) → cache enrich on Redis → counter, against
 *   an ioredis loop that builds the same objects and looks them up with one pipeline per batch.
 * - postgres-sink, effectively-once (offsets locked and stored in the same transaction): sequence →
 *   function (Kafka-like positions over 6 partitions) → postgres-sink, against a pg loop of
 *   multi-row INSERTs of the same batch size (autocommit, no offsets).
 *
 * Env: STATE_BENCH_LOOKUPS (200,000), STATE_BENCH_ROWS (100,000), REDIS_HOST/REDIS_PORT, PGUSER.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow } from '../engine/index.js';
import { benchPipeline } from './engine-bench.js';
import { medianOf } from './median.js';

const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const DB = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env.PGUSER ?? 'postgres' };
const CUSTOMERS = 20_000;
const BATCH = 1024;
const ROW_BATCH = 1000;

const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
async function runToEnd(flow: FlowDocument): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-state-bench-'));
  try {
    const started = performance.now();
    const run = await startFlow(flow, { registry: createNodeRegistry(), dataDir });
    const result = await run.done;
    const seconds = (performance.now() - started) / 1000;
    if (result.state !== 'finished') throw new Error(`flow ended ${result.state}: ${result.reason ?? ''}`);
    return seconds;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ORDER = 'return { value: { order: value, customer: "c" + (value % 20000) } };';

function enrichFlow(count: number, store: string): FlowDocument {
  const flow = benchPipeline(
    'bench-cache-enrich',
    'Bench: cache enrich on Redis',
    [
      ['seq', 'sequence', { count }],
      ['order', 'function', { code: ORDER }],
      [
        'enrich',
        'cache',
        {
          operation: 'enrich',
          backend: 'redis',
          connection: 'redis',
          store,
          keyExpression: 'value.customer',
          field: 'c',
        },
      ],
      ['count', 'counter', {}],
    ],
    [
      ['seq', 'order'],
      ['order', 'enrich'],
      ['enrich', 'count'],
    ],
  );
  return { ...flow, connections: [{ id: 'redis', type: 'redis', config: REDIS }] };
}

/** The hand-written lookup loop: the same objects, one HGET pipeline per batch of 1,024. */
async function handEnrich(redis: Redis, count: number, store: string): Promise<number> {
  const started = performance.now();
  let done = 0;
  for (let start = 0; start < count; start += BATCH) {
    const orders: { order: number; customer: string }[] = [];
    for (let n = start; n < Math.min(count, start + BATCH); n++)
      orders.push({ order: n, customer: `c${n % CUSTOMERS}` });
    const pipeline = redis.pipeline();
    for (const o of orders) pipeline.hget(`${store}:${o.customer}`, 'v');
    const found = (await pipeline.exec()) ?? [];
    for (let i = 0; i < orders.length; i++) {
      const json = found[i]![1] as string | null;
      const enriched = { ...orders[i]!, c: json === null ? null : (JSON.parse(json) as unknown) };
      if (enriched.c !== null) done++;
    }
  }
  if (done !== count) throw new Error(`hand-written enrich found ${done} of ${count}`);
  return (performance.now() - started) / 1000;
}

const POSITIONED =
  'return { value: { id: value, name: "n" + value }, meta: { topic: "bench", partition: value % 6, offset: String(Math.floor(value / 6)) } };';

function sinkFlow(count: number, table: string): FlowDocument {
  const flow = benchPipeline(
    unique('bench-pg').replace(/_/g, '-'),
    'Bench: postgres-sink effectively-once',
    [
      ['seq', 'sequence', { count }],
      ['position', 'function', { code: POSITIONED }],
      [
        'rows',
        'postgres-sink',
        {
          connection: 'db',
          table,
          createTable: true,
          batchSize: ROW_BATCH,
          lingerMs: 20,
          columns: [
            { column: 'id', value: 'value.id', type: 'bigint' },
            { column: 'name', value: 'value.name', type: 'text' },
          ],
        },
      ],
    ],
    [
      ['seq', 'position'],
      ['position', 'rows'],
    ],
  );
  return { ...flow, connections: [{ id: 'db', type: 'postgres', config: DB }] };
}

/** The hand-written insert loop: multi-row INSERTs of 1,000 rows, each its own (autocommit) transaction. */
async function handInsert(pool: pg.Pool, count: number, table: string): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < count; start += ROW_BATCH) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let n = start; n < Math.min(count, start + ROW_BATCH); n++) {
      tuples.push(`($${values.length + 1}, $${values.length + 2})`);
      values.push(n, `n${n}`);
    }
    await pool.query(`INSERT INTO "${table}" (id, name) VALUES ${tuples.join(', ')}`, values);
  }
  return (performance.now() - started) / 1000;
}

export async function runStateBench(): Promise<Record<string, number | number[]>> {
  const lookups = Number(process.env.STATE_BENCH_LOOKUPS ?? 200_000);
  const rows = Number(process.env.STATE_BENCH_ROWS ?? 100_000);
  const runs = Number(process.env.RUNS ?? 3);
  const redis = new Redis({ ...REDIS, lazyConnect: true });
  await redis.connect();
  const pool = new pg.Pool({ ...DB, max: 2 });
  const store = unique('bench-customers');
  const tables: string[] = [];
  try {
    // The customers every order is enriched with.
    for (let start = 0; start < CUSTOMERS; start += 5000) {
      const pipeline = redis.pipeline();
      for (let c = start; c < start + 5000; c++)
        pipeline.hset(`${store}:c${c}`, 'v', JSON.stringify({ id: c, tier: c % 3 }));
      await pipeline.exec();
    }
    const handEnrichRuns: number[] = [];
    const flowEnrichRuns: number[] = [];
    const handRowRuns: number[] = [];
    const flowRowRuns: number[] = [];
    for (let i = 0; i < runs; i++) {
      handEnrichRuns.push(Math.round(lookups / (await handEnrich(redis, lookups, store))));
      flowEnrichRuns.push(Math.round(lookups / (await runToEnd(enrichFlow(lookups, store)))));

      const handTable = unique('bench_hand');
      tables.push(handTable);
      await pool.query(`CREATE TABLE "${handTable}" (id bigint, name text)`);
      handRowRuns.push(Math.round(rows / (await handInsert(pool, rows, handTable))));
      const flowTable = unique('bench_flow');
      tables.push(flowTable);
      const flow = sinkFlow(rows, flowTable);
      flowRowRuns.push(Math.round(rows / (await runToEnd(flow))));
      const written = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${flowTable}"`);
      if (Number(written.rows[0]!.n) !== rows)
        throw new Error(`postgres-sink wrote ${written.rows[0]!.n} of ${rows} rows`);
      await pool.query('DELETE FROM tributary_offsets WHERE sink LIKE $1', [`${flow.id}/%`]);
    }
    const [handEnrichRate, flowEnrichRate] = [medianOf(handEnrichRuns), medianOf(flowEnrichRuns)];
    const [handRowRate, flowRowRate] = [medianOf(handRowRuns), medianOf(flowRowRuns)];
    return {
      lookups,
      cache_enrich_msgs_per_s: flowEnrichRate,
      hand_written_lookups_per_s: handEnrichRate,
      cache_enrich_vs_hand_written_pct: Math.round((flowEnrichRate / handEnrichRate) * 1000) / 10,
      cache_enrich_runs: flowEnrichRuns,
      hand_written_lookup_runs: handEnrichRuns,
      rows,
      postgres_sink_rows_per_s: flowRowRate,
      hand_written_rows_per_s: handRowRate,
      postgres_sink_vs_hand_written_pct: Math.round((flowRowRate / handRowRate) * 1000) / 10,
      postgres_sink_runs: flowRowRuns,
      hand_written_row_runs: handRowRuns,
    };
  } finally {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${store}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
    await pool.end();
  }
}
