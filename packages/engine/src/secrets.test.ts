import { defineConnectionType, defineManifest } from '@tributary/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnresolvedSecretError, credentialsUsedBy, ownValue, resolveSecrets } from './secrets.js';

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

describe('where references are substituted', () => {
  const values: Record<string, string> = { 'cred:kpass': 'hunter2', 'env:HOST': 'db.internal', 'env:PW': 'pw' };
  const resolver = (ref: { kind: 'env' | 'cred'; name: string }) => values[`${ref.kind}:${ref.name}`];

  it('substitutes only in secret fields of a node config; elsewhere a reference stays text', () => {
    const policy = {
      secretFields: [
        ['auth', 'password'],
        ['servers', '*', 'token'],
      ],
      envElsewhere: false,
    };
    const config = {
      message: 'value is ${cred:kpass}',
      auth: { password: '${cred:kpass}' },
      servers: [{ token: '${env:PW}' }, { token: '${cred:kpass}', note: '${env:PW}' }],
    };
    expect(resolveSecrets(config, resolver, '', policy)).toEqual({
      message: 'value is ${cred:kpass}',
      auth: { password: 'hunter2' },
      servers: [{ token: 'pw' }, { token: 'hunter2', note: '${env:PW}' }],
    });
  });

  it('lets connection settings take env references anywhere, credentials only in secret fields', () => {
    const policy = { secretFields: [['password']], envElsewhere: true };
    const config = { host: '${env:HOST}', label: '${cred:kpass}', password: '${cred:kpass}' };
    expect(resolveSecrets(config, resolver, '', policy)).toEqual({
      host: 'db.internal',
      label: '${cred:kpass}',
      password: 'hunter2',
    });
  });

  it('looks up own entries only: valueOf, __proto__ and constructor are not credentials', () => {
    const store: Record<string, string> = { real: 'x' };
    for (const name of ['valueOf', '__proto__', 'constructor', 'toString'])
      expect(ownValue(store, name)).toBeUndefined();
    expect(ownValue(store, 'real')).toBe('x');
    const own = (ref: { kind: 'env' | 'cred'; name: string }) => ownValue(store, ref.name);
    expect(() => resolveSecrets({ p: '${cred:valueOf}' }, own)).toThrow(
      /credential valueOf is not in the credential store/,
    );
  });

  it('hands a flow only the credentials its secret fields use', () => {
    const flow = {
      schemaVersion: 1 as const,
      id: 'f',
      name: 'f',
      connections: [
        {
          id: 'k',
          type: 'kafka',
          config: { brokers: ['x:1'], sasl: { mechanism: 'plain', username: 'u', password: '${cred:used}' } },
        },
      ],
      nodes: [
        {
          id: 'i',
          type: 'inline',
          typeVersion: 1,
          position: { x: 0, y: 0 },
          config: { messages: ['${cred:mentioned}'] },
        },
      ],
      edges: [],
    };
    // A catalog of the two types the flow uses: a password declared secret, messages that are not.
    const catalog = {
      nodeTypes: [
        defineManifest({
          type: 'inline',
          typeVersion: 1,
          kind: 'source',
          label: 'Inline',
          description: 'messages',
          category: 'testing',
          inputs: [],
          outputs: [{ name: 'out' }],
          config: z.object({ messages: z.array(z.string()) }),
        }),
      ],
      connectionTypes: [
        defineConnectionType({
          type: 'kafka',
          label: 'Kafka',
          description: 'cluster',
          config: z.object({
            brokers: z.array(z.string()),
            sasl: z.object({
              mechanism: z.string(),
              username: z.string(),
              password: z.string().meta({ ui: { secret: true } }),
            }),
          }),
        }),
      ],
    };
    expect([...credentialsUsedBy(flow, catalog)]).toEqual(['used']);
  });
});
