/**
 * Effectively-once into PostgreSQL, end to end: kafka-source → function → postgres-sink in
 * `tributary run` processes killed with SIGKILL three times while a producer writes 3,000 msgs/s.
 * Needs the Kafka broker (`pnpm kafka start`) and PostgreSQL on 127.0.0.1:5432 (database `test`);
 * fails, never skips, without them. The table and the offsets rows are unique to the run.
 */
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { kafkaFor, RuntimeProcess, SteadyProducer, waitUntil } from '../testing/kafka-harness.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const DB = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env.PGUSER ?? 'postgres' };
const PARTITIONS = 6;

let kafka: Kafka;
let admin: Admin;
let pool: pg.Pool;
const cleanup: (() => Promise<void>)[] = [];
const tables: string[] = [];

function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
}

/** kafka-source → function (tags the row) → postgres-sink into `table`, effectively-once. */
function sinkFlow(flowId: string, topic: string, groupId: string, table: string): FlowDocument {
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
        },
      },
    ],
    edges: [
      { id: 'in->tag', source: 'in', sourcePort: 'out', target: 'tag', targetPort: 'in' },
      { id: 'tag->rows', source: 'tag', sourcePort: 'out', target: 'rows', targetPort: 'in' },
    ],
  };
}

function runtime(flow: FlowDocument): RuntimeProcess {
  const r = new RuntimeProcess(flow);
  cleanup.push(() => r.dispose());
  return r;
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

beforeAll(async () => {
  kafka = kafkaFor(BROKERS, 'postgres-delivery-test');
  admin = kafka.admin();
  await admin.connect();
  pool = new pg.Pool({ ...DB, max: 2 });
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

afterAll(async () => {
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool.query('DELETE FROM tributary_offsets WHERE sink LIKE $1', ['pg-eo-%']).catch(() => undefined);
  await pool.end();
  await admin?.disconnect();
});

describe('kafka-source → function → postgres-sink in tributary run processes', () => {
  it('kill -9 three times mid-stream at 3,000 msgs/s: count(*) = count(distinct id) = the input', async () => {
    const total = 30_000;
    const table = unique('pg_eo');
    tables.push(table);
    const topic = unique('pg-eo-in');
    const groupId = unique('pg-eo-group');
    const flowId = unique('pg-eo').replace(/_/g, '-');
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    const producer = new SteadyProducer(kafka, topic, total, 3000);

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
});
