/**
 * Node-only: the two stores behind the `cache` node, behind one interface so every operation
 * (and the behaviour suite) is the same on both.
 */
import type { LmdbStore, StoredEntry } from '../lib/lmdb-store.js';
import { publishChange } from '../lib/change-bus.js';
import type { ClaimGeneration, Fence, RedisCacheStore, UpdateResult } from './redis-store.js';

export type { ClaimGeneration, Fence, UpdateResult } from './redis-store.js';

/** Decides the new entry of a key from its current one; null: leave it as it is. */
export type UpdatePlan = (key: string, current: StoredEntry | undefined) => StoredEntry | null;

/**
 * Both backends fence by partition epoch: on every assignment a writer `claim`s a new epoch for
 * each partition it got, and its writes carry the epochs of their messages' partitions; a write
 * under an epoch older than the stored one (the member lost the partition since) is refused.
 */
export interface CacheBackend {
  /** Values of `keys` (undefined: missing; an Error: that read failed). */
  lookup(keys: readonly string[]): Promise<unknown[]>;
  put(key: string, value: unknown, ttlMs?: number): Promise<void>;
  /** 'fenced' when a fence refused it, else whether the key existed. */
  delete(key: string, fences?: readonly Fence[]): Promise<boolean | 'fenced'>;
  /** Atomic read-modify-write per key; `plan` may run again for a key another writer changed. */
  update(
    keys: readonly string[],
    plan: UpdatePlan,
    ttlMs?: number,
    fencesOf?: (key: string) => readonly Fence[],
  ): Promise<UpdateResult>;
  size(): Promise<number>;
  /**
   * New epochs of `streams` (`topic/partition`) of consumer group `group`, once per assignment
   * `token`; a stream whose last claim was this runtime's `previous[i]` keeps its epoch. Null for a
   * stream a newer `generation` of the group claimed: this assignment is stale, and writes nothing.
   */
  claim(
    group: string,
    streams: readonly string[],
    token: string,
    previous: readonly (string | undefined)[],
    generation: ClaimGeneration | null,
  ): Promise<(Fence | null)[]>;
}

/**
 * Epochs of the embedded stores, by store file: one process owns a data folder, so they live in
 * memory (they fence a flow instance still stopping against the one that replaced it).
 */
type EpochEntry = { epoch: number; token: string; generation?: number };
const lmdbEpochs = new Map<string, Map<string, EpochEntry>>();

/** The embedded store; changes (when published) go to the in-process bus of the store's file. */
export function lmdbBackend(store: LmdbStore, publish: boolean): CacheBackend {
  const changed = (op: 'put' | 'update' | 'delete', key: string, value?: unknown) => {
    if (publish) publishChange(store.path, { op, key, value });
  };
  const epochs = lmdbEpochs.get(store.path) ?? new Map<string, EpochEntry>();
  lmdbEpochs.set(store.path, epochs);
  const isFenced = (fences: readonly Fence[]) => fences.some((f) => (epochs.get(f.key)?.epoch ?? 0) > f.epoch);
  return {
    // Reads are synchronous memory-mapped lookups: no promise per key.
    lookup: (keys) => Promise.resolve(keys.map((key) => store.getSync(key))),
    async put(key, value, ttlMs) {
      await store.put(key, value, ttlMs);
      changed('put', key, value);
    },
    async delete(key, fences = []) {
      const existed = await store.transact((tx) => (isFenced(fences) ? 'fenced' : tx.remove(key)));
      if (existed === true) changed('delete', key);
      return existed;
    },
    async update(keys, plan, ttlMs, fencesOf = () => []) {
      const fenced = new Set<string>();
      const written = await store.transact((tx) => {
        const done: [string, unknown][] = [];
        for (const key of keys) {
          const next = plan(key, tx.read(key));
          if (next === null) continue;
          if (isFenced(fencesOf(key))) {
            fenced.add(key);
            continue;
          }
          tx.write(key, next.value, next.applied, ttlMs);
          done.push([key, next.value]);
        }
        return done;
      });
      for (const [key, value] of written) changed('update', key, value);
      return { fenced };
    },
    size: () => store.size(),
    claim(group, streams, token, previous, generation) {
      // As the Redis claim script (redis-store.ts), in memory.
      return Promise.resolve(
        streams.map((stream, i): Fence | null => {
          const key = `${group}:${stream}`;
          let entry = epochs.get(key);
          if (entry?.token === token) return { key, epoch: entry.epoch };
          const claimed = entry?.generation;
          if (generation?.check === true && claimed !== undefined && claimed > generation.value) return null;
          const kept = entry !== undefined && entry.token === previous[i];
          entry = {
            epoch: kept ? entry!.epoch : (entry?.epoch ?? 0) + 1,
            token,
            generation: generation?.value ?? claimed,
          };
          epochs.set(key, entry);
          return { key, epoch: entry.epoch };
        }),
      );
    },
  };
}

export function redisBackend(store: RedisCacheStore): CacheBackend {
  return {
    lookup: (keys) => store.getMany(keys),
    put: (key, value, ttlMs) => store.put(key, value, ttlMs),
    delete: (key, fences) => store.delete(key, fences),
    update: (keys, plan, ttlMs, fencesOf) => store.update(keys, plan, ttlMs, fencesOf),
    size: () => store.size(),
    claim: (group, streams, token, previous, generation) =>
      store
        .claim(
          streams.map((stream) => store.epochKey(group, stream)),
          token,
          previous,
          generation,
        )
        .then((epochs) =>
          epochs.map((epoch, i) => (epoch < 0 ? null : { key: store.epochKey(group, streams[i]!), epoch })),
        ),
  };
}
