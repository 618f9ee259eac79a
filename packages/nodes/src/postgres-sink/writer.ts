/**
 * Node-only: the SQL of the PostgreSQL sink. One `write` is one transaction: lock the offsets of
 * the batch's streams, skip redelivered messages, insert the rows (a failed multi-row insert is
 * retried row by row behind savepoints, so only the bad rows fail), advance the offsets, COMMIT.
 */
import type pg from 'pg';
import type { FlowMessage } from '@tributary/shared';
import type { Position } from '../lib/source-positions.js';

/** PostgreSQL accepts at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 65_535;

/** `"name"` or `"schema"."name"` (identifiers are checked by the manifest; quoting keeps case). */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

export interface RowPlan {
  columns: readonly string[];
  types: readonly (string | undefined)[];
  mode: 'insert' | 'upsert';
  conflictKey: readonly string[];
}

/** A row ready to write, with the message it came from (by index in the flush). */
export interface PendingRow {
  index: number;
  /** null: no row (the message went to the error port), only its position advances. */
  values: unknown[] | null;
  position: Position | null;
  /** The message the row came from. */
  message: FlowMessage;
}

/**
 * Runs in the transaction after the rows went in, with the rows it wrote (redeliveries and refused
 * rows left out); answers SQL to run with the COMMIT ('' for none). Throwing rolls it back.
 */
export type BeforeCommit = (client: pg.PoolClient, written: readonly PendingRow[]) => Promise<string>;

export interface WriteResult {
  /** The rows the database refused, with its message. */
  rejected: Map<PendingRow, Error>;
  /** Rows skipped as redeliveries (at or below the stored offset). */
  skipped: number;
  written: number;
}

/** A database error with its SQLSTATE and detail, as the error port shows it. */
export class RowRejectedError extends Error {
  readonly code = 'E_ROW_REJECTED';
  constructor(error: pg.DatabaseError | Error) {
    const db = error as Partial<pg.DatabaseError>;
    super(`${error.message}${db.detail ? ` (${db.detail})` : ''}${db.code ? ` [SQLSTATE ${db.code}]` : ''}`);
    this.name = 'RowRejectedError';
  }
}

