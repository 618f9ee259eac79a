/**
 * Node-only: turns a flow's `postgres` connection into a pg connection pool. Never imported by
 * manifests (pg must stay out of the editor's bundle).
 */
import pg from 'pg';
import type { NodeContext } from '@tributary/shared';
import { connectionOf, tlsOptions } from './connection-of.js';
import { postgresConnection, type PostgresConnectionConfig } from './postgres.js';

/** Idle pooled connections are closed after this long, so a quiet flow holds few connections. */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * The parsed `postgres` connection `id`; a NodeConfigError naming the connection and field otherwise.
 *
 * @example
 * postgresConnectionOf(ctx, 'warehouse').database // 'orders'
 */
export function postgresConnectionOf(ctx: NodeContext, id: string, field = 'connection'): PostgresConnectionConfig {
  return connectionOf(ctx, id, postgresConnection, field);
}

/** Where a connection points, for messages: `PostgreSQL app@127.0.0.1:5432/orders`. */
export function describePostgres(connection: PostgresConnectionConfig): string {
  return `PostgreSQL ${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
}

/** pg pool options for a connection (exported for tests). */
export function postgresPoolConfig(connection: PostgresConnectionConfig): pg.PoolConfig {
  const ssl = tlsOptions(connection.ssl);
  return {
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(ssl === undefined ? { ssl: false } : { ssl }),
    max: connection.maxConnections,
    connectionTimeoutMillis: connection.connectTimeoutMs,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    application_name: connection.applicationName,
    ...(connection.statementTimeoutMs === undefined ? {} : { statement_timeout: connection.statementTimeoutMs }),
  };
}

/**
 * Opens a pool for a connection and checks it with one round trip, so a wrong host, database or
 * password fails the node's start with an error naming the server. Errors of idle pooled
 * connections (the server restarted) go to the node's log instead of crashing the flow.
 *
 * @example
 * const pool = await connectPostgres(postgresConnectionOf(ctx, config.connection), ctx);
 * await pool.query('INSERT INTO events (body) VALUES ($1)', [json]);
 * // close(): await pool.end();
 */
export async function connectPostgres(connection: PostgresConnectionConfig, ctx: NodeContext): Promise<pg.Pool> {
  const pool = new pg.Pool(postgresPoolConfig(connection));
  // Without a listener, an idle connection's error is an unhandled 'error' event: it would kill the worker.
  pool.on('error', (error) => ctx.log.warn(`${describePostgres(connection)}: ${error.message}`));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {
      // Already failing: the original error is the one to report.
    });
    throw new Error(`${describePostgres(connection)}: ${(error as Error).message}`, { cause: error });
  }
  return pool;
}
