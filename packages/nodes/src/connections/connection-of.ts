/** Node-only: reading a flow connection through a node's context, checked against its type's schema. */
import type { z } from 'zod';
import type { ConnectionOptions } from 'node:tls';
import { zodProblems, type ConnectionTypeManifest, type NodeContext } from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import type { TlsSetting } from './tls.js';

/**
 * The parsed config of connection `id` (defaults filled in); a NodeConfigError naming the
 * connection and each field at fault when it does not fit `type`'s schema. `field` is the node's
 * config field that named the connection.
 *
 * @example
 * const redis = connectionOf(ctx, config.connection, redisConnection); // RedisConnectionConfig
 */
export function connectionOf<C extends z.ZodType>(
  ctx: NodeContext,
  id: string,
  type: ConnectionTypeManifest<C>,
  field = 'connection',
): z.output<C> {
  let raw: Readonly<Record<string, unknown>>;
  try {
    raw = ctx.connection(id);
  } catch (error) {
    throw new NodeConfigError(`${field}: ${(error as Error).message}`, field);
  }
  const parsed = type.config.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  // The flow validator's wording, with the field written as a dotted path (it is one line of prose).
  const problems = zodProblems(parsed.error, '', 'E_CONNECTION_INVALID').map(
    (p) => `${p.path.slice(1).replaceAll('/', '.') || '/'}: ${p.message}`,
  );
  throw new NodeConfigError(
    `connection "${id}" is not a valid ${type.label} connection: ${problems.join('; ')}`,
    field,
  );
}

/** Node's TLS options for a `tlsField` setting; undefined when TLS is off. */
export function tlsOptions(setting: TlsSetting): ConnectionOptions | undefined {
  if (setting === false) return undefined;
  if (setting === true) return {};
  return {
    rejectUnauthorized: setting.rejectUnauthorized,
    ...(setting.ca === undefined ? {} : { ca: [setting.ca] }),
    ...(setting.cert === undefined ? {} : { cert: setting.cert }),
    ...(setting.key === undefined ? {} : { key: setting.key }),
    ...(setting.servername === undefined ? {} : { servername: setting.servername }),
  };
}