/** JSON for objects and arrays (pg would turn arrays into PostgreSQL arrays), text for bigints. */
export function toParameter(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

export class TableWriter {
  private readonly insertHead: string;
  private readonly conflictTail: string;
  private readonly rowsPerStatement: number;

  constructor(
    readonly table: string,
    private readonly plan: RowPlan,
    private readonly offsets: { table: string; sink: string } | null,
  ) {
    this.insertHead = `INSERT INTO ${quoteName(table)} (${plan.columns.map(quoteName).join(', ')}) VALUES `;
    const key = plan.conflictKey.map(quoteName).join(', ');
    const others = plan.columns.filter((c) => !plan.conflictKey.includes(c));
    this.conflictTail =
      plan.conflictKey.length === 0
        ? ''
        : plan.mode === 'upsert' && others.length > 0
          ? ` ON CONFLICT (${key}) DO UPDATE SET ${others.map((c) => `${quoteName(c)} = EXCLUDED.${quoteName(c)}`).join(', ')}`
          : ` ON CONFLICT (${key}) DO NOTHING`;
    this.rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMETERS / plan.columns.length));
  }

  /** CREATE TABLE IF NOT EXISTS with the mapping's types and the conflict key as primary key. */
  createTableSql(): string {
    const columns = this.plan.columns.map((c, i) => `${quoteName(c)} ${this.plan.types[i] ?? 'text'}`);
    if (this.plan.conflictKey.length > 0)
      columns.push(`PRIMARY KEY (${this.plan.conflictKey.map(quoteName).join(', ')})`);
    return `CREATE TABLE IF NOT EXISTS ${quoteName(this.table)} (${columns.join(', ')})`;
  }

  static offsetsTableSql(table: string): string {
    return `CREATE TABLE IF NOT EXISTS ${quoteName(table)} (sink text NOT NULL, stream text NOT NULL, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink, stream))`;
  }

  /** The next offset to read per partition of `topic`, from the stored offsets (for kafka-source). */
  async resumeFrom(pool: pg.Pool, topic: string, partitions: readonly number[]): Promise<Map<number, bigint>> {
    const found = new Map<number, bigint>();
    if (this.offsets === null) return found;
    const streams = partitions.map((p) => `${topic}/${p}`);
    const result = await pool.query<{ stream: string; position: string }>(
      `SELECT stream, position FROM ${quoteName(this.offsets.table)} WHERE sink = $1 AND stream = ANY($2) AND position >= 0`,
      [this.offsets.sink, streams],
    );
    for (const row of result.rows) {
      const partition = Number(row.stream.slice(row.stream.lastIndexOf('/') + 1));
      found.set(partition, BigInt(row.position) + 1n);
    }
    return found;
  }

  /**
   * Writes `rows` in one transaction; resolves after COMMIT. Throws (after ROLLBACK) when the
   * transaction itself fails. The usual case takes three round trips (BEGIN with the offsets
   * locked; the rows; the offsets with COMMIT); when the database refuses a row, the transaction
   * is rolled back and done again carefully, each row behind a savepoint, so only bad rows fail.
   */
  async write(client: pg.PoolClient, rows: readonly PendingRow[], beforeCommit?: BeforeCommit): Promise<WriteResult> {
    try {
      return await this.attempt(client, rows, false, beforeCommit);
    } catch (error) {
      if (!(error instanceof BadRowInBatch)) throw error;
      return this.attempt(client, rows, true, beforeCommit);
    }
  }

  private async attempt(
    client: pg.PoolClient,
    rows: readonly PendingRow[],
    careful: boolean,
    beforeCommit: BeforeCommit | undefined,
  ): Promise<WriteResult> {
    const rejected = new Map<PendingRow, Error>();
    let skipped = 0;
    const streams = this.offsets === null ? [] : streamsOf(rows);
    if (!careful && beforeCommit === undefined && streams.length === 0 && rows.length <= this.rowsPerStatement) {
      // Nothing to lock and one statement: it is its own transaction.
      const real = withRows(rows);
      const unique = this.plan.mode === 'upsert' ? this.lastPerKey(real) : real;
      if (unique.length === 0) return { rejected, skipped, written: 0 };
      try {
        await client.query(this.statement(unique.length), valuesOf(unique));
      } catch (error) {
        if (isRowError(error)) return this.attempt(client, rows, true, undefined);
        throw error;
      }
      return { rejected, skipped, written: unique.length };
    }
    try {
      const stored = await this.begin(client, streams);
      let todo: readonly PendingRow[] = rows;
      const advanced = new Map<string, bigint>();
      if (this.offsets !== null) {
        todo = rows.filter((row) => {
          const p = row.position;
          if (p === null) return true;
          const last = advanced.get(p.stream) ?? stored.get(p.stream) ?? -1n;
          if (p.offset <= last) {
            skipped++;
            return false;
          }
          advanced.set(p.stream, p.offset);
          return true;
        });
      }
      const real = withRows(todo);
      const unique = this.plan.mode === 'upsert' ? this.lastPerKey(real) : real;
      if (careful) await this.insertCarefully(client, unique, rejected);
      else await this.insert(client, unique);
      const extra = beforeCommit === undefined ? '' : await beforeCommit(client, this.writtenOf(real, rejected));
      const tail = [advanced.size > 0 ? this.storeOffsetsSql(client, advanced) : '', extra, 'COMMIT'];
      await client.query(tail.filter((sql) => sql !== '').join('; '));
      return { rejected, skipped, written: unique.length - rejected.size };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * BEGIN, and when there are streams: ensures an offsets row per stream, then locks them, in the
   * same round trip. A second writer of the same streams (a runtime that lost the partition and
   * does not know yet) waits here, then sees the advanced offsets and skips what was written.
   */
  private async begin(client: pg.PoolClient, streams: readonly string[]): Promise<Map<string, bigint>> {
    const stored = new Map<string, bigint>();
    if (streams.length === 0) {
      await client.query('BEGIN');
      return stored;
    }
    const table = quoteName(this.offsets!.table);
    const sink = client.escapeLiteral(this.offsets!.sink);
    const list = streams.map((s) => client.escapeLiteral(s));
    const results = (await client.query(
      `BEGIN; INSERT INTO ${table} (sink, stream, position) VALUES ${list.map((s) => `(${sink}, ${s}, -1)`).join(', ')} ON CONFLICT (sink, stream) DO NOTHING; ` +
        `SELECT stream, position FROM ${table} WHERE sink = ${sink} AND stream IN (${list.join(', ')}) ORDER BY stream FOR UPDATE`,
    )) as unknown as pg.QueryResult<{ stream: string; position: string }>[];
    for (const row of results[2]!.rows) stored.set(row.stream, BigInt(row.position));
    return stored;
  }

  private storeOffsetsSql(client: pg.PoolClient, advanced: Map<string, bigint>): string {
    const values = [...advanced].map(
      ([stream, offset]) => `(${client.escapeLiteral(stream)}, ${offset.toString()}::bigint)`,
    );
    return (
      `UPDATE ${quoteName(this.offsets!.table)} AS o SET position = GREATEST(o.position, v.position), updated_at = now() ` +
      `FROM (VALUES ${values.join(', ')}) AS v(stream, position) WHERE o.sink = ${client.escapeLiteral(this.offsets!.sink)} AND o.stream = v.stream`
    );
  }

  /** Upsert: one row per conflict key (the last), since one statement cannot update a row twice. */
  private lastPerKey(rows: readonly PendingRow[]): PendingRow[] {
    const last = new Map<string, PendingRow>();
    for (const row of rows) last.set(this.keyOf(row), row);
    return [...last.values()];
  }

  private keyOf(row: PendingRow): string {
    return JSON.stringify(this.plan.conflictKey.map((c) => row.values![this.plan.columns.indexOf(c)]));
  }

  /**
   * The rows of `real` a transaction wrote: less the refused ones, and in an upsert less the
   * rows of a key whose last row (the one written) was refused.
   */
  private writtenOf(real: readonly PendingRow[], rejected: ReadonlyMap<PendingRow, Error>): PendingRow[] {
    if (rejected.size === 0) return [...real];
    if (this.plan.mode !== 'upsert') return real.filter((row) => !rejected.has(row));
    const refusedKeys = new Set([...rejected.keys()].map((row) => this.keyOf(row)));
    return real.filter((row) => !refusedKeys.has(this.keyOf(row)));
  }

  /** All rows, a statement per chunk; a refused row fails the attempt (BadRowInBatch). */
  private async insert(client: pg.PoolClient, rows: readonly PendingRow[]): Promise<void> {
    for (let start = 0; start < rows.length; start += this.rowsPerStatement) {
      const chunk = rows.slice(start, start + this.rowsPerStatement);
      try {
        await client.query(this.statement(chunk.length), valuesOf(chunk));
      } catch (error) {
        if (isRowError(error)) throw new BadRowInBatch();
        throw error;
      }
    }
  }

  /** Row by row, each behind a savepoint: a refused row is rolled back alone and reported. */
  private async insertCarefully(
    client: pg.PoolClient,
    rows: readonly PendingRow[],
    rejected: Map<PendingRow, Error>,
  ): Promise<void> {
    const one = this.statement(1);
    for (const row of rows) {
      await client.query('SAVEPOINT tributary_row');
      try {
        await client.query(one, row.values!);
        await client.query('RELEASE SAVEPOINT tributary_row');
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT tributary_row');
        if (!isRowError(error)) throw error;
        rejected.set(row, new RowRejectedError(error as Error));
      }
    }
  }

  private readonly statements = new Map<number, string>();
  private statement(rows: number): string {
    let sql = this.statements.get(rows);
    if (sql === undefined) {
      const n = this.plan.columns.length;
      const tuples = Array.from(
        { length: rows },
        (_, r) => `(${Array.from({ length: n }, (_, c) => `$${r * n + c + 1}`).join(', ')})`,
      );
      sql = this.insertHead + tuples.join(', ') + this.conflictTail;
      if (this.statements.size < 64) this.statements.set(rows, sql);
    }
    return sql;
  }
}

/** The rows that have values (position-only entries left out). */
function withRows(rows: readonly PendingRow[]): PendingRow[] {
  return rows.filter((row) => row.values !== null);
}

/** The parameters of a multi-row statement (a plain loop: this runs for every row written). */
function valuesOf(rows: readonly PendingRow[]): unknown[] {
  const values: unknown[] = [];
  for (const row of rows) for (const value of row.values!) values.push(value);
  return values;
}

/** A row of the batch was refused: the attempt is rolled back and done again row by row. */
class BadRowInBatch extends Error {}

/** The streams of `rows`, sorted (locks are always taken in the same order: no deadlock between writers). */
function streamsOf(rows: readonly PendingRow[]): string[] {
  const streams = new Set<string>();
  for (const row of rows) if (row.position !== null) streams.add(row.position.stream);
  return [...streams].sort();
}

/**
 * Errors a row causes (data exceptions, constraint violations, …); anything else (connection
 * lost, table missing, permission denied) fails the whole transaction.
 */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  // 22: data exception (bad type, out of range); 23: integrity constraint violation.
  return code.startsWith('22') || code.startsWith('23');
}
