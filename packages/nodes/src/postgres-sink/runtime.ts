import {
  defineNode,
  type FlowMessage,
  type Hold,
  type NodeContext,
  type Output,
  type ProcessorInstance,
} from '@tributary/shared';
import type pg from 'pg';
import { compileExpression, compileFunctionBody, NodeConfigError, userCodeError } from '../lib/compile.js';
import { sleep } from '../lib/pacing.js';
import { providePositions } from '../lib/positions.js';
import { positionOf } from '../lib/source-positions.js';
import { connectPostgres, describePostgres, postgresConnectionOf } from '../connections/postgres-client.js';
import { postgresSinkManifest } from './manifest.js';
import { TableState } from './table-state.js';
import {
  RowRejectedError,
  TableWriter,
  toParameter,
  type BeforeCommit,
  type PendingRow,
  type WriteResult,
} from './writer.js';
import type { ConfigOf } from '@tributary/shared';

type Config = ConfigOf<typeof postgresSinkManifest>;
type ColumnExpression = (
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
  meta: FlowMessage['meta'],
) => unknown;

const stateFilename = (nodeId: string) => `postgres-sink:${nodeId}:state`;

type StateCode = (messages: readonly FlowMessage[], state: TableState) => unknown;

/** The State code threw: its transaction is rolled back and its messages go to the error port. */
class StateCodeError extends Error {
  readonly code: string;
  constructor(readonly error: Error) {
    super(`State code: ${error.message}`);
    this.name = 'StateCodeError';
    this.code = (error as { code?: string }).code ?? 'E_STATE_THREW';
  }
}

/** Waits between attempts of a transaction that failed as a whole (database away, deadlock). */
const RETRY_DELAYS_MS = [200, 500, 1000, 2000, 5000];

/** One input batch waiting to be written: its messages, their rows, and the hold on its delivery. */
interface Waiting {
  messages: readonly FlowMessage[];
  rows: PendingRow[];
  hold: Hold | null;
}

class PostgresSink implements ProcessorInstance {
  readonly kind = 'processor';
  private readonly columns: ColumnExpression[];
  private waiting: Waiting[] = [];
  private waitingRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  /** Unregisters this sink as the position owner kafka-sources may name in `positionsFrom`. */
  private readonly unregister: () => void;
  /** Runs the State code in each transaction (undefined without State code). */
  private readonly beforeCommit: BeforeCommit | undefined;

  constructor(
    private readonly config: Config,
    private readonly ctx: NodeContext,
    private readonly pool: pg.Pool,
    private readonly writer: TableWriter,
    private readonly where: string,
    state: { table: TableState; code: StateCode } | null,
  ) {
    this.beforeCommit = state === null ? undefined : this.stateStep(state.table, state.code);
    // A kafka-source with positionsFrom = this node asks here where each partition resumes (the
    // stored offset + 1), on start and on every assignment: the offsets table wins over the group's.
    this.unregister = config.effectivelyOnce
      ? providePositions(ctx, { resumeFrom: (topic, partitions) => writer.resumeFrom(pool, topic, partitions) })
      : () => undefined;
    // Stopping: write what is held at once, while the flow can still deliver bad rows to the error
    // port (close() writes whatever is left, but by then the engine delivers nothing more).
    ctx.signal.addEventListener(
      'abort',
      () => {
        if (this.waiting.length > 0) void this.writePending().catch(() => undefined);
      },
      { once: true },
    );
    this.columns = config.columns.map(
      (c, i) =>
        compileExpression(c.value, ['msg', 'key', 'value', 'headers', 'meta'], {
          filename: `postgres-sink:${ctx.nodeId}:${c.column}`,
          field: `columns.${i}.value`,
        }) as ColumnExpression,
    );
  }

  /** The row of each message; an expression that throws sends its message to the error port. */
  private rowsOf(batch: readonly FlowMessage[], out: Output): PendingRow[] {
    const rows: PendingRow[] = [];
    for (let index = 0; index < batch.length; index++) {
      const msg = batch[index]!;
      const values = new Array<unknown>(this.columns.length);
      try {
        for (let c = 0; c < this.columns.length; c++)
          values[c] = toParameter(this.columns[c]!(msg, msg.key, msg.value, msg.headers, msg.meta));
      } catch (error) {
        const column = this.config.columns[values.findIndex((v) => v === undefined)]?.column ?? '?';
        out.error(userCodeError(error, `postgres-sink:${this.ctx.nodeId}:${column}`, 'E_EXPRESSION_THREW'), msg);
        // No row, but its position still advances with the next commit: a source resuming from
        // the offsets table must not read it (and dead-letter it) again.
        const position = positionOf(msg);
        if (position !== null) rows.push({ index, values: null, position, message: msg });
        continue;
      }
      rows.push({ index, values, position: positionOf(msg), message: msg });
    }
    return rows;
  }

