/**
 * Node-only: the `cache` node's Redis backend. Each entry is a hash `<store>:<key>` (behind the
 * connection's own key prefix) with the value as JSON in `v`, the last applied source position per
 * stream in `p` (for `update`) and a version `ver` that every write increments. Writes are Lua
 * scripts (EVALSHA through ioredis's defineCommand): a put or update and the entry in the store's
 * change stream (`tributary-changes:<store>`, read by `cache-updates`) happen atomically.
 *
 * Fencing: a write may carry epochs of source partitions (`tributary-epoch:<store>:<group>:<topic>/<partition>`,
 * a hash with the epoch `e` and the token `t` of the assignment that set it); the script refuses it
 * (answers -1) when any stored epoch is newer: a member that lost the partition in a rebalance
 * cannot write over the new owner.
 */
import type { Redis } from 'ioredis';
import type { AppliedPositions } from '../lib/source-positions.js';
import type { StoredEntry } from '../lib/lmdb-store.js';

/** Entries kept in a change stream (approximately: XADD MAXLEN ~). */
export const CHANGE_STREAM_MAX_LENGTH = 100_000;

// Refuses the script (answers -1) when an epoch key KEYS[i] (i >= 3) stores a newer epoch than the
// write's ARGV[first + i - 3].
const FENCE_CHECK = `
for i = 3, #KEYS do
  local stored = tonumber(redis.call('HGET', KEYS[i], 'e') or '0')
  if stored > tonumber(ARGV[FIRST + i - 3]) then return -1 end
end
`;

// KEYS[1] entry, KEYS[2] change stream, KEYS[3…] epoch keys. ARGV: expected version ('' = any),
// value JSON, positions JSON ('' = keep), ttl ms ('0' = none), '1' to append to the change stream,
// op, key, stream max length, then the epochs. Answers 1 when written, 0 when the version moved on
// (another writer was first), -1 when fenced.
const WRITE_SCRIPT = `${FENCE_CHECK.replace('FIRST', '9')}
local ver = redis.call('HGET', KEYS[1], 'ver') or '0'
if ARGV[1] ~= '' and ver ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'p', ARGV[3]) end
redis.call('HINCRBY', KEYS[1], 'ver', 1)
if ARGV[4] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) else redis.call('PERSIST', KEYS[1]) end
if ARGV[5] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'op', ARGV[6], 'k', ARGV[7], 'v', ARGV[2])
end
return 1
`;

// KEYS[1] entry, KEYS[2] change stream, KEYS[3…] epoch keys; ARGV: '1' to append, key, stream max
// length, then the epochs. Answers 1 if it existed, 0 if not, -1 when fenced.
const DELETE_SCRIPT = `${FENCE_CHECK.replace('FIRST', '4')}
local n = redis.call('DEL', KEYS[1])
if n == 1 and ARGV[1] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'op', 'delete', 'k', ARGV[2])
end
return n
`;

// KEYS: epoch keys; ARGV[1]: the assignment's token, ARGV[2]: its group generation ('' if unknown),
// ARGV[3]: '1' to refuse a claim older than the stored generation, ARGV[3 + i]: the token of this
// runtime's previous claim of KEYS[i] ('' if none). Bumps each epoch once per assignment (every
// cache node of the runtime on this store hears the same one), except when the last claim was this
// runtime's own (it keeps the partition: what it has in flight stays valid); answers the epochs,
// -1 for a key a newer generation claimed (this member was paused past its session: it is stale).
const CLAIM_SCRIPT = `
local gen = tonumber(ARGV[2])
local epochs = {}
for i = 1, #KEYS do
  local last = redis.call('HGET', KEYS[i], 't')
  local claimed = tonumber(redis.call('HGET', KEYS[i], 'g') or '')
  if last == ARGV[1] then
    epochs[i] = tonumber(redis.call('HGET', KEYS[i], 'e'))
  elseif gen and claimed and ARGV[3] == '1' and claimed > gen then
    epochs[i] = -1
  else
    if last and ARGV[3 + i] ~= '' and last == ARGV[3 + i] then
      epochs[i] = tonumber(redis.call('HGET', KEYS[i], 'e'))
    else
      epochs[i] = redis.call('HINCRBY', KEYS[i], 'e', 1)
    end
    redis.call('HSET', KEYS[i], 't', ARGV[1])
    if gen then redis.call('HSET', KEYS[i], 'g', gen) end
  end
end
return epochs
`;

