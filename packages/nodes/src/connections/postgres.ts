/**
 * The `postgres` connection type: one PostgreSQL database, shared by every node of a flow that
 * names it. Browser-safe (zod and @tributary/shared only); the node-only pool factory is in
 * `postgres-client.ts`.
 */
import { z } from 'zod';
import { defineConnectionType } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';
import { hostField, portField, tlsField } from './tls.js';

export const postgresConnectionConfig = z.strictObject({
  host: hostField('PostgreSQL', 1),
  port: portField('PostgreSQL', 5432, 2),
  database: z
    .string({ error: required('the database name') })
    .trim()
    .min(1, 'required: the database name')
    .max(63, 'PostgreSQL names are at most 63 bytes')
    .describe('Name of the database to connect to')
    .meta(ui({ label: 'Database', order: 3 })),
  user: z
    .string({ error: required('the database user') })
    .trim()
    .min(1, 'required: the database user')
    .max(63, 'PostgreSQL names are at most 63 bytes')
    .describe('Database user (role) to log in as')
    .meta(ui({ label: 'User', order: 4 })),
  password: z
    .string()
    .min(1)
    .optional()
    .describe('Password: a ${env:NAME} or ${cred:NAME} reference, never the password itself; empty for trust auth')
    .meta(ui({ label: 'Password', widget: 'secret', secret: true, order: 5 })),
  ssl: tlsField('PostgreSQL', 6),
  maxConnections: z
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe('Most connections the pool opens to the database (per flow)')
    .meta(ui({ label: 'Pool size', advanced: true, order: 7 })),
  connectTimeoutMs: z
    .int()
    .min(100)
    .max(300_000)
    .default(10_000)
    .describe('How long to wait for a connection (TCP, TLS and login)')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Connection timeout', advanced: true, order: 8 })),
  statementTimeoutMs: z
    .int()
    .min(1)
    .max(86_400_000)
    .optional()
    .describe('How long a statement may run before the server cancels it; leave empty for no limit')
    .meta(
      ui({
        widget: 'duration',
        unit: 'ms',
        label: 'Statement timeout',
        placeholder: 'no limit',
        advanced: true,
        order: 9,
      }),
    ),
  applicationName: z
    .string()
    .trim()
    .min(1)
    .max(63)
    .default('tributary')
    .describe('Name shown for these connections in pg_stat_activity and the server log')
    .meta(ui({ label: 'Application name', advanced: true, order: 10 })),
});

export type PostgresConnectionConfig = z.output<typeof postgresConnectionConfig>;

/**
 * The `postgres` connection type.
 *
 * @example
 * // in a flow document:
 * // { "id": "warehouse", "type": "postgres",
 * //   "config": { "host": "db.internal", "database": "orders", "user": "app", "password": "${env:PGPASSWORD}", "ssl": true } }
 */
export const postgresConnection = defineConnectionType({
  type: 'postgres',
  label: 'PostgreSQL',
  description: 'A PostgreSQL database: host, port, database, user and password, TLS, pool size',
  config: postgresConnectionConfig,
});

/** The config field a node uses to name its PostgreSQL connection. */
export function postgresConnectionField(order = 0) {
  return z
    .string({ error: required('the PostgreSQL connection to use') })
    .trim()
    .min(1, 'required: the PostgreSQL connection to use')
    .describe('The PostgreSQL database (a connection of the flow)')
    .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'postgres', order }));
}
