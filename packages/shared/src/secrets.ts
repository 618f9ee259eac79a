/**
 * Secret references: a flow never holds a secret itself, only `${env:NAME}` (an environment
 * variable of the runtime) or `${cred:NAME}` (the runtime's credential store), resolved by the
 * engine when a node starts.
 */

/** What a reference name may contain. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const REFERENCE = /^\$\{(env|cred):([A-Za-z_][A-Za-z0-9_.-]*)\}$/;
const EMBEDDED = /\$\{(env|cred):([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

export type SecretKind = 'env' | 'cred';

export interface SecretReference {
  kind: SecretKind;
  name: string;
}

/**
 * True when `value` is exactly one secret reference (nothing around it).
 *
 * @example
 * isSecretReference('${env:KAFKA_PASSWORD}') // true
 * isSecretReference('hunter2') // false
 * isSecretReference('pw-${env:X}') // false: part of the secret would be in clear
 */
export function isSecretReference(value: unknown): value is string {
  return typeof value === 'string' && REFERENCE.test(value);
}

/**
 * The kind and name of a reference, or null when `value` is not exactly one reference.
 *
 * @example
 * parseSecretReference('${cred:pg-password}') // { kind: 'cred', name: 'pg-password' }
 */
export function parseSecretReference(value: string): SecretReference | null {
  const match = REFERENCE.exec(value);
  return match ? { kind: match[1] as SecretKind, name: match[2]! } : null;
}

/**
 * The text of a reference. Throws on a name a reference cannot hold.
 *
 * @example
 * formatSecretReference({ kind: 'env', name: 'KAFKA_PASSWORD' }) // '${env:KAFKA_PASSWORD}'
 */
export function formatSecretReference(ref: SecretReference): string {
  if (!SECRET_NAME_PATTERN.test(ref.name))
    throw new Error(`"${ref.name}" cannot be a secret name: use letters, digits, _ . - (not starting with a digit)`);
  return `\${${ref.kind}:${ref.name}}`;
}

/**
 * Every reference inside a value (any depth, also inside longer strings), with the JSON pointer of
 * the string that holds it, e.g. to list the credentials a flow needs before it is deployed.
 *
 * @example
 * findSecretReferences({ url: 'redis://:${env:REDIS_PW}@localhost' })
 * // [{ kind: 'env', name: 'REDIS_PW', path: '/url' }]
 */
export function findSecretReferences(value: unknown, path = ''): (SecretReference & { path: string })[] {
  const found: (SecretReference & { path: string })[] = [];
  const visit = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      for (const match of v.matchAll(EMBEDDED)) found.push({ kind: match[1] as SecretKind, name: match[2]!, path: at });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${at}/${i}`));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) visit(item, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  };
  visit(value, path);
  return found;
}
