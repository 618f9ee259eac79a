/**
 * postgres-sink against the local PostgreSQL (127.0.0.1:5432, trust auth, database `test`; these
 * tests fail, never skip, without it). Every test writes its own table, and offsets under its own
 * flow id, so parallel runs do not collide. Batches written as they come (lingerMs 0) here; the
 * held, lingering batches are tested through the engine (apps/runtime).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessage, type FlowMessage } from '@tributary/shared';
import { runNode } from '../testing/index.js';
import { postgresSinkNode } from './runtime.js';
import { TableWriter } from './writer.js';

const DB = { host: '127.0.0.1', database: 'test', user: process.env.PGUSER ?? 'postgres', connectTimeoutMs: 5000 };
const RUN = `pgsink_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
let pool: pg.Pool;
const tables: string[] = [];
let n = 0;

function table(): string {
  const name = `${RUN}_${n++}`;
  tables.push(name);
  return name;
}

beforeAll(() => {
  pool = new pg.Pool({ host: DB.host, database: DB.database, user: DB.user, max: 2 });
});
afterAll(async () => {
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS "${t}"`);
  await pool.query(`DELETE FROM tributary_offsets WHERE sink LIKE $1`, [`${RUN}%`]).catch(() => undefined);
  await pool.query(`DELETE FROM tributary_state WHERE node LIKE $1`, [`${RUN}%`]).catch(() => undefined);
  await pool.end();
});

const kafka = (id: number, partition: number, offset: number, extra: Record<string, unknown> = {}): FlowMessage =>
  createMessage({
    key: `k${id}`,
    value: { id, name: `n${id}`, ...extra },
    meta: { topic: 't', partition, offset: String(offset) },
  });

const columns = [
  { column: 'id', value: 'value.id', type: 'bigint' },
  { column: 'name', value: 'value.name', type: 'text' },
  { column: 'body', value: 'value', type: 'jsonb' },
];

/** Runs the sink; offsets are kept per flow: each table gets its own flow id unless told. */
function run(config: Record<string, unknown>, inputs: FlowMessage[] | FlowMessage[][], flowId = String(config.table)) {
  return runNode(
    postgresSinkNode,
    { connection: 'db', columns, createTable: true, lingerMs: 0, ...config },
    { inputs, connections: { db: DB }, flowId },
  );
}

async function rows(t: string): Promise<{ id: string; name: string; body: unknown }[]> {
  return (
    await pool.query<{ id: string; name: string; body: unknown }>(`SELECT id, name, body FROM "${t}" ORDER BY id`)
  ).rows;
}

