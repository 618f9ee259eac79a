/**
 * Effectively-once into PostgreSQL, end to end: kafka-source → function → postgres-sink in
 * `tributary run` processes killed with SIGKILL while a producer writes 3,000 msgs/s; the rows,
 * and the sink's `ctx.state` committed with them, come out exact.
 * Needs the Kafka broker (`pnpm kafka start`) and PostgreSQL on 127.0.0.1:5432 (database `test`);
 * fails, never skips, without them. The table and the offsets rows are unique to the run.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { BROKERS, DB, unique, useKafka, useRuntimes } from '../testing/delivery-fixtures.js';
import { SteadyProducer, waitUntil } from '../testing/kafka-harness.js';

const PARTITIONS = 6;

const k = useKafka('postgres-delivery-test');
const { runtime } = useRuntimes();
let pool: pg.Pool;
const tables: string[] = [];

/** kafka-source → function (tags the row) → postgres-sink into `table`, effectively-once. */
function sinkFlow(flowId: string, topic: string, groupId: string, table: string, state?: string): FlowDocument {
  return {
    schemaVersion: 1,
    id: flowId,
    name: 'Kafka to PostgreSQL',
    connections: [
      { id: 'broker', type: 'kafka', config: { brokers: BROKERS, clientId: flowId } },
      { id: 'db', type: 'postgres', config: DB },
    ],
    nodes: [
      {
        id: 'in',
        type: 'kafka-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: { connection: 'broker', topics: [topic], groupId, startFrom: 'earliest', sessionTimeoutMs: 6000 },
      },
      {
        id: 'tag',
        type: 'function',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: { code: 'return { value: { id: msg.value.id, p: msg.meta.partition, o: Number(msg.meta.offset) } };' },
      },
      {
        id: 'rows',
        type: 'postgres-sink',
        typeVersion: 1,
        position: { x: 400, y: 0 },
        config: {
          connection: 'db',
          table,
          createTable: true,
          // No unique key: a row written twice would show as a duplicate id.
          columns: [
            { column: 'id', value: 'value.id', type: 'bigint' },
            { column: 'kafka_partition', value: 'value.p', type: 'int' },
            { column: 'kafka_offset', value: 'value.o', type: 'bigint' },
          ],
          ...(state === undefined ? {} : { state }),
        },
      },
    ],
    edges: [
      { id: 'in->tag', source: 'in', sourcePort: 'out', target: 'tag', targetPort: 'in' },
      { id: 'tag->rows', source: 'tag', sourcePort: 'out', target: 'rows', targetPort: 'in' },
    ],
  };
}

async function counts(table: string): Promise<{ all: number; distinct: number }> {
  const result = await pool.query<{ all: string; distinct: string }>(
    `SELECT count(*) AS all, count(DISTINCT id) AS distinct FROM "${table}"`,
  );
  const row = result.rows[0]!;
  return { all: Number(row.all), distinct: Number(row.distinct) };
}

/** count(*) of `table`, 0 while the sink has not created it yet. */
async function rowCount(table: string): Promise<number> {
  try {
    return (await counts(table)).all;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return 0;
    throw error;
  }
}

/** The rows of `table` and the sink's state, read in one statement (one snapshot). */
async function rowsAndState(table: string, node: string): Promise<{ rows: number; sum: number; state: unknown }> {
  const result = await pool.query<{ rows: string; sum: string; state_rows: unknown; state_sum: unknown }>(
    `SELECT (SELECT count(*) FROM "${table}") AS rows, (SELECT coalesce(sum(id), 0) FROM "${table}") AS sum,
            (SELECT value FROM tributary_state WHERE node = $1 AND key = 'rows') AS state_rows,
            (SELECT value FROM tributary_state WHERE node = $1 AND key = 'sum') AS state_sum`,
    [node],
  );
  const row = result.rows[0]!;
  return { rows: Number(row.rows), sum: Number(row.sum), state: { rows: row.state_rows, sum: row.state_sum } };
}

beforeAll(() => {
  pool = new pg.Pool({ ...DB, max: 2 });
});

afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool.query('DELETE FROM tributary_offsets WHERE sink LIKE $1', ['pg-eo-%']).catch(() => undefined);
  await pool.query('DELETE FROM tributary_state WHERE node LIKE $1', ['pg-eo-%']).catch(() => undefined);
  await pool.end();
});

describe('kafka-source → function → postgres-sink in tributary run processes', () => {
  it('kill -9 three times mid-stream at 3,000 msgs/s: count(*) = count(distinct id) = the input', async () => {
    const total = 30_000;
    const table = unique('pg_eo', '_');
    tables.push(table);
    const topic = await k.topic('pg-eo-in', PARTITIONS);
    const groupId = unique('pg-eo-group');
    const flowId = unique('pg-eo');
    const producer = new SteadyProducer(k.kafka, topic, total, 3000);

    let current = runtime(sinkFlow(flowId, topic, groupId, table));
    const kills: number[] = [];
    for (const share of [0.15, 0.4, 0.65]) {
      const by = current;
      await waitUntil(
        `${share * 100} % of the rows written`,
        async () => (await rowCount(table)) >= total * share,
        180_000,
        () => by.log,
      );
      by.kill();
      await by.exited;
      kills.push(await rowCount(table));
      current = runtime(sinkFlow(flowId, topic, groupId, table));
    }
    await producer.done;
    const last = current;
    await waitUntil(
      'every row written',
      async () => (await rowCount(table)) >= total,
      180_000,
      () => last.log,
    );
    const skipped = last.latest?.nodes.rows?.custom.skipped;
    expect(await last.stop()).toBe(0);

    expect(await counts(table)).toEqual({ all: total, distinct: total });
    console.info(
      `postgres effectively-once: ${total} in, rows at the kills: ${kills.join(', ')}; the last runtime skipped ${JSON.stringify(skipped)} redelivered; ${total} rows, ${total} distinct`,
    );
  }, 600_000);

  it('ctx.state committed with the rows: after each kill -9 and at the end, the state equals what the table holds', async () => {
    const total = 15_000;
    const table = unique('pg_eo_state', '_');
    tables.push(table);
    const topic = await k.topic('pg-eo-state-in', PARTITIONS);
    const groupId = unique('pg-eo-state-group');
    const flowId = unique('pg-eo-state');
    // The row count and the sum of ids so far, updated in every transaction of the sink.
    const state = [
      'const sum = messages.reduce((total, m) => total + m.value.id, 0);',
      "await state.set('rows', ((await state.get('rows')) ?? 0) + messages.length);",
      "await state.set('sum', ((await state.get('sum')) ?? 0) + sum);",
    ].join('\n');
    const flow = () => sinkFlow(flowId, topic, groupId, table, state);
    const producer = new SteadyProducer(k.kafka, topic, total, 3000);
    let current = runtime(flow());
    const atKills: { rows: number; sum: number; state: unknown }[] = [];
    for (const share of [0.3, 0.6]) {
      const by = current;
      await waitUntil(
        `${share * 100} % of the rows written`,
        async () => (await rowCount(table)) >= total * share,
        180_000,
        () => by.log,
      );
      by.kill();
      await by.exited;
      const seen = await rowsAndState(table, `${flowId}/rows`);
      atKills.push(seen);
      // Killed mid-stream: the state is exactly what the committed rows say, neither ahead nor behind.
      expect(seen.state).toEqual({ rows: seen.rows, sum: seen.sum });
      current = runtime(flow());
    }
    await producer.done;
    const last = current;
    await waitUntil(
      'every row written',
      async () => (await rowCount(table)) >= total,
      180_000,
      () => last.log,
    );
    expect(await last.stop()).toBe(0);
    const end = await rowsAndState(table, `${flowId}/rows`);
    const sum = (total * (total - 1)) / 2;
    expect(end).toEqual({ rows: total, sum, state: { rows: total, sum } });
    expect(await counts(table)).toEqual({ all: total, distinct: total });
    console.info(`postgres state: at the kills ${atKills.map((s) => s.rows).join(', ')} rows, state equal each time`);
  }, 600_000);
});
