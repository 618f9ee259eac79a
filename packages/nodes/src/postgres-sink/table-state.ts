/**
 * Node-only: postgres-sink's `ctx.state`, kept in a table (`tributary_state`) and committed in the
 * sink's own transactions, with its rows and offsets (see `TransactionalState` in the node
 * contract). A row per (node, key): `node` is `<flow id>/<node id>`, `value` is JSONB.
 */
import type { StateChanges, TransactionalState } from '@tributary/shared';
import type pg from 'pg';
import { quoteName } from './writer.js';

export class TableState implements TransactionalState {
  private staged = new Map<string, unknown>();
  /** The transaction in progress (`within`): reads lock the state's rows in it. */
  private client: pg.PoolClient | null = null;
  /** Values read (and locked) in the transaction in progress. */
  private readonly locked = new Map<string, unknown>();
  private readonly quoted: string;

  constructor(
    private readonly pool: pg.Pool,
    readonly table: string,
    /** `<flow id>/<node id>`. */
    readonly node: string,
  ) {
    this.quoted = quoteName(table);
  }

  static tableSql(table: string): string {
    return `CREATE TABLE IF NOT EXISTS ${quoteName(table)} (node text NOT NULL, key text NOT NULL, value jsonb, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (node, key))`;
  }

  /**
   * A staged value, else: inside a transaction the row read and locked (`FOR UPDATE`, so a second
   * runtime of the same flow waits for this commit instead of losing an update), else the committed one.
   */
  async get(key: string): Promise<unknown> {
    checkKey(key);
    if (this.staged.has(key)) return this.staged.get(key);
    if (this.client === null) {
      const result = await this.pool.query<{ value: unknown }>(
        `SELECT value FROM ${this.quoted} WHERE node = $1 AND key = $2`,
        [this.node, key],
      );
      return result.rows[0]?.value ?? undefined;
    }
    if (this.locked.has(key)) return this.locked.get(key);
    const node = this.client.escapeLiteral(this.node);
    const literal = this.client.escapeLiteral(key);
    // A missing row cannot be locked: create it empty first (NULL reads as missing).
    const results = (await this.client.query(
      `INSERT INTO ${this.quoted} (node, key, value) VALUES (${node}, ${literal}, NULL) ON CONFLICT (node, key) DO NOTHING; ` +
        `SELECT value FROM ${this.quoted} WHERE node = ${node} AND key = ${literal} FOR UPDATE`,
    )) as unknown as pg.QueryResult<{ value: unknown }>[];
    const value = results[1]!.rows[0]?.value ?? undefined;
    this.locked.set(key, value);
    return value;
  }

  /** Stages the value (a JSON copy: changing the object afterwards changes nothing). */
  set(key: string, value: unknown): Promise<void> {
    checkKey(key);
    if (value === undefined)
      return Promise.reject(new TypeError(`state "${key}": undefined cannot be stored (delete the key instead)`));
    let json: string;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      return Promise.reject(new TypeError(`state "${key}": not JSON (${(error as Error).message})`));
    }
    this.staged.set(key, JSON.parse(json) as unknown);
    return Promise.resolve();
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.get(key)) !== undefined;
    this.staged.set(key, undefined);
    return existed;
  }

  take(): StateChanges {
    const changes = this.staged;
    this.staged = new Map();
    return changes;
  }

  /** Reads go to the table, so there is nothing to remember; rolled-back changes are dropped. */
  settle(_changes: StateChanges, _committed: boolean): void {}

  /** Runs `fn` with reads locking rows in the transaction of `client`. */
  async within<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
    this.client = client;
    this.locked.clear();
    try {
      return await fn();
    } finally {
      this.client = null;
      this.locked.clear();
    }
  }

  /** The statements that store `changes` (simple-query SQL, joined to the transaction's COMMIT). */
  changesSql(client: pg.ClientBase, changes: StateChanges): string {
    if (changes.size === 0) return '';
    const node = client.escapeLiteral(this.node);
    const upserts: string[] = [];
    const deletes: string[] = [];
    for (const [key, value] of changes) {
      if (value === undefined) deletes.push(client.escapeLiteral(key));
      else
        upserts.push(`(${node}, ${client.escapeLiteral(key)}, ${client.escapeLiteral(JSON.stringify(value))}::jsonb)`);
    }
    const sql: string[] = [];
    if (upserts.length > 0)
      sql.push(
        `INSERT INTO ${this.quoted} (node, key, value) VALUES ${upserts.join(', ')} ON CONFLICT (node, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      );
    if (deletes.length > 0)
      sql.push(`DELETE FROM ${this.quoted} WHERE node = ${node} AND key IN (${deletes.join(', ')})`);
    return sql.join('; ');
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key === '') throw new TypeError('state keys are non-empty strings');
}
