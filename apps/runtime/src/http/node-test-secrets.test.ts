import { describe, expect, it } from 'vitest';
import { connectionTypes, nodeManifests } from '@tributary/nodes/manifests';
import { resolveForTest } from './node-test-secrets.js';

const manifest = (type: string) => nodeManifests.find((m) => m.type === type)!;
const store: Record<string, string> = { redis_pass: 'hunter2', feed_auth: 'Bearer abc' };
const credential = (name: string) => store[name];

describe('what a node test is given of the flow', () => {
  it('only the connections the node names, their secret fields resolved, other text left as written', () => {
    const { config, connections } = resolveForTest(
      manifest('cache'),
      { operation: 'get', backend: 'redis', connection: 'main', store: '${cred:redis_pass}' },
      [
        {
          id: 'main',
          type: 'redis',
          config: { host: 'localhost', password: '${cred:redis_pass}', keyPrefix: '${cred:redis_pass}' },
        },
        { id: 'other', type: 'redis', config: { password: '${cred:missing}' } },
      ],
      connectionTypes,
      credential,
    );
    expect(Object.keys(connections)).toEqual(['main']);
    expect(connections.main).toMatchObject({ password: 'hunter2', keyPrefix: '${cred:redis_pass}' });
    // A node field that is not secret keeps the reference as text (it could end up in messages).
    expect(config.store).toBe('${cred:redis_pass}');
  });

  it('resolves a node’s own secret fields', () => {
    const { config } = resolveForTest(
      manifest('http-request'),
      { url: 'http://127.0.0.1:1/x', authorization: '${cred:feed_auth}' },
      [],
      connectionTypes,
      credential,
    );
    expect(config.authorization).toBe('Bearer abc');
  });

  it('refuses a credential the store does not have, naming it, and an unknown connection type', () => {
    expect(() =>
      resolveForTest(
        manifest('http-request'),
        { url: 'http://x', authorization: '${cred:nope}' },
        [],
        connectionTypes,
        credential,
      ),
    ).toThrow(/credential nope is not in the credential store/);
    expect(() =>
      resolveForTest(
        manifest('cache'),
        { operation: 'get', backend: 'redis', connection: 'main' },
        [{ id: 'main', type: 'memcache', config: {} }],
        connectionTypes,
        credential,
      ),
    ).toThrow(/unknown type "memcache"/);
  });
});
