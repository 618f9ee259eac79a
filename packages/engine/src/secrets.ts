import {
  ANY_ITEM,
  compileHints,
  parseSecretReference,
  valuesAt,
  type ConnectionTypeManifest,
  type FlowDocument,
  type NodeManifest,
} from '@tributary/shared';

/**
 * `${env:NAME}` / `${cred:NAME}` references, resolved only inside the engine, never written back,
 * and only where a secret belongs: in the fields a node or connection type declares secret
 * (`ui.secret`, or the `secret` widget). Anywhere else a reference is plain text — an inline
 * message `"value is ${cred:kpass}"` must not print the password to logs, taps and files.
 * Connection settings may also take `${env:NAME}` in their other fields (a CA certificate in PEM
 * form, a host name), since those go to a client library, not into messages.
 */
const REFERENCE = /\$\{(env|cred):([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

export type SecretResolver = (ref: { kind: 'env' | 'cred'; name: string }) => string | undefined;

export class UnresolvedSecretError extends Error {
  constructor(
    readonly kind: 'env' | 'cred',
    readonly secretName: string,
    readonly path: string,
  ) {
    super(
      kind === 'env'
        ? `environment variable ${secretName} is not set (referenced at ${path})`
        : `credential ${secretName} is not in the credential store (referenced at ${path})`,
    );
    this.name = 'UnresolvedSecretError';
  }
}

/** Own entries only: `${env:valueOf}` must not reach Object.prototype. */
export function ownValue(values: Record<string, string | undefined>, name: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(values, name)) return undefined;
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export const envResolver: SecretResolver = (ref) => (ref.kind === 'env' ? ownValue(process.env, ref.name) : undefined);

/** Where references are substituted in one config. */
export interface SecretPolicy {
  /** Paths of the secret fields (`*` stands for any array index or record key). */
  secretFields: readonly (readonly string[])[];
  /** Whether `${env:NAME}` is substituted outside the secret fields too (connection configs). */
  envElsewhere: boolean;
}

/** The policy for a node's config: references in its secret fields only. */
export function nodeSecretPolicy(manifest: NodeManifest): SecretPolicy {
  return { secretFields: compileHints(manifest.config).secrets.map((f) => f.path), envElsewhere: false };
}

/** Connection types as the engine is given them: a list or a map by type. */
export type ConnectionTypes = readonly ConnectionTypeManifest[] | ReadonlyMap<string, ConnectionTypeManifest>;

function connectionType(types: ConnectionTypes | undefined, type: string): ConnectionTypeManifest | undefined {
  if (types === undefined) return undefined;
  return 'get' in types ? types.get(type) : types.find((c) => c.type === type);
}

/** The policy for a connection's config: every reference in its secret fields, env references anywhere. */
export function connectionSecretPolicy(types: ConnectionTypes | undefined, type: string): SecretPolicy {
  const manifest = connectionType(types, type);
  return {
    secretFields: manifest === undefined ? [] : compileHints(manifest.config).secrets.map((f) => f.path),
    envElsewhere: true,
  };
}

function isSecretField(policy: SecretPolicy, segments: readonly string[]): boolean {
  return policy.secretFields.some(
    (field) => field.length === segments.length && field.every((s, i) => s === ANY_ITEM || s === segments[i]),
  );
}

/**
 * Returns a deep copy of `value` with the references of its strings substituted where `policy`
 * allows (everywhere when no policy is given: for configs whose fields nobody declared).
 */
export function resolveSecrets<T>(value: T, resolver: SecretResolver, path = '', policy?: SecretPolicy): T {
  const segments: string[] = [];
  const visit = (item: unknown, at: string): unknown => {
    if (typeof item === 'string') {
      if (!item.includes('${')) return item;
      const secret = policy === undefined || isSecretField(policy, segments);
      if (!secret && !policy?.envElsewhere) return item;
      return item.replace(REFERENCE, (match, kind: 'env' | 'cred', name: string) => {
        if (!secret && kind === 'cred') return match;
        const resolved = resolver({ kind, name });
        if (resolved === undefined) throw new UnresolvedSecretError(kind, name, at || '/');
        return resolved;
      });
    }
    if (Array.isArray(item)) {
      return item.map((entry: unknown, i) => {
        segments.push(String(i));
        const out = visit(entry, `${at}/${i}`);
        segments.pop();
        return out;
      });
    }
    if (item !== null && typeof item === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(item)) {
        segments.push(key);
        out[key] = visit(entry, `${at}/${key}`);
        segments.pop();
      }
      return out;
    }
    return item;
  };
  return visit(value, path) as T;
}

/**
 * The credential names a flow uses where they are substituted (secret fields of its nodes and
 * connections): what its process is handed, and nothing else.
 */
export function credentialsUsedBy(
  flow: FlowDocument,
  catalog: {
    nodeTypes: readonly NodeManifest[];
    connectionTypes: ConnectionTypes;
  },
): Set<string> {
  const names = new Set<string>();
  const collect = (config: unknown, fields: readonly { path: readonly string[] }[]) => {
    for (const field of fields) {
      for (const { value } of valuesAt(config, field.path)) {
        if (typeof value !== 'string') continue;
        const ref = parseSecretReference(value);
        if (ref?.kind === 'cred') names.add(ref.name);
      }
    }
  };
  for (const node of flow.nodes) {
    const manifest = catalog.nodeTypes.find((m) => m.type === node.type);
    if (manifest !== undefined) collect(node.config, compileHints(manifest.config).secrets);
  }
  for (const connection of flow.connections ?? []) {
    const manifest = connectionType(catalog.connectionTypes, connection.type);
    if (manifest !== undefined) collect(connection.config, compileHints(manifest.config).secrets);
  }
  return names;
}
