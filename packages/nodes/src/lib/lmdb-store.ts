/**
 * The embedded, persistent key-value store behind `ctx.openStore` and the `cache` node: one LMDB
 * environment per store name, in the flow's data folder. Node-only.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { KeyValueStore } from '@tributary/shared';
import type { AppliedPositions } from './source-positions.js';

/**
 * Stored as `[expiresAt, value, applied?]`; expiresAt 0 means "never". `applied` holds the last
 * source position per stream applied by `transact` writers (the cache's `update`), so a
 * redelivered message is recognised.
 */
type Entry = [expiresAt: number, value: unknown, applied?: AppliedPositions];

/** A live entry as `transact` sees it. */
export interface StoredEntry {
  value: unknown;
  applied: AppliedPositions | undefined;
}

/** Reads and writes inside one LMDB write transaction (see `LmdbStore.transact`). */
export interface StoreTransaction {
  read(key: string): StoredEntry | undefined;
  write(key: string, value: unknown, applied: AppliedPositions | undefined, ttlMs?: number): void;
  /** Removes the key; whether a live entry was there. */
  remove(key: string): boolean;
}

/** How often expired entries are swept once a TTL was used (lookups skip them in between). */
const PURGE_INTERVAL_MS = 60_000;

export interface LmdbStore extends KeyValueStore {
  /** Absolute path of the LMDB file. */
  readonly path: string;
  /** Synchronous read (LMDB reads are memory-mapped); undefined when missing or expired. */
  getSync(key: string): unknown;
  /** Whether the key holds a live entry (a stored `undefined` counts). */
  hasSync(key: string): boolean;
  /**
   * Runs `fn` inside one write transaction: what it reads cannot change before its writes commit
   * (atomic read-modify-write per key, and for the whole batch). `fn` must be synchronous; the
   * promise resolves with its result once the transaction is on disk.
   */
  transact<T>(fn: (tx: StoreTransaction) => T): Promise<T>;
  /** Removes expired entries now; resolves to how many were removed. */
  purgeExpired(): Promise<number>;
  /** Waits for pending writes, then closes; idempotent. */
  close(): Promise<void>;
}

/** Store names become file names: anything but letters, digits, `.`, `_` and `-` is %-encoded. */
export function storeFileName(name: string): string {
  if (name.length === 0) throw new Error('a store name must not be empty');
  const encoded = Array.from(new TextEncoder().encode(name), (byte) => {
    const ch = String.fromCharCode(byte);
    return /[A-Za-z0-9._-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  // "." and ".." (or names starting with a dot) would be hidden or special: encode a leading dot.
  return (encoded.startsWith('.') ? '%2E' + encoded.slice(1) : encoded) + '.mdb';
}

/** Type guard for stores that can be read synchronously (the embedded one). */
export function isLmdbStore(store: KeyValueStore): store is LmdbStore {
  return typeof (store as Partial<LmdbStore>).getSync === 'function';
}

/**
 * Opens (creating if needed) the store `name` under `dir`. Writes resolve once LMDB committed them
 * to disk; values are encoded with MessagePack (plain objects, arrays, strings, numbers, booleans,
 * null, Dates, bigints). Entries may carry a TTL; an expired entry reads as missing.
 *
 * @example
 * const store = openLmdbStore('/var/lib/tributary/flows/demo/stores', 'cache');
 * await store.put('user-1', { name: 'Ada' }, 60_000);
 * await store.get('user-1'); // { name: 'Ada' }
 * await store.close();
 */
export function openLmdbStore(dir: string, name: string): LmdbStore {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, storeFileName(name));
  const db: RootDatabase<Entry, string> = open<Entry, string>({ path, compression: false });
  let closed = false;
  let usesTtl = false;
  let purgeTimer: NodeJS.Timeout | null = null;

  const startPurging = () => {
    if (usesTtl || closed) return;
    usesTtl = true;
    purgeTimer = setInterval(() => {
      purgeExpired().catch(() => {
        // The next sweep retries; lookups already treat expired entries as missing.
      });
    }, PURGE_INTERVAL_MS);
    purgeTimer.unref();
  };

  const live = (entry: Entry | undefined, key: string): entry is Entry => {
    if (entry === undefined) return false;
    const expiresAt = entry[0];
    if (expiresAt === 0 || expiresAt > Date.now()) return true;
    startPurging();
    // Delete in a write transaction that re-checks, so a fresh value put meanwhile survives.
    db.transaction(() => {
      const current = db.get(key);
      if (current !== undefined && current[0] !== 0 && current[0] <= Date.now()) db.removeSync(key);
    }).catch(() => {
      // Best effort: the periodic sweep removes it later.
    });
    return false;
  };

  const purgeExpired = async (): Promise<number> => {
    if (closed) return 0;
    const now = Date.now();
    const expired: string[] = [];
    for (const { key, value } of db.getRange()) if (value[0] !== 0 && value[0] <= now) expired.push(key);
    if (expired.length === 0) return 0;
    let removed = 0;
    await db.transaction(() => {
      for (const key of expired) {
        const current = db.get(key);
        if (current !== undefined && current[0] !== 0 && current[0] <= now && db.removeSync(key)) removed++;
      }
    });
    return removed;
  };

  const ensureOpen = () => {
    if (closed) throw new Error(`store "${name}" is closed`);
  };

  return {
    path,
    getSync(key) {
      ensureOpen();
      const entry = db.get(key);
      return live(entry, key) ? entry[1] : undefined;
    },
    hasSync(key) {
      ensureOpen();
      return live(db.get(key), key);
    },
    get(key) {
      try {
        ensureOpen();
        const entry = db.get(key);
        return Promise.resolve(live(entry, key) ? entry[1] : undefined);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    async put(key, value, ttlMs) {
      ensureOpen();
      if (ttlMs !== undefined) {
        if (!(ttlMs > 0) || !Number.isFinite(ttlMs))
          throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
        startPurging();
      }
      await db.put(key, [ttlMs === undefined ? 0 : Date.now() + ttlMs, value]);
    },
    async delete(key) {
      ensureOpen();
      const existed = db.get(key);
      const removed = await db.remove(key);
      return removed && live(existed, key);
    },
    size() {
      // Counts entries not yet swept, so it can include a few expired ones (documented as approximate).
      return closed ? Promise.resolve(0) : Promise.resolve(db.getCount());
    },
    async transact(fn) {
      ensureOpen();
      const tx: StoreTransaction = {
        read(key) {
          const entry = db.get(key);
          if (entry === undefined) return undefined;
          if (entry[0] !== 0 && entry[0] <= Date.now()) return undefined;
          return { value: entry[1], applied: entry[2] };
        },
        write(key, value, applied, ttlMs) {
          if (ttlMs !== undefined) startPurging();
          const expiresAt = ttlMs === undefined ? 0 : Date.now() + ttlMs;
          db.putSync(key, applied === undefined ? [expiresAt, value] : [expiresAt, value, applied]);
        },
        remove(key) {
          const live = tx.read(key) !== undefined;
          return db.removeSync(key) && live;
        },
      };
      return db.transaction(() => fn(tx));
    },
    purgeExpired,
    async close() {
      if (closed) return;
      closed = true;
      if (purgeTimer !== null) clearInterval(purgeTimer);
      await db.close();
    },
  };
}
