const REFERENCE = /^\$\{(env|cred):([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

export interface SecretReference {
  kind: 'env' | 'cred';
  name: string;
}

/**
 * True when `value` is exactly one secret reference.
 *
 * @example
 * isSecretReference('${env:KAFKA_PASSWORD}') // true
 * isSecretReference('hunter2') // false
 */
export function isSecretReference(value: unknown): value is string {
  return typeof value === 'string' && REFERENCE.test(value);
}

export function parseSecretReference(value: string): SecretReference | null {
  const match = REFERENCE.exec(value);
  return match ? { kind: match[1] as 'env' | 'cred', name: match[2]! } : null;
}
