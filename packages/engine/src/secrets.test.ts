import { describe, expect, it } from 'vitest';
import { UnresolvedSecretError, resolveSecrets } from './secrets.js';

describe('resolveSecrets', () => {
  const known: Record<string, string> = { 'env:USER': 'alice', 'cred:kafka-pass': 's3cret' };
  const resolver = (ref: { kind: 'env' | 'cred'; name: string }) => known[`${ref.kind}:${ref.name}`];

  it('substitutes env and credential references deep inside a config, leaving the input untouched', () => {
    const config = { sasl: { username: '${env:USER}', password: '${cred:kafka-pass}' }, brokers: ['a:1'], n: 3 };
    const resolved = resolveSecrets(config, resolver);
    expect(resolved).toEqual({ sasl: { username: 'alice', password: 's3cret' }, brokers: ['a:1'], n: 3 });
    expect(config.sasl.password).toBe('${cred:kafka-pass}');
  });

  it('names the missing reference and where it is used', () => {
    expect(() => resolveSecrets({ a: [{ p: '${env:NOPE}' }] }, resolver)).toThrow(UnresolvedSecretError);
    expect(() => resolveSecrets({ a: [{ p: '${env:NOPE}' }] }, resolver)).toThrow(
      /NOPE is not set \(referenced at \/a\/0\/p\)/,
    );
  });
});
