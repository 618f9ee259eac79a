import { describe, expect, it } from 'vitest';
import { findSecretReferences, formatSecretReference, isSecretReference, parseSecretReference } from './index.js';

describe('secret references', () => {
  it('recognises exactly one reference and nothing else', () => {
    expect(isSecretReference('${env:KAFKA_PASSWORD}')).toBe(true);
    expect(isSecretReference('${cred:pg.main-password}')).toBe(true);
    for (const value of ['hunter2', 'x${env:A}', '${env:A}x', '${vault:A}', '${env:}', '${env:9A}', 42, null])
      expect(isSecretReference(value)).toBe(false);
  });

  it('parses and formats references', () => {
    expect(parseSecretReference('${cred:pg-password}')).toEqual({ kind: 'cred', name: 'pg-password' });
    expect(parseSecretReference('pw')).toBeNull();
    expect(formatSecretReference({ kind: 'env', name: 'KAFKA_PASSWORD' })).toBe('${env:KAFKA_PASSWORD}');
    expect(() => formatSecretReference({ kind: 'env', name: 'has space' })).toThrow('cannot be a secret name');
  });

  it('finds every reference in a value, with the pointer of the string that holds it', () => {
    expect(
      findSecretReferences({
        url: 'redis://:${env:REDIS_PW}@localhost',
        list: ['${cred:a}', 'plain'],
        'a/b': '${env:X}${env:Y}',
      }),
    ).toEqual([
      { kind: 'env', name: 'REDIS_PW', path: '/url' },
      { kind: 'cred', name: 'a', path: '/list/0' },
      { kind: 'env', name: 'X', path: '/a~1b' },
      { kind: 'env', name: 'Y', path: '/a~1b' },
    ]);
  });
});
