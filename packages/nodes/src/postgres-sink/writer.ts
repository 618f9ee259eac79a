/**
 * Node-only: the SQL of the PostgreSQL sink. One `write` is one transaction: lock the offsets of
 * the batch's streams, skip redelivered messages, insert the rows (a failed multi-row insert is
 * retried row by row behind savepoints, so only the bad rows fail), advance the offsets, COMMIT.
 */
import type pg from 'pg';
import { positionOf, type Position } from '../lib/source-positions.js';

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
  values: unknown[];
  position: Position | null;
}

export interface WriteResult {
  /** Index → the database's message, for rows the database refused. */
  rejected: Map<number, Error>;
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

  /** Writes `rows` in one transaction; resolves after COMMIT. Throws (after ROLLBACK) when the transaction itself fails. */
  async write(client: pg.PoolClient, rows: readonly PendingRow[]): Promise<WriteResult> {
    const rejected = new Map<number, Error>();
    let skipped = 0;
    await client.query('BEGIN');
    try {
      let todo: readonly PendingRow[] = rows;
      const advanced = new Map<string, bigint>();
      if (this.offsets !== null) {
        const stored = await this.lockOffsets(client, rows);
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
      const unique = this.plan.mode === 'upsert' ? this.lastPerKey(todo) : todo;
      await this.insert(client, unique, rejected);
      if (advanced.size > 0) await this.storeOffsets(client, advanced);
      await client.query('COMMIT');
      return { rejected, skipped, written: unique.length - rejected.size };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Ensures an offsets row per stream, then locks them: a second writer of the same streams (a
   * runtime that lost the partition and does not know yet) waits here, then sees the advanced
   * offsets and skips what was written.
   */
  private async lockOffsets(client: pg.PoolClient, rows: readonly PendingRow[]): Promise<Map<string, bigint>> {
    const streams = [...new Set(rows.flatMap((r) => (r.position === null ? [] : [r.position.stream])))].sort();
    const stored = new Map<string, bigint>();
    if (streams.length === 0) return stored;
    const table = quoteName(this.offsets!.table);
    await client.query(
      `INSERT INTO ${table} (sink, stream, position) SELECT $1, s, -1 FROM unnest($2::text[]) AS s ON CONFLICT (sink, stream) DO NOTHING`,
      [this.offsets!.sink, streams],
    );
    const result = await client.query<{ stream: string; position: string }>(
      `SELECT stream, position FROM ${table} WHERE sink = $1 AND stream = ANY($2) ORDER BY stream FOR UPDATE`,
      [this.offsets!.sink, streams],
    );
    for (const row of result.rows) stored.set(row.stream, BigInt(row.position));
    return stored;
  }

  private async storeOffsets(client: pg.PoolClient, advanced: Map<string, bigint>): Promise<void> {
    const streams = [...advanced.keys()];
    await client.query(
      `UPDATE ${quoteName(this.offsets!.table)} AS o SET position = GREATEST(o.position, v.position), updated_at = now()
       FROM unnest($2::text[], $3::bigint[]) AS v(stream, position) WHERE o.sink = $1 AND o.stream = v.stream`,
      [this.offsets!.sink, streams, streams.map((s) => advanced.get(s)!.toString())],
    );
  }

  /** Upsert: one row per conflict key (the last), since one statement cannot update a row twice. */
  private lastPerKey(rows: readonly PendingRow[]): PendingRow[] {
    const keyIndexes = this.plan.conflictKey.map((c) => this.plan.columns.indexOf(c));
    const last = new Map<string, PendingRow>();
    for (const row of rows) last.set(JSON.stringify(keyIndexes.map((i) => row.values[i])), row);
    return [...last.values()];
  }

  private async insert(
    client: pg.PoolClient,
    rows: readonly PendingRow[],
    rejected: Map<number, Error>,
  ): Promise<void> {
    for (let start = 0; start < rows.length; start += this.rowsPerStatement) {
      const chunk = rows.slice(start, start + this.rowsPerStatement);
      await client.query('SAVEPOINT tributary_batch');
      try {
        await client.query(
          this.statement(chunk.length),
          chunk.flatMap((r) => r.values),
        );
        await client.query('RELEASE SAVEPOINT tributary_batch');
        continue;
      } catch {
        await client.query('ROLLBACK TO SAVEPOINT tributary_batch');
      }
      // Some row is bad: find which, writing the others.
      const one = this.statement(1);
      for (const row of chunk) {
        await client.query('SAVEPOINT tributary_row');
        try {
          await client.query(one, row.values);
          await client.query('RELEASE SAVEPOINT tributary_row');
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT tributary_row');
          if (!isRowError(error)) throw error;
          rejected.set(row.index, new RowRejectedError(error as Error));
        }
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

export { positionOf };
