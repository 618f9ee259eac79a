/**
 * The `redis` connection type: one Redis server (or a managed Redis endpoint), shared by every node
 * of a flow that names it. Browser-safe (zod and @tributary/shared only); the node-only client
 * factory is in `redis-client.ts`.
 */
import { z } from 'zod';
import { defineConnectionType } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';
import { hostField, portField, tlsField } from './tls.js';

export const redisConnectionConfig = z.strictObject({
  host: hostField('Redis', 1),
  port: portField('Redis', 6379, 2),
  db: z
    .int()
    .min(0)
    .max(1_000_000)
    .default(0)
    .describe('Logical database number (SELECT); 0 unless the server is shared between uses')
    .meta(ui({ label: 'Database', order: 3 })),
  username: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('ACL user name (Redis 6+); leave empty for the default user')
    .meta(ui({ label: 'User name', order: 4 })),
  password: z
    .string()
    .min(1)
    .optional()
    .describe('Password (AUTH): a ${env:NAME} or ${cred:NAME} reference, never the password itself')
    .meta(ui({ label: 'Password', widget: 'secret', secret: true, order: 5 })),
  tls: tlsField('Redis', 6),
  keyPrefix: z
    .string()
    .max(200)
    .optional()
    .describe('Prefix put in front of every key this connection writes or reads, e.g. "orders:" to share a server')
    .meta(ui({ label: 'Key prefix', placeholder: 'tributary:', advanced: true, order: 7 })),
  connectTimeoutMs: z
    .int()
    .min(100)
    .max(300_000)
    .default(10_000)
    .describe('How long to wait for the TCP (and TLS) connection')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Connection timeout', advanced: true, order: 8 })),
  commandTimeoutMs: z
    .int()
    .min(10)
    .max(300_000)
    .default(5_000)
    .describe('How long a command waits for a reply before it fails (and the message goes to the error port)')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Command timeout', advanced: true, order: 9 })),
});

export type RedisConnectionConfig = z.output<typeof redisConnectionConfig>;

/**
 * The `redis` connection type.
 *
 * @example
 * // in a flow document:
 * // { "id": "cache", "type": "redis", "config": { "host": "127.0.0.1" } }
 * // a managed Redis with TLS and ACL:
 * // { "host": "redis.example.com", "port": 6380, "tls": true, "username": "app", "password": "${env:REDIS_PASSWORD}" }
 */
export const redisConnection = defineConnectionType({
  type: 'redis',
  label: 'Redis',
  description: 'A Redis server: host, port, database, ACL user and password, TLS',
  config: redisConnectionConfig,
});

/** The config field a node uses to name its Redis connection. */
export function redisConnectionField(order = 0) {
  return z
    .string({ error: required('the Redis connection to use') })
    .trim()
    .min(1, 'required: the Redis connection to use')
    .describe('The Redis server (a connection of the flow)')
    .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'redis', order }));
}
