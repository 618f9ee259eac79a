import { defineNode, EMPTY_HEADERS, type FlowMessage, type SourceContext } from '@tributary/shared';
import type pg from 'pg';
import { sleep } from '../lib/pacing.js';
import { batchSizeFor } from '../lib/source-helpers.js';
import { connectPostgres, describePostgres, postgresConnectionOf } from '../connections/postgres-client.js';
import { quoteName } from '../postgres-sink/writer.js';
import { postgresSourceManifest } from './manifest.js';

/** The state key of the confirmed position. */
const POSITION = 'position';

/** A position as stored and sent back as a query parameter (PostgreSQL parses it as the column's type). */
function positionText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * Confirmed position bookkeeping: batches are confirmed out of order; the position saved is the
 * last row of the longest confirmed prefix, so a restart never skips an unconfirmed row.
 */
class Confirmations {
  private readonly inFlight: { position: string; done: boolean }[] = [];

  add(position: string): { position: string; done: boolean } {
    const entry = { position, done: false };
    this.inFlight.push(entry);
    return entry;
  }

  /** Marks `entry` done; answers the new confirmed position, if it moved. */
  confirm(entry: { position: string; done: boolean }): string | undefined {
    entry.done = true;
    let moved: string | undefined;
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) moved = this.inFlight.shift()!.position;
    return moved;
  }
}

/**
 * The `postgres-source` node: new rows of a table by an increasing column, resuming after the
 * position the flow confirmed (kept in `ctx.state`).
 *
 * @example
 * // config: { connection: 'db', table: 'events', column: 'id', notifyChannel: 'events' }
 */
export const postgresSourceNode = defineNode(postgresSourceManifest, async (config, ctx) => {
  const connection = postgresConnectionOf(ctx, config.connection);
  const where = `${describePostgres(connection)} ${config.table}`;
  const pool = await connectPostgres(connection, ctx);
  let listener: pg.PoolClient | null = null;
  return {
    kind: 'source',
    async run(source: SourceContext): Promise<void> {
      const signal = source.signal;
      const table = quoteName(config.table);
      const column = quoteName(config.column);
      const limit = batchSizeFor(config.batchSize, source);
      let position = (await source.state.get(POSITION)) as string | undefined;
      if (position === undefined && config.startFrom === 'now') {
        const max = await pool.query<{ max: unknown }>(`SELECT max(${column}) AS max FROM ${table}`);
        const value = max.rows[0]?.max;
        if (value !== null && value !== undefined) {
          position = positionText(value);
          await source.state.set(POSITION, position);
        }
      }
      // Woken early by NOTIFY (and by stop); otherwise the interval.
      let wake: (() => void) | null = null;
      if (config.notifyChannel !== undefined) {
        listener = await pool.connect();
        listener.on('notification', () => wake?.());
        await listener.query(`LISTEN ${quoteName(config.notifyChannel)}`);
      }
      const confirmations = new Confirmations();
      let saving = Promise.resolve();
      const selectAll = `SELECT * FROM ${table} ORDER BY ${column} LIMIT ${limit}`;
      const selectAfter = `SELECT * FROM ${table} WHERE ${column} > $1 ORDER BY ${column} LIMIT ${limit}`;
      let failures = 0;
      while (!signal.aborted) {
        let rows: Record<string, unknown>[];
        try {
          rows = (position === undefined ? await pool.query(selectAll) : await pool.query(selectAfter, [position]))
            .rows as Record<string, unknown>[];
          failures = 0;
        } catch (error) {
          // The database went away or the table is missing: say so (once per streak), retry.
          if (failures++ === 0) source.log.warn(`${where}: ${(error as Error).message}`);
          await sleep(Math.min(config.intervalMs * failures, 10_000), signal);
          continue;
        }
        if (rows.length > 0) {
          const now = Date.now();
          const messages: FlowMessage[] = rows.map((row) => ({
            key: positionText(row[config.column]),
            value: row,
            headers: EMPTY_HEADERS,
            timestamp: now,
            meta: { table: config.table, position: positionText(row[config.column]) },
          }));
          position = positionText(rows[rows.length - 1]![config.column]);
          const entry = confirmations.add(position);
          const wait = source.emit(messages, (ok) => {
            if (!ok) return;
            const confirmed = confirmations.confirm(entry);
            if (confirmed === undefined) return;
            saving = saving
              .then(() => source.state.set(POSITION, confirmed))
              .catch((error: Error) => source.log.warn(`cannot save the position: ${error.message}`));
          });
          if (wait) await wait;
          if (rows.length === limit) continue;
        }
        if (signal.aborted) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, config.intervalMs);
          function done() {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = null;
            resolve();
          }
          wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
      }
      await saving;
    },
    async close() {
      if (listener !== null) {
        listener.release();
        listener = null;
      }
      await pool.end().catch(() => undefined);
    },
  };
});
