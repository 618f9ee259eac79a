/**
 * Node-only: turns a flow's `redis` connection into an ioredis client. Never imported by manifests
 * (ioredis must stay out of the editor's bundle).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { backoffDelay, type NodeContext } from '@tributary/shared';
import { connectionOf, tlsOptions } from './connection-of.js';
import { redisConnection, type RedisConnectionConfig } from './redis.js';

/** Longest wait between reconnection attempts after the server went away. */
const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * The parsed `redis` connection `id`; a NodeConfigError naming the connection and field otherwise.
 *
 * @example
 * redisConnectionOf(ctx, 'cache').port // 6379
 */
export function redisConnectionOf(ctx: NodeContext, id: string, field = 'connection'): RedisConnectionConfig {
  return connectionOf(ctx, id, redisConnection, field);
}

/** Where a Redis connection points, for messages: `redis 127.0.0.1:6379/0`. */
export function describeRedis(connection: RedisConnectionConfig): string {
  return `Redis at ${connection.host}:${connection.port}/${connection.db}`;
}

/** ioredis options for a connection (exported for tests and for nodes that need a second client). */
export function redisOptions(connection: RedisConnectionConfig, ctx: NodeContext): RedisOptions {
  const tls = tlsOptions(connection.tls);
  return {
    host: connection.host,
    port: connection.port,
    db: connection.db,
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(tls === undefined ? {} : { tls }),
    ...(connection.keyPrefix === undefined ? {} : { keyPrefix: connection.keyPrefix }),
    connectTimeout: connection.connectTimeoutMs,
    commandTimeout: connection.commandTimeoutMs,
    // Shown by CLIENT LIST, so an operator can tell which flow and node a connection belongs to.
    connectionName: `tributary:${ctx.flowId}:${ctx.nodeId}`.replace(/\s/g, '_'),
    lazyConnect: true,
    // Commands issued while reconnecting wait (bounded by commandTimeout) instead of failing at once.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => backoffDelay(attempt - 1, { initialMs: 200, maxMs: MAX_RECONNECT_DELAY_MS }),
  };
}

/**
 * Opens an ioredis client for a connection and waits until it is ready; rejects with an error that
 * names the server when it cannot connect (wrong host, refused, bad password). Connection errors
 * after that go to the node's log (once per distinct message) while ioredis reconnects.
 *
 * @example
 * const redis = await connectRedis(redisConnectionOf(ctx, config.connection), ctx);
 * await redis.set('k', 'v');
 * // close(): await redis.quit();
 */
export async function connectRedis(connection: RedisConnectionConfig, ctx: NodeContext): Promise<Redis> {
  // No reconnection while connecting: a node whose server is unreachable fails its start, clearly.
  const client = new Redis({ ...redisOptions(connection, ctx), retryStrategy: () => null });
  let firstError: Error | undefined;
  let lastError = '';
  // Without a listener ioredis prints every reconnection failure to the console.
  client.on('error', (error: Error) => {
    firstError ??= error;
    if (error.message === lastError || client.status === 'connecting') return;
    lastError = error.message;
    ctx.log.warn(`${describeRedis(connection)}: ${error.message}`);
  });
  client.on('ready', () => {
    lastError = '';
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed."; the socket's own error says why.
    const reason = (firstError ?? (error as Error)).message;
    throw new Error(`${describeRedis(connection)}: ${reason}`, { cause: error });
  }
  // Connected once: from now on, reconnect with backoff when the server goes away.
  client.options.retryStrategy = redisOptions(connection, ctx).retryStrategy;
  return client;
}
