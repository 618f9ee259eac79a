/** `${env:NAME}` / `${cred:NAME}` references, resolved only inside the engine, never written back. */
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

export const envResolver: SecretResolver = (ref) => (ref.kind === 'env' ? process.env[ref.name] : undefined);

/** Returns a deep copy of `value` with every reference in its strings substituted. */
export function resolveSecrets<T>(value: T, resolver: SecretResolver, path = ''): T {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(REFERENCE, (_match, kind: 'env' | 'cred', name: string) => {
      const resolved = resolver({ kind, name });
      if (resolved === undefined) throw new UnresolvedSecretError(kind, name, path || '/');
      return resolved;
    }) as T;
  }
  if (Array.isArray(value))
    return value.map((item, i) => resolveSecrets(item as unknown, resolver, `${path}/${i}`)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolveSecrets(item, resolver, `${path}/${key}`);
    return out as T;
  }
  return value;
}