  /**
   * The State code as a step of each transaction: it runs with the messages written (reads lock
   * their rows), and what it staged is stored with the COMMIT. A failed attempt drops what it
   * staged; the next attempt runs it again on the committed state.
   */
  private stateStep(state: TableState, code: StateCode): BeforeCommit {
    const filename = stateFilename(this.ctx.nodeId);
    return async (client, written) => {
      state.take(); // left by an attempt that failed
      await state.within(client, async () => {
        try {
          await code(
            written.map((row) => row.message),
            state,
          );
        } catch (error) {
          state.take();
          throw new StateCodeError(userCodeError(error, filename, 'E_STATE_THREW'));
        }
      });
      return state.changesSql(client, state.take());
    };
  }

  async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
    const rows = this.rowsOf(batch, out);
    if (this.config.lingerMs === 0) {
      // Each batch as it comes: rejected rows go to the error port of this very call.
      const result = await this.writeAll([{ messages: batch, rows, hold: null }]);
      for (const [row, error] of result) out.error(error, batch[row.index]!);
      return;
    }
    if (rows.length === 0) return;
    this.waiting.push({ messages: batch, rows, hold: out.hold() });
    this.waitingRows += rows.length;
    this.ctx.stats.set('pending', this.waitingRows);
    if (this.waitingRows >= this.config.batchSize) {
      // Full: write it. Input goes on filling the next batch while this one is written, but no
      // further (backpressure on the source): wait for the write before this one.
      const previous = this.chain;
      const writing = this.writePending();
      writing.catch(() => {
        // Its holds were released as failed; the flow's stop or the retry log says why.
      });
      await previous;
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.writePending().catch(() => {
          // Reported by writeAll (its holds were released as failed).
        });
      }, this.config.lingerMs);
    }
  }

  /** End of input (every source finished): what waits for its linger time is written now. */
  endOfInput(): Promise<void> {
    return this.waiting.length > 0 ? this.writePending().catch(() => undefined) : this.chain;
  }

  /** Writes everything waiting, after any write in progress (one writer at a time: offsets stay ordered). */
  private writePending(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batches = this.waiting;
    this.waiting = [];
    this.waitingRows = 0;
    const run = this.chain.then(() => this.confirm(batches));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Writes held batches, then confirms each (bad rows to the error port) or fails them all. */
  private async confirm(batches: Waiting[]): Promise<void> {
    let rejected: Map<PendingRow, Error>;
    try {
      rejected = await this.writeAll(batches);
    } catch (error) {
      this.ctx.release(
        batches.flatMap((b) => (b.hold === null ? [] : [b.hold])),
        false,
      );
      throw error;
    } finally {
      this.ctx.stats.set('pending', this.waitingRows);
    }
    for (const batch of batches) {
      const failed: FlowMessage[] = [];
      if (rejected.size > 0)
        for (const row of batch.rows) {
          const error = rejected.get(row);
          if (error !== undefined) failed.push(this.errorMessage(batch.messages[row.index]!, error));
        }
      if (batch.hold === null) continue;
      if (failed.length === 0) this.ctx.release([batch.hold], true);
      else void this.ctx.emitFrom(failed, [batch.hold], 'error');
    }
  }

  private errorMessage(msg: FlowMessage, error: Error): FlowMessage {
    return {
      key: msg.key,
      value: msg.value,
      headers: msg.headers,
      timestamp: msg.timestamp,
      meta: {
        ...msg.meta,
        error: {
          code: (error as { code?: string }).code ?? 'E_ROW_REJECTED',
          message: error.message,
          nodeId: this.ctx.nodeId,
        },
      },
    };
  }

  /**
   * Writes the rows of `batches` in transactions of at most *Batch size* rows; resolves to the
   * rows the database rejected. A transaction that fails as a whole is
   * tried again until it commits or the flow stops.
   */
  private async writeAll(batches: readonly Waiting[]): Promise<Map<PendingRow, Error>> {
    const rows: PendingRow[] = [];
    for (const batch of batches) for (const row of batch.rows) rows.push(row);
    const rejected = new Map<PendingRow, Error>();
    // Transactions of about Batch size rows: 1,024 rows with a batch size of 1,000 are one
    // transaction (a second one for 24 rows would cost a commit for nothing).
    const count = Math.max(1, Math.round(rows.length / this.config.batchSize));
    const size = Math.ceil(rows.length / count);
    for (let start = 0; start < rows.length; start += size) {
      const result = await this.transaction(rows.slice(start, start + size));
      for (const [row, error] of result.rejected) rejected.set(row, error);
      this.ctx.stats.add('rows', result.written);
      this.ctx.stats.add('skipped', result.skipped);
      this.ctx.stats.add('transactions', 1);
    }
    return rejected;
  }

  private async transaction(rows: readonly PendingRow[]): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        return await this.writer.write(client, rows, this.beforeCommit);
      } catch (error) {
        // A connection that failed mid-transaction must not go back to the pool.
        client?.release(error as Error);
        client = undefined;
        if (!isTransient(error)) {
          // The statement itself is wrong (table missing, no permission): every row fails, to the error port.
          const reason = error instanceof StateCodeError ? error : new RowRejectedError(error as Error);
          this.ctx.log.error(`${this.where}: ${reason.message}`);
          return { rejected: new Map(rows.map((r) => [r, reason])), skipped: 0, written: 0 };
        }
        if (this.ctx.signal.aborted) throw error;
        const wait = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
        this.ctx.log.warn(
          `${this.where}: writing ${rows.length} rows failed, retrying in ${wait} ms: ${(error as Error).message}`,
        );
        await sleep(wait, this.ctx.signal).catch(() => undefined);
        if (this.ctx.signal.aborted) throw error;
      } finally {
        client?.release();
      }
    }
  }

  async close(): Promise<void> {
    this.unregister();
    try {
      if (this.waiting.length > 0) await this.writePending().catch(() => undefined);
      await this.chain;
    } finally {
      await this.pool.end().catch(() => undefined);
    }
  }
}

