/**
 * Node-only: the two stores behind the `cache` node, behind one interface so every operation
 * (and the behaviour suite) is the same on both.
 */
import type { LmdbStore, StoredEntry } from '../lib/lmdb-store.js';
import { publishChange } from '../lib/change-bus.js';
import type { RedisCacheStore } from './redis-store.js';

/** Decides the new entry of a key from its current one; null: leave it as it is. */
export type UpdatePlan = (key: string, current: StoredEntry | undefined) => StoredEntry | null;

export interface CacheBackend {
  /** Values of `keys` (undefined: missing; an Error: that read failed). */
  lookup(keys: readonly string[]): Promise<unknown[]>;
  put(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Atomic read-modify-write per key; `plan` may run again for a key another writer changed. */
  update(keys: readonly string[], plan: UpdatePlan, ttlMs?: number): Promise<void>;
  size(): Promise<number>;
}

/** The embedded store; changes (when published) go to the in-process bus of the store's file. */
export function lmdbBackend(store: LmdbStore, publish: boolean): CacheBackend {
  const changed = (op: 'put' | 'update' | 'delete', key: string, value?: unknown) => {
    if (publish) publishChange(store.path, { op, key, value });
  };
  return {
    // Reads are synchronous memory-mapped lookups: no promise per key.
    lookup: (keys) => Promise.resolve(keys.map((key) => store.getSync(key))),
    async put(key, value, ttlMs) {
      await store.put(key, value, ttlMs);
      changed('put', key, value);
    },
    async delete(key) {
      const existed = await store.delete(key);
      if (existed) changed('delete', key);
      return existed;
    },
    async update(keys, plan, ttlMs) {
      const written = await store.transact((tx) => {
        const done: [string, unknown][] = [];
        for (const key of keys) {
          const next = plan(key, tx.read(key));
          if (next === null) continue;
          tx.write(key, next.value, next.applied, ttlMs);
          done.push([key, next.value]);
        }
        return done;
      });
      for (const [key, value] of written) changed('update', key, value);
    },
    size: () => store.size(),
  };
}

export function redisBackend(store: RedisCacheStore): CacheBackend {
  return {
    lookup: (keys) => store.getMany(keys),
    put: (key, value, ttlMs) => store.put(key, value, ttlMs),
    delete: (key) => store.delete(key),
    update: (keys, plan, ttlMs) => store.update(keys, plan, ttlMs),
    size: () => store.size(),
  };
}
