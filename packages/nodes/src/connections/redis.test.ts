import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileHints } from '@tributary/shared';
import { createTestContext } from '../testing/index.js';
import { redisConnection } from './redis.js';
import { connectRedis, redisConnectionOf } from './redis-client.js';

const parse = (config: unknown) => redisConnection.config.safeParse(config);

describe('redis connection type', () => {
  it('accepts {} as the local server and fills in the defaults', () => {
    expect(parse({}).data).toEqual({
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      tls: false,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 5_000,
    });
  });

  it.each([
    [{ host: 'redis://cache:6379' }, 'host', /host name or IP address only/],
    [{ host: 'cache:6379' }, 'host', /the port is its own field/],
    [{ port: 70_000 }, 'port', /65535/],
    [{ db: -1 }, 'db', />=0/],
    [{ tls: { ca: '' } }, 'tls.ca', />=1 characters/],
    [{ hostname: 'x' }, '', /hostname/],
  ])('rejects %j at "%s"', (config, path, message) => {
    const result = parse(config);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message ?? JSON.stringify(issue)).toMatch(message);
  });

  it('accepts IPv6 addresses and TLS with a CA', () => {
    expect(parse({ host: '::1' }).success).toBe(true);
    expect(parse({ tls: { ca: '-----BEGIN CERTIFICATE-----' } }).data?.tls).toEqual({
      ca: '-----BEGIN CERTIFICATE-----',
      rejectUnauthorized: true,
    });
  });

  it('marks the password and the TLS key as secrets, so a flow may only reference them', () => {
    const secrets = compileHints(redisConnection.config).secrets.map((f) => f.path.join('.'));
    expect(secrets).toEqual(expect.arrayContaining(['password', 'tls.key']));
  });

  it('names the connection and the field when a node is given a bad or unknown connection', async () => {
    const test = createTestContext({ connections: { cache: { host: 'cache:6379' } } });
    try {
      expect(() => redisConnectionOf(test.ctx, 'cache')).toThrow(
        /connection "cache" is not a valid Redis connection: host: /,
      );
      expect(() => redisConnectionOf(test.ctx, 'nope')).toThrow(/connection: connection "nope" is not defined/);
    } finally {
      await test.close();
    }
  });
});

describe('redis client (real Redis on 127.0.0.1:6379)', () => {
  const admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  const prefix = `tributary-test:${randomUUID()}:`;
  const user = `tributary-test-${randomUUID()}`;
  const test = createTestContext({ flowId: 'orders', nodeId: 'lookup' });
  const config = (extra: Record<string, unknown> = {}) =>
    redisConnection.config.parse({ connectTimeoutMs: 2000, ...extra });

  beforeAll(async () => {
    await admin.connect();
    await admin.call('ACL', 'SETUSER', user, 'on', '>right-password', '~*', '+@all');
  });

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.call('ACL', 'DELUSER', user);
    await admin.quit();
    await test.close();
  });

  it('connects, names the connection after the flow and node, and applies the key prefix', async () => {
    const redis = await connectRedis(config({ keyPrefix: prefix }), test.ctx);
    try {
      expect(await redis.client('GETNAME')).toBe('tributary:orders:lookup');
      await redis.set('greeting', 'hello');
      expect(await admin.get(`${prefix}greeting`)).toBe('hello');
      expect(await redis.get('greeting')).toBe('hello');
    } finally {
      await redis.quit();
    }
  });

  it('logs in as an ACL user, and names the server when the password is wrong', async () => {
    const redis = await connectRedis(config({ username: user, password: 'right-password' }), test.ctx);
    expect(await redis.call('ACL', 'WHOAMI')).toBe(user);
    await redis.quit();
    await expect(connectRedis(config({ username: user, password: 'wrong' }), test.ctx)).rejects.toThrow(
      /^Redis at 127\.0\.0\.1:6379\/0: WRONGPASS/,
    );
  });

  it('fails to start with the reason when nothing listens on the port', async () => {
    await expect(connectRedis(config({ port: 1 }), test.ctx)).rejects.toThrow(
      /^Redis at 127\.0\.0\.1:1\/0: connect ECONNREFUSED/,
    );
  });

  it('reconnects when the server drops the connection, and the next command succeeds', async () => {
    const redis = await connectRedis(config({ keyPrefix: prefix }), test.ctx);
    try {
      const id = await redis.client('ID');
      await admin.client('KILL', 'ID', String(id));
      await redis.set('after-kill', '1');
      expect(await admin.get(`${prefix}after-kill`)).toBe('1');
      expect(await redis.client('ID')).not.toBe(id);
    } finally {
      await redis.quit();
    }
  });
});