/**
 * The group generation an assignment belongs to, for a claim: `check` refuses the claim of a
 * partition a newer generation claimed (false for a runtime's first claim of a group: a group
 * deleted and created again starts its generations over).
 */
export interface ClaimGeneration {
  readonly value: number;
  readonly check: boolean;
}

/** An epoch of a source partition a write is made under (see `claim`). */
export interface Fence {
  /** The epoch key (`epochKey`). */
  key: string;
  epoch: number;
}

// The scripts take a variable number of keys: the first argument is the number of keys.
type ScriptClient = Redis & {
  tributaryCacheWrite(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number>;
  tributaryCacheDelete(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number>;
  tributaryCacheClaim(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number[]>;
};

/** What `update` did: the keys refused by a fence (their messages were not applied). */
export interface UpdateResult {
  fenced: ReadonlySet<string>;
}

/** How often `size` counts keys again (a SCAN over the store's prefix). */
const SIZE_REFRESH_MS = 5_000;

export interface RedisCacheOptions {
  /** Append puts, updates and deletes to the store's change stream. */
  changes: boolean;
}

/** The name of a store's change stream (outside the store's key prefix, so `size` does not count it). */
export function changeStreamKey(store: string): string {
  return `tributary-changes:${store}`;
}

/** A parsed hash entry, with its version for compare-and-set. */
interface VersionedEntry extends StoredEntry {
  version: string;
}

export class RedisCacheStore {
  private readonly client: ScriptClient;
  private readonly prefix: string;
  private readonly stream: string;
  private sized: { at: number; count: number } | null = null;
  private sizing: Promise<number> | null = null;

  constructor(
    redis: Redis,
    readonly store: string,
    private readonly options: RedisCacheOptions,
  ) {
    redis.defineCommand('tributaryCacheWrite', { lua: WRITE_SCRIPT });
    redis.defineCommand('tributaryCacheDelete', { lua: DELETE_SCRIPT });
    redis.defineCommand('tributaryCacheClaim', { lua: CLAIM_SCRIPT });
    this.client = redis as ScriptClient;
    this.prefix = `${store}:`;
    this.stream = changeStreamKey(store);
  }

  /** Values of `keys` in one round trip (undefined: missing); a failed read is its Error. */
  async getMany(keys: readonly string[]): Promise<unknown[]> {
    if (keys.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.hget(this.prefix + key, 'v');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, json]): unknown =>
      error ? error : json === null ? undefined : (JSON.parse(json as string) as unknown),
    );
  }

  /** The key of a partition's epoch for this store (outside its prefix: `size` does not count it). */
  epochKey(group: string, stream: string): string {
    return `tributary-epoch:${this.store}:${group}:${stream}`;
  }

  /**
   * Claims a new epoch of each key for the assignment `token` (once per token; the same epoch when
   * `previous[i]`, this runtime's last token for the key, is still the last claim); answers them,
   * -1 where `generation` is older than the one that claimed the key last (see CLAIM_SCRIPT).
   */
  async claim(
    keys: readonly string[],
    token: string,
    previous: readonly (string | undefined)[],
    generation: ClaimGeneration | null = null,
  ): Promise<number[]> {
    if (keys.length === 0) return [];
    return this.client.tributaryCacheClaim(
      keys.length,
      ...keys,
      token,
      generation === null ? '' : String(generation.value),
      generation?.check === true ? '1' : '0',
      ...keys.map((_, i) => previous[i] ?? ''),
    );
  }

  async put(key: string, value: unknown, ttlMs?: number): Promise<void> {
    await this.client.tributaryCacheWrite(
      2,
      this.prefix + key,
      this.stream,
      '',
      JSON.stringify(value ?? null),
      '',
      String(ttlMs ?? 0),
      this.options.changes ? '1' : '0',
      'put',
      key,
      String(CHANGE_STREAM_MAX_LENGTH),
    );
    this.sized = null;
  }

  /** Deletes `key` unless a fence refuses it: 'fenced', else whether it existed. */
  async delete(key: string, fences: readonly Fence[] = []): Promise<boolean | 'fenced'> {
    const n = await this.client.tributaryCacheDelete(
      2 + fences.length,
      this.prefix + key,
      this.stream,
      ...fences.map((f) => f.key),
      this.options.changes ? '1' : '0',
      key,
      String(CHANGE_STREAM_MAX_LENGTH),
      ...fences.map((f) => String(f.epoch)),
    );
    this.sized = null;
    return n === -1 ? 'fenced' : n === 1;
  }

  private async readVersioned(keys: readonly string[]): Promise<(VersionedEntry | undefined)[]> {
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.hmget(this.prefix + key, 'v', 'p', 'ver');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, fields]) => {
      if (error) throw error;
      const [v, p, ver] = fields as (string | null)[];
      if (v === null || v === undefined) return undefined;
      return {
        value: JSON.parse(v) as unknown,
        applied: p ? (JSON.parse(p) as AppliedPositions) : undefined,
        version: ver ?? '0',
      };
    });
  }

  /**
   * Read-modify-write of each key, atomic per key whoever else writes the same Redis: reads the
   * entries with their versions, asks `plan` for the new entry (null: write nothing), and writes it
   * only if the version is unchanged; keys another writer changed meanwhile are read and planned
   * again. `plan` may therefore run more than once per key and must not have side effects beyond
   * what it returns. A key whose `fencesOf` a newer epoch refuses is left alone and reported.
   */
  async update(
    keys: readonly string[],
    plan: (key: string, current: StoredEntry | undefined) => StoredEntry | null,
    ttlMs?: number,
    fencesOf: (key: string) => readonly Fence[] = () => [],
  ): Promise<UpdateResult> {
    const fenced = new Set<string>();
    let pending = keys;
    while (pending.length > 0) {
      const current = await this.readVersioned(pending);
      const writes: Promise<number>[] = [];
      const written: string[] = [];
      for (let i = 0; i < pending.length; i++) {
        const key = pending[i]!;
        const entry = current[i];
        const next = plan(key, entry);
        if (next === null) continue;
        written.push(key);
        const fences = fencesOf(key);
        writes.push(
          this.client.tributaryCacheWrite(
            2 + fences.length,
            this.prefix + key,
            this.stream,
            ...fences.map((f) => f.key),
            entry?.version ?? '0',
            JSON.stringify(next.value ?? null),
            JSON.stringify(next.applied ?? {}),
            String(ttlMs ?? 0),
            this.options.changes ? '1' : '0',
            'update',
            key,
            String(CHANGE_STREAM_MAX_LENGTH),
            ...fences.map((f) => String(f.epoch)),
          ),
        );
      }
      const answers = await Promise.all(writes);
      for (let i = 0; i < written.length; i++) if (answers[i] === -1) fenced.add(written[i]!);
      pending = written.filter((_, i) => answers[i] === 0);
    }
    this.sized = null;
    return { fenced };
  }

  /** Keys under the store's prefix: counted by SCAN, at most every few seconds (approximate). */
  async size(): Promise<number> {
    const now = performance.now();
    if (this.sized !== null && now - this.sized.at < SIZE_REFRESH_MS) return this.sized.count;
    this.sizing ??= this.count().finally(() => {
      this.sizing = null;
    });
    // A count in progress is not waited for when an older one exists: stats must not slow messages.
    if (this.sized !== null) return this.sized.count;
    return this.sizing;
  }

  private async count(): Promise<number> {
    // SCAN's MATCH is not prefixed by ioredis: add the connection's own prefix.
    const literal = `${this.client.options.keyPrefix ?? ''}${this.prefix}`.replace(/[*?[\]\\]/g, '\\$&');
    const match = `${literal}*`;
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    this.sized = { at: performance.now(), count };
    return count;
  }
}
