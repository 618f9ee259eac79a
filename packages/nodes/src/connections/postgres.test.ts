import { describe, expect, it } from 'vitest';
import { compileHints } from '@tributary/shared';
import { createTestContext } from '../testing/index.js';
import { postgresConnection } from './postgres.js';
import { connectPostgres, postgresConnectionOf } from './postgres-client.js';

const parse = (config: unknown) => postgresConnection.config.safeParse(config);
/** The test server: PostgreSQL on 127.0.0.1:5432, trust auth, database `test`. */
const LOCAL = { database: 'test', user: 'postgres', connectTimeoutMs: 2000 };

describe('postgres connection type', () => {
  it('needs a database and a user, and defaults the rest', () => {
    const result = parse({});
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'database: required: the database name',
      'user: required: the database user',
    ]);
    expect(parse({ database: 'orders', user: 'app' }).data).toEqual({
      host: '127.0.0.1',
      port: 5432,
      database: 'orders',
      user: 'app',
      ssl: false,
      maxConnections: 10,
      connectTimeoutMs: 10_000,
      applicationName: 'tributary',
    });
  });

  it('rejects a URL in the host field and an unknown field', () => {
    const url = parse({ ...LOCAL, host: 'postgres://db:5432/test' });
    expect(url.error?.issues[0]?.path).toEqual(['host']);
    expect(parse({ ...LOCAL, pass: 'x' }).error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it('marks the password and the TLS key as secrets', () => {
    const secrets = compileHints(postgresConnection.config).secrets.map((f) => f.path.join('.'));
    expect(secrets).toEqual(expect.arrayContaining(['password', 'ssl.key']));
  });

  it('names the connection when a node is given a bad one', async () => {
    const test = createTestContext({ connections: { db: { database: 'test' } } });
    try {
      expect(() => postgresConnectionOf(test.ctx, 'db')).toThrow(
        /connection "db" is not a valid PostgreSQL connection: user: required: the database user/,
      );
    } finally {
      await test.close();
    }
  });
});

describe('postgres client (real PostgreSQL on 127.0.0.1:5432)', () => {
  it('connects through ctx.connection and reports itself with the application name', async () => {
    const test = createTestContext({ connections: { db: { ...LOCAL, applicationName: 'tributary-test' } } });
    const pool = await connectPostgres(postgresConnectionOf(test.ctx, 'db'), test.ctx);
    try {
      const { rows } = await pool.query<{ db: string; app: string }>(
        "SELECT current_database() AS db, current_setting('application_name') AS app",
      );
      expect(rows).toEqual([{ db: 'test', app: 'tributary-test' }]);
    } finally {
      await pool.end();
      await test.close();
    }
  });

  it('has the server cancel statements that exceed the statement timeout', async () => {
    const test = createTestContext();
    const pool = await connectPostgres(postgresConnection.config.parse({ ...LOCAL, statementTimeoutMs: 50 }), test.ctx);
    try {
      await expect(pool.query('SELECT pg_sleep(5)')).rejects.toThrow(/statement timeout/);
    } finally {
      await pool.end();
      await test.close();
    }
  });

  it('fails to start with an error naming the server and the reason', async () => {
    const test = createTestContext();
    try {
      await expect(
        connectPostgres(postgresConnection.config.parse({ ...LOCAL, database: 'no_such_db' }), test.ctx),
      ).rejects.toThrow('PostgreSQL postgres@127.0.0.1:5432/no_such_db: database "no_such_db" does not exist');
      await expect(connectPostgres(postgresConnection.config.parse({ ...LOCAL, port: 1 }), test.ctx)).rejects.toThrow(
        /^PostgreSQL postgres@127\.0\.0\.1:1\/test: connect ECONNREFUSED/,
      );
    } finally {
      await test.close();
    }
  });
});