describe('postgres-sink', () => {
  it('creates the table and inserts the mapped columns (objects as JSON), confirming after commit', async () => {
    const t = table();
    const result = await run({ table: t }, [kafka(1, 0, 0), kafka(2, 0, 1, { tags: ['a', 'b'] })]);
    expect(result.errors).toEqual([]);
    expect(await rows(t)).toEqual([
      { id: '1', name: 'n1', body: { id: 1, name: 'n1' } },
      { id: '2', name: 'n2', body: { id: 2, name: 'n2', tags: ['a', 'b'] } },
    ]);
    expect(result.stats).toMatchObject({ rows: 2, skipped: 0, transactions: 1 });
  });

  it('effectively-once: a redelivered message (at or below the stored offset) is not written again', async () => {
    const t = table();
    const flowId = `${RUN}_eo`;
    await run({ table: t }, [kafka(1, 0, 10), kafka(2, 0, 11), kafka(3, 1, 4)], flowId);
    // After a crash the source replays partition 0 from offset 10 and partition 1 from 4.
    const replay = await run({ table: t }, [kafka(1, 0, 10), kafka(2, 0, 11), kafka(4, 0, 12), kafka(3, 1, 4)], flowId);
    expect(replay.stats).toMatchObject({ rows: 1, skipped: 3 });
    expect((await rows(t)).map((r) => r.id)).toEqual(['1', '2', '3', '4']);
    const offsets = await pool.query<{ stream: string; position: string }>(
      'SELECT stream, position FROM tributary_offsets WHERE sink = $1 ORDER BY stream',
      [`${flowId}/node`],
    );
    expect(offsets.rows).toEqual([
      { stream: 't/0', position: '12' },
      { stream: 't/1', position: '4' },
    ]);
  });

  it('tells a kafka-source where each partition resumes: the stored offset + 1, nothing for unknown partitions', async () => {
    const t = table();
    await run({ table: t }, [kafka(1, 0, 10), kafka(2, 0, 11), kafka(3, 2, 4)]);
    const writer = new TableWriter(
      t,
      { columns: ['id'], types: [undefined], mode: 'insert', conflictKey: [] },
      { table: 'tributary_offsets', sink: `${t}/node` },
    );
    const resume = await writer.resumeFrom(pool, 't', [0, 1, 2]);
    expect([...resume].sort()).toEqual([
      [0, 12n],
      [2, 5n],
    ]);
  });

  it('a message whose mapping throws still advances its partition offset (it is not read and dead-lettered again)', async () => {
    const t = table();
    const result = await run({ table: t }, [
      kafka(1, 0, 0),
      createMessage({ value: null, meta: { topic: 't', partition: 0, offset: '1' } }),
    ]);
    expect(result.errors.map((e) => e.code)).toEqual(['E_EXPRESSION_THREW']);
    const offsets = await pool.query<{ position: string }>('SELECT position FROM tributary_offsets WHERE sink = $1', [
      `${t}/node`,
    ]);
    expect(offsets.rows).toEqual([{ position: '1' }]);
  });

  it('without effectively-once every message is written, redeliveries included', async () => {
    const t = table();
    await run({ table: t, effectivelyOnce: false }, [kafka(1, 0, 10)]);
    await run({ table: t, effectivelyOnce: false }, [kafka(1, 0, 10)]);
    expect((await rows(t)).map((r) => r.id)).toEqual(['1', '1']);
  });

  it('upsert updates the row with the same key; the last of a batch wins', async () => {
    const t = table();
    const config = { table: t, mode: 'upsert', conflictKey: ['id'], effectivelyOnce: false };
    await run(config, [kafka(1, 0, 0), kafka(2, 0, 1)]);
    await run(config, [
      createMessage({ value: { id: 1, name: 'first' } }),
      createMessage({ value: { id: 1, name: 'second' } }),
      createMessage({ value: { id: 3, name: 'new' } }),
    ]);
    expect((await rows(t)).map((r) => [r.id, r.name])).toEqual([
      ['1', 'second'],
      ['2', 'n2'],
      ['3', 'new'],
    ]);
  });

  it('insert with a conflict key skips rows whose key exists', async () => {
    const t = table();
    const config = { table: t, conflictKey: ['id'], effectivelyOnce: false };
    await run(config, [kafka(1, 0, 0)]);
    const again = await run(config, [createMessage({ value: { id: 1, name: 'other' } }), kafka(2, 0, 1)]);
    expect(again.errors).toEqual([]);
    expect((await rows(t)).map((r) => [r.id, r.name])).toEqual([
      ['1', 'n1'],
      ['2', 'n2'],
    ]);
  });

  it('bad rows go to the error port with the database message; the rest of the batch is written', async () => {
    const t = table();
    await pool.query(`CREATE TABLE "${t}" (id bigint PRIMARY KEY, name text NOT NULL, body jsonb)`);
    const result = await run({ table: t, createTable: false }, [
      kafka(1, 0, 0),
      createMessage({ value: { id: 'not a number', name: 'x' }, meta: { topic: 't', partition: 0, offset: '1' } }),
      kafka(3, 0, 2),
      createMessage({ value: { id: 4 }, meta: { topic: 't', partition: 0, offset: '3' } }),
      kafka(1, 0, 4),
      createMessage({ value: null, meta: { topic: 't', partition: 0, offset: '5' } }),
      kafka(6, 0, 6),
    ]);
    expect((await rows(t)).map((r) => r.id)).toEqual(['1', '3', '6']);
    expect(result.errors.map((e) => e.code)).toEqual([
      'E_EXPRESSION_THREW',
      'E_ROW_REJECTED',
      'E_ROW_REJECTED',
      'E_ROW_REJECTED',
    ]);
    const texts = result.errors.map((e) => e.text);
    expect(texts[1]).toMatch(/invalid input syntax for type bigint.*SQLSTATE 22P02/);
    expect(texts[2]).toMatch(/null value in column "name".*SQLSTATE 23502/);
    expect(texts[3]).toMatch(/duplicate key value.*SQLSTATE 23505/);
    // The failed messages are handled (error port): their offsets advance with the good rows.
    expect(result.stats).toMatchObject({ rows: 3 });
  });

  it('a statement that cannot work (table missing) sends the batch to the error port instead of retrying forever', async () => {
    const t = table();
    const result = await run({ table: t, createTable: false, effectivelyOnce: false }, [kafka(1, 0, 0)]);
    expect(result.errors.map((e) => e.text)).toEqual([expect.stringMatching(/relation ".*" does not exist.*42P01/)]);
  });

  it('State code: ctx.state commits with the rows, counting each message written once (redeliveries and refused rows not)', async () => {
    const t = table();
    await pool.query(`CREATE TABLE "${t}" (id bigint PRIMARY KEY, name text NOT NULL, body jsonb)`);
    const state = [
      "await state.set('rows', ((await state.get('rows')) ?? 0) + messages.length);",
      "await state.set('ids', [...((await state.get('ids')) ?? []), ...messages.map((m) => m.value.id)]);",
    ].join('\n');
    const config = { table: t, createTable: false, state };
    const first = await run(config, [
      kafka(1, 0, 0),
      createMessage({ value: { id: 2 }, meta: { topic: 't', partition: 0, offset: '1' } }), // name NULL: refused
      kafka(3, 0, 2),
    ]);
    expect(first.errors.map((e) => e.code)).toEqual(['E_ROW_REJECTED']);
    // Restarted: offsets 1 and 2 come again (skipped), 3 is new.
    await run(config, [kafka(3, 0, 2), kafka(4, 0, 3)]);
    const stored = await pool.query<{ key: string; value: unknown }>(
      'SELECT key, value FROM tributary_state WHERE node = $1 ORDER BY key',
      [`${t}/node`],
    );
    expect(stored.rows).toEqual([
      { key: 'ids', value: [1, 3, 4] },
      { key: 'rows', value: 3 },
    ]);
    expect((await rows(t)).map((r) => r.id)).toEqual(['1', '3', '4']);
  });

  it('State code that throws rolls its transaction back and sends its messages to the error port', async () => {
    const t = table();
    const config = {
      table: t,
      state: "await state.set('n', 1); if (messages.some((m) => m.value.id === 2)) throw new Error('no 2');",
    };
    const result = await run(config, [[kafka(1, 0, 0)], [kafka(2, 0, 1)]]);
    expect(result.errors.map((e) => [e.code, e.text])).toEqual([
      ['E_STATE_THREW', expect.stringMatching(/State code: no 2/)],
    ]);
    expect((await rows(t)).map((r) => r.id)).toEqual(['1']);
    await expect(run({ table: t, state: 'await state.set(1, 2' }, [])).rejects.toThrow(/state: syntax error/);
  });

  it('refuses an upsert without a conflict key, and a conflict key that is not mapped', async () => {
    await expect(run({ table: 'x', mode: 'upsert' }, [])).rejects.toThrow(/conflictKey: required for upsert/);
    await expect(run({ table: 'x', conflictKey: ['nope'] }, [])).rejects.toThrow(
      /"nope" is not one of the mapped columns/,
    );
    await expect(run({ table: 'bad name' }, [])).rejects.toThrow(/table: a name, or schema.name/);
  });

  it('fails to start, naming the server, when the database cannot be reached', async () => {
    await expect(
      runNode(postgresSinkNode, { connection: 'db', table: 't', columns }, { connections: { db: { ...DB, port: 1 } } }),
    ).rejects.toThrow(/PostgreSQL postgres@127\.0\.0\.1:1\/test/);
  });
});