/**
 * Failures worth trying again: the connection (no SQLSTATE, class 08), the server shutting down
 * (57P), a serialization failure or deadlock (40).
 */
function isTransient(error: unknown): boolean {
  if (error instanceof StateCodeError) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code.startsWith('57P') || code.startsWith('40') || code === '53300';
}

/** Config problems the schema cannot see: the conflict key must name mapped columns. */
function checkPlan(config: Config): void {
  const names = config.columns.map((c) => c.column);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new NodeConfigError(`columns: "${twice}" is mapped twice`, 'columns');
  if (config.mode === 'upsert' && config.conflictKey.length === 0)
    throw new NodeConfigError('conflictKey: required for upsert (the columns that identify a row)', 'conflictKey');
  for (const key of config.conflictKey)
    if (!names.includes(key))
      throw new NodeConfigError(`conflictKey: "${key}" is not one of the mapped columns`, 'conflictKey');
}

/**
 * The `postgres-sink` node: rows into a table, in transactions, with the source offsets.
 *
 * @example
 * // config: { connection: 'db', table: 'orders', columns: [{ column: 'id', value: 'value.id', type: 'bigint' }],
 * //           mode: 'upsert', conflictKey: ['id'], createTable: true }
 */
export const postgresSinkNode = defineNode(postgresSinkManifest, async (config, ctx) => {
  checkPlan(config);
  const stateCode =
    config.state === undefined
      ? null
      : (compileFunctionBody(config.state, ['messages', 'state'], {
          filename: stateFilename(ctx.nodeId),
          field: 'state',
        }).fn as StateCode);
  const connection = postgresConnectionOf(ctx, config.connection);
  const where = `${describePostgres(connection)} ${config.table}`;
  const writer = new TableWriter(
    config.table,
    {
      columns: config.columns.map((c) => c.column),
      types: config.columns.map((c) => c.type),
      mode: config.mode,
      conflictKey: config.conflictKey,
    },
    config.effectivelyOnce ? { table: config.offsetsTable, sink: `${ctx.flowId}/${ctx.nodeId}` } : null,
  );
  const pool = await connectPostgres(connection, ctx);
  // With State code, ctx.state lives in the sink's transactions (see TransactionalState).
  const state =
    stateCode === null
      ? null
      : { table: new TableState(pool, config.stateTable, `${ctx.flowId}/${ctx.nodeId}`), code: stateCode };
  if (state !== null) ctx.keepStateIn(state.table);
  try {
    if (config.createTable) await createIfMissing(pool, writer.createTableSql());
    if (config.effectivelyOnce) await createIfMissing(pool, TableWriter.offsetsTableSql(config.offsetsTable));
    if (state !== null) await createIfMissing(pool, TableState.tableSql(config.stateTable));
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
  ctx.stats.add('rows', 0);
  ctx.stats.add('skipped', 0);
  ctx.stats.add('transactions', 0);
  ctx.stats.set('pending', 0);
  return new PostgresSink(config, ctx, pool, writer, where, state);
});

/**
 * CREATE TABLE IF NOT EXISTS, tolerating a concurrent creation of the same table (two runtimes
 * starting at once: PostgreSQL then reports a duplicate type or table).
 */
async function createIfMissing(pool: pg.Pool, sql: string): Promise<void> {
  try {
    await pool.query(sql);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw error;
  }
}
