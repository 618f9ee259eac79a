/**
 * What a node test may see of the flow: the node's config and the connections it names, with
 * `${cred:NAME}` / `${env:NAME}` resolved here, on the server, under the engine's own policy
 * (secret fields only; connections take `${env:}` elsewhere too). The editor sends references,
 * never secrets, and gets none back.
 */
import { compileHints, valuesAt, type ConnectionTypeManifest, type NodeManifest } from '@tributary/shared';
import {
  connectionSecretPolicy,
  nodeSecretPolicy,
  ownValue,
  resolveSecrets,
  UnresolvedSecretError,
  type SecretResolver,
} from '@tributary/engine';
import { RuntimeError } from '../errors.js';

/** A connection as the flow document holds it. */
export interface TestConnection {
  id: string;
  type: string;
  config: Record<string, unknown>;
}

/** Connection ids a config names in its `connection` fields. */
function namedConnections(schema: NodeManifest['config'], config: unknown): string[] {
  const ids: string[] = [];
  for (const field of compileHints(schema).connections)
    for (const { value } of valuesAt(config, field.path)) if (typeof value === 'string' && value) ids.push(value);
  return ids;
}

/**
 * The node's config and the connections it uses (directly, or through another connection, as a
 * Kafka connection names its schema registry), resolved; the flow's other connections stay out.
 * A reference that cannot be resolved is a 400 naming the field.
 */
export function resolveForTest(
  manifest: NodeManifest,
  config: Record<string, unknown>,
  connections: readonly TestConnection[],
  connectionTypes: readonly ConnectionTypeManifest[],
  credential: (name: string) => string | undefined,
): { config: Record<string, unknown>; connections: Record<string, Record<string, unknown>> } {
  const resolver: SecretResolver = (ref) =>
    ref.kind === 'cred' ? credential(ref.name) : ownValue(process.env, ref.name);
  const byId = new Map(connections.map((c) => [c.id, c]));
  const types = new Map(connectionTypes.map((t) => [t.type, t]));
  try {
    const resolved = resolveSecrets(config, resolver, '/config', nodeSecretPolicy(manifest));
    const used: Record<string, Record<string, unknown>> = {};
    const pending = namedConnections(manifest.config, config);
    while (pending.length > 0) {
      const id = pending.shift()!;
      const connection = byId.get(id);
      // A missing one is the node's to report ("connection x is not defined"), as at deploy.
      if (connection === undefined || id in used) continue;
      const type = types.get(connection.type);
      if (type === undefined)
        throw new RuntimeError('E_BAD_REQUEST', `connection "${id}" has an unknown type "${connection.type}"`, 400);
      used[id] = resolveSecrets(
        connection.config,
        resolver,
        `/connections/${id}/config`,
        connectionSecretPolicy(connectionTypes, connection.type),
      );
      pending.push(...namedConnections(type.config, connection.config));
    }
    return { config: resolved, connections: used };
  } catch (error) {
    if (error instanceof UnresolvedSecretError)
      throw new RuntimeError(
        'E_CREDENTIAL_NOT_FOUND',
        `${error.message}: set it (Flow settings › the connection's secret field) before testing`,
        400,
      );
    throw error;
  }
}
