import {
  backoffDelay,
  defineNode,
  sleep,
  type FlowMessage,
  type NodeContext,
  type Output,
  type ProcessorInstance,
} from '@tributary/shared';
import type { Redis } from 'ioredis';
import { compileExpression, NodeConfigError, userCodeError } from '../lib/compile.js';
import { isLmdbStore } from '../lib/lmdb-store.js';
import { normalizeKey } from '../lib/message-like.js';
import { listenToAssignments } from '../lib/positions.js';
import { alreadyApplied, positionOf, recordPosition } from '../lib/source-positions.js';
import { connectRedis, redisConnectionOf } from '../connections/redis-client.js';
import { lmdbBackend, redisBackend, type CacheBackend, type ClaimGeneration, type Fence } from './backend.js';
import { cacheManifest } from './manifest.js';
import { RedisCacheStore } from './redis-store.js';
import type { ConfigOf } from '@tributary/shared';

type Config = ConfigOf<typeof cacheManifest>;
type KeyExpression = (
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
) => unknown;
type UpdateExpression = (
  old: unknown,
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
) => unknown;

class CacheError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CacheError';
  }
}

const MISS_PORT = 'miss';
const SIZE_REFRESH_MS = 1000;

/** A put as an update: the new value is the message's, whatever was stored. */
const PUT: UpdateExpression = (_old, _msg, _key, value) => value;

/** What an update did to one message: the value it leaves, whether it was a redelivery, or why it failed. */
type UpdateOutcome = { value: unknown; skipped: boolean } | { error: Error };

const NO_FENCES: readonly Fence[] = [];
/** Attempts of a claim before it fails the source. */
const CLAIM_ATTEMPTS = 5;
/** Assignments whose epochs a cache node remembers. */
const KEPT_ASSIGNMENTS = 8;

class CacheProcessor implements ProcessorInstance {
  readonly kind = 'processor';
  private readonly keyOf: KeyExpression | null;
  private readonly updateOf: UpdateExpression | null;
  private readonly filename: string;
  private sizeReportedAt = performance.now();
  /** This node changed the store's size: report it after this batch. */
  private sizeChanged = false;
  /**
   * The epoch claimed for each partition by each assignment (`<token>|<topic>/<partition>`); a
   * message writes under the epoch of the assignment it was read in (its `meta.assignment`).
   */
  private readonly epochs = new Map<string, Fence>();
  /** The token of this runtime's last claim of each partition (`<group>:<topic>/<partition>`). */
  private readonly lastToken = new Map<string, string>();
  /** Consumer groups this node has claimed epochs of (its later claims are checked by generation). */
  private readonly claimedGroups = new Set<string>();
  /** The assignments heard, oldest first (only the last few are kept). */
  private readonly tokens: string[] = [];
  private readonly unlisten: () => void;
  /** `<token>|<stream>`: a write of it was refused by a newer epoch; every later one is refused here. */
  private readonly fencedStreams = new Set<string>();
  /**
   * `<token>|<stream>|<rewinds>`: a write of what the source read in this run failed; every later
   * message of the run fails here too, until the source reads the partition again (a new run) from
   * at or below the failed one. Applying a later one first would leave a gap the key's recorded
   * position then skips for ever.
   */
  private readonly failedRuns = new Set<string>();
  /** Some message of the batch being processed failed: the batch is not confirmed. */
  private failing = false;
  /** `<token>|<stream>|<rewinds>|<why>` already logged: one warning per read and reason, the rest counted. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly ctx: NodeContext,
    private readonly backend: CacheBackend,
    private readonly onClose: () => Promise<void>,
  ) {
    this.filename = `cache:${ctx.nodeId}`;
    // Writers fence by partition epoch: every assignment of the flow's kafka-sources claims new
    // epochs (before its partitions are read), so a member that lost a partition is refused.
    this.unlisten =
      config.operation === 'get' || config.operation === 'enrich'
        ? () => undefined
        : listenToAssignments(ctx, {
            assigned: async (group, partitions, token, generation) => {
              const streams = partitions.map((p) => `${p.topic}/${p.partition}`);
              const previous = streams.map((stream) => this.lastToken.get(`${group}:${stream}`));
              // A runtime's first claim of a group is not checked against the stored generation:
              // the group may have been deleted and created again (its generations start over).
              const checked = this.claimedGroups.has(group);
              const fences = await this.claim(
                group,
                streams,
                token,
                previous,
                generation === null ? null : { value: generation, check: checked },
              );
              this.claimedGroups.add(group);
              const stale = streams.filter((_, i) => fences[i] === null);
              for (let i = 0; i < streams.length; i++) {
                const fence = fences[i];
                // A stale claim sets nothing: what is read under it is refused (see `refusal`).
                if (fence === null || fence === undefined) continue;
                this.lastToken.set(`${group}:${streams[i]!}`, token);
                this.epochs.set(`${token}|${streams[i]!}`, fence);
              }
              this.tokens.push(token);
              if (stale.length > 0)
                ctx.log.warn(
                  `partition(s) ${stale.join(', ')} of group ${group}: claimed by a newer generation than this assignment's (${generation}); this member was paused past its session and writes nothing of them until it rejoins`,
                );
              // Messages read several assignments ago are long gone: forget their epochs.
              while (this.tokens.length > KEPT_ASSIGNMENTS) {
                const old = this.tokens.shift()!;
                for (const set of [this.epochs, this.fencedStreams, this.failedRuns, this.logged])
                  for (const key of set.keys()) if (key.startsWith(`${old}|`)) set.delete(key);
              }
              ctx.log.info(
                `partition epochs of group ${group}${generation === null ? '' : ` (generation ${generation})`}: ${streams.map((stream, i) => `${stream} ${fences[i]?.epoch ?? 'stale'}${previous[i] === undefined ? '' : ' (had it)'}`).join(', ')}`,
              );
            },
          });
    this.keyOf =
      config.keyExpression === undefined
        ? null
        : (compileExpression(config.keyExpression, ['msg', 'key', 'value', 'headers'], {
            filename: this.filename,
            field: 'keyExpression',
          }) as KeyExpression);
    this.updateOf =
      config.update === undefined
        ? null
        : (compileExpression(config.update, ['old', 'msg', 'key', 'value', 'headers'], {
            filename: this.filename,
            field: 'update',
          }) as UpdateExpression);
  }

  /** The key of each message; null (with the message sent to the error port) where there is none. */
  private keys(batch: readonly FlowMessage[], out: Output): (string | null)[] {
    const keys = new Array<string | null>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const msg = batch[i]!;
      try {
        const key =
          this.keyOf === null ? msg.key : normalizeKey(this.keyOf(msg, msg.key, msg.value, msg.headers) ?? null);
        if (key === null) {
          throw new CacheError(
            this.keyOf === null
              ? 'the message has no key (set a key upstream, or a Key expression)'
              : 'the key expression gave no key (null or undefined)',
            'E_NO_KEY',
          );
        }
        keys[i] = key;
      } catch (error) {
        keys[i] = null;
        out.error(userCodeError(error, this.filename, 'E_EXPRESSION_THREW'), msg);
      }
    }
    return keys;
  }

  /**
   * Claims the epochs of an assignment; a failed claim (Redis briefly away, a command timed out)
   * is tried again a few times before it fails the source (and with it the flow).
   */
  private async claim(
    group: string,
    streams: readonly string[],
    token: string,
    previous: readonly (string | undefined)[],
    generation: ClaimGeneration | null,
  ): Promise<(Fence | null)[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.backend.claim(group, streams, token, previous, generation);
      } catch (error) {
        if (attempt >= CLAIM_ATTEMPTS - 1 || this.ctx.signal.aborted) throw error;
        this.ctx.log.warn(`claiming partition epochs failed, trying again: ${(error as Error).message}`);
        if (!(await sleep(backoffDelay(attempt, { initialMs: 200, maxMs: 2000 }), this.ctx.signal))) throw error;
      }
    }
  }

  /** The fence a message writes under: its partition's epoch in the assignment it was read in. */
  private fenceOf(msg: FlowMessage): Fence | undefined {
    const token = msg.meta.assignment;
    if (typeof token !== 'string') return undefined;
    const position = positionOf(msg);
    return position === null ? undefined : this.epochs.get(`${token}|${position.stream}`);
  }

  /** Where a message was read, for fencing: its partition and the assignment and run it was read in. */
  private readOf(msg: FlowMessage): { stream: string; token: string; run: string } | null {
    const token = msg.meta.assignment;
    const position = positionOf(msg);
    if (typeof token !== 'string' || position === null) return null;
    const rewinds = msg.meta.rewinds;
    return { stream: position.stream, token, run: typeof rewinds === 'number' ? String(rewinds) : '0' };
  }

  /**
   * Why a message must not be written (it fails), or null: its partition's epoch was refused since
   * it was read, an earlier message of its run failed, or it was read under an assignment this node
   * never heard of or has forgotten (it is that old: its partition has been reassigned since).
   */
  private refusal(msg: FlowMessage): 'fenced' | 'after a failure' | null {
    const read = this.readOf(msg);
    if (read === null) return null;
    const stream = `${read.token}|${read.stream}`;
    if (this.fencedStreams.has(stream) || !this.epochs.has(stream)) return 'fenced';
    if (this.failedRuns.has(`${stream}|${read.run}`)) return 'after a failure';
    return null;
  }

  /**
   * Messages whose write failed or was refused: not confirmed (the batch is failed, so the source
   * commits nothing of it and reads it again), never sent to the error port — that would confirm
   * them, and the commit would pass a message that was not applied. Every later message of their
   * run is refused from now on (see `failedRuns`).
   */
  private fail(messages: readonly FlowMessage[], why: 'fenced' | 'after a failure' | 'error', detail?: string): void {
    if (messages.length === 0) return;
    this.failing = true;
    const streams = new Set<string>();
    let news = false;
    for (const msg of messages) {
      const read = this.readOf(msg);
      if (read === null) {
        news = true;
        continue;
      }
      streams.add(read.stream);
      const run = `${read.token}|${read.stream}|${read.run}`;
      this.failedRuns.add(run);
      const told = `${run}|${why}`;
      if (!this.logged.has(told)) {
        this.logged.add(told);
        news = true;
      }
    }
    const where = streams.size === 0 ? '' : ` of partition(s) ${[...streams].join(', ')}`;
    const stat = why === 'fenced' ? 'fenced' : why === 'error' ? 'writeErrors' : 'refused';
    this.ctx.stats.add(stat, messages.length);
    // Errors are always told; refusals once per read (a stale queue drains in many batches).
    if (!news && why !== 'error') return;
    if (why === 'fenced') {
      this.ctx.log.warn(
        `${messages.length} write(s)${where} refused: the partition(s) were assigned to another member since they were read`,
      );
    } else if (why === 'error') {
      this.ctx.log.warn(`${messages.length} write(s)${where} failed (read again): ${detail ?? 'store error'}`);
    } else {
      this.ctx.log.warn(`${messages.length} write(s)${where} refused: an earlier message of the same read failed`);
    }
  }

  /** Marks the streams of messages whose write a newer epoch refused: later writes of them are refused here. */
  private fenced(messages: readonly FlowMessage[]): void {
    const reads = messages.map((msg) => this.readOf(msg));
    const streams = new Set(reads.map((r) => (r === null ? '' : `${r.token}|${r.stream}`)));
    // Several partitions in one refused write: which one is stale is unknown, so only their runs fail.
    if (streams.size === 1 && !streams.has('')) this.fencedStreams.add([...streams][0]!);
    this.fail(messages, 'fenced');
  }

  /** Writers: the messages that may not be written fail now; their keys become null (nothing written). */
  private gate(batch: readonly FlowMessage[], keys: (string | null)[]): void {
    const refused: Record<'fenced' | 'after a failure', FlowMessage[]> = { fenced: [], 'after a failure': [] };
    for (let i = 0; i < batch.length; i++) {
      if (keys[i] === null) continue;
      const why = this.refusal(batch[i]!);
      if (why === null) continue;
      refused[why].push(batch[i]!);
      keys[i] = null;
    }
    this.fail(refused.fenced, 'fenced');
    this.fail(refused['after a failure'], 'after a failure');
  }

  async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
    const keys = this.keys(batch, out);
    this.failing = false;
    try {
      await this.apply(batch, keys, out);
    } finally {
      if (this.failing) this.ctx.release([out.hold()], false);
      this.failing = false;
    }
    // Other nodes (and runtimes) may write the same store: refresh its size now and then.
    const now = performance.now();
    if (this.sizeChanged || now - this.sizeReportedAt >= SIZE_REFRESH_MS) {
      this.sizeReportedAt = now;
      this.sizeChanged = false;
      // Only a statistic: a store that does not answer must not fail the batch (it was written).
      const size = await this.backend.size().catch(() => null);
      if (size !== null) this.ctx.stats.set('size', size);
    }
  }

  private async apply(batch: readonly FlowMessage[], keys: (string | null)[], out: Output): Promise<void> {
    if (this.config.operation !== 'get' && this.config.operation !== 'enrich') this.gate(batch, keys);
    switch (this.config.operation) {
      case 'get':
      case 'enrich':
        await this.lookup(batch, keys, out);
        break;
      case 'put':
        // Puts from a source with positions (Kafka) are position-guarded: a stale or redelivered
        // put (an offset at or below the key's last applied one for that partition: a runtime that
        // lost the partition in a rebalance, a replay after a crash) is refused.
        if (batch.some((msg) => positionOf(msg) !== null)) await this.update(batch, keys, out, PUT);
        else await this.write(batch, keys, out);
        break;
      case 'delete':
        await this.write(batch, keys, out);
        break;
      case 'update':
        await this.update(batch, keys, out);
        break;
    }
  }

  private async lookup(batch: readonly FlowMessage[], keys: (string | null)[], out: Output): Promise<void> {
    const wanted = keys.filter((key): key is string => key !== null);
    const values = await this.backend.lookup(wanted);
    const { operation, field, onMiss } = this.config;
    let hits = 0;
    let misses = 0;
    let next = 0;
    for (let i = 0; i < batch.length; i++) {
      if (keys[i] === null) continue;
      const msg = batch[i]!;
      const stored = values[next++];
      if (stored instanceof Error) {
        out.error(new CacheError(`cannot read key "${keys[i]}": ${stored.message}`, 'E_CACHE_READ'), msg);
        continue;
      }
      const hit = stored !== undefined;
      if (hit) hits++;
      else misses++;
      if (!hit && onMiss === 'miss') {
        out.push(msg, MISS_PORT);
        continue;
      }
      const result = hit ? stored : null;
      if (operation === 'get') {
        out.push({ key: msg.key, value: result, headers: msg.headers, timestamp: msg.timestamp, meta: msg.meta });
        continue;
      }
      const value = msg.value;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.error(
          new CacheError(
            `enrich needs an object value to add "${field}" to, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
            'E_NOT_AN_OBJECT',
          ),
          msg,
        );
        continue;
      }
      out.push({
        key: msg.key,
        value: { ...(value as Record<string, unknown>), [field]: result },
        headers: msg.headers,
        timestamp: msg.timestamp,
        meta: msg.meta,
      });
    }
    if (hits > 0) this.ctx.stats.add('hits', hits);
    if (misses > 0) this.ctx.stats.add('misses', misses);
  }

  /** put/delete: resolves once every write is committed; only then do messages go on. */
  private async write(batch: readonly FlowMessage[], keys: (string | null)[], out: Output): Promise<void> {
    const { operation, ttlMs } = this.config;
    const backend = this.backend;
    const writes = keys.map((key, i): Promise<unknown> => {
      if (key === null) return Promise.resolve();
      if (operation === 'put') return backend.put(key, batch[i]!.value, ttlMs);
      const fence = this.fenceOf(batch[i]!);
      return backend.delete(key, fence === undefined ? NO_FENCES : [fence]);
    });
    const results = await Promise.allSettled(writes);
    const fenced: FlowMessage[] = [];
    const failed: FlowMessage[] = [];
    let reason = '';
    for (let i = 0; i < batch.length; i++) {
      if (keys[i] === null) continue;
      const result = results[i]!;
      if (result.status === 'fulfilled') {
        if (result.value === 'fenced') fenced.push(batch[i]!);
        else out.push(batch[i]!);
      } else {
        reason = `cannot ${operation} key "${keys[i]}": ${(result.reason as Error).message}`;
        failed.push(batch[i]!);
      }
    }
    this.fenced(fenced);
    this.fail(failed, 'error', reason);
    this.sizeChanged = true;
  }

  /**
   * update: the messages of each key apply in batch order, inside one atomic read-modify-write
   * of that key; a message whose source position the value already records is a redelivery and
   * is skipped.
   */
  private async update(
    batch: readonly FlowMessage[],
    keys: (string | null)[],
    out: Output,
    updateOf: UpdateExpression = this.updateOf!,
  ): Promise<void> {
    const isPut = updateOf === PUT;
    const byKey = new Map<string, number[]>();
    for (let i = 0; i < batch.length; i++) {
      const key = keys[i];
      if (key === null || key === undefined) continue;
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    }
    const outcomes = new Array<UpdateOutcome | undefined>(batch.length);
    const fencesOf = (key: string): readonly Fence[] => {
      if (this.epochs.size === 0) return NO_FENCES;
      const fences = new Set<Fence>();
      for (const i of byKey.get(key)!) {
        const fence = this.fenceOf(batch[i]!);
        if (fence !== undefined) fences.add(fence);
      }
      return [...fences];
    };
    let fencedKeys: ReadonlySet<string>;
    try {
      ({ fenced: fencedKeys } = await this.backend.update(
        [...byKey.keys()],
        (key, current) => {
          let value = current?.value;
          let applied = current?.applied;
          let changed = false;
          for (const i of byKey.get(key)!) {
            const msg = batch[i]!;
            const position = positionOf(msg);
            if (alreadyApplied(applied, position)) {
              outcomes[i] = { value: value ?? null, skipped: true };
              continue;
            }
            let next: unknown;
            try {
              next = updateOf(value ?? null, msg, msg.key, msg.value, msg.headers);
              if (next === undefined)
                throw new CacheError('the update expression gave undefined', 'E_UPDATE_UNDEFINED');
              if (next instanceof Promise)
                throw new CacheError('the update expression must not be async (it gave a promise)', 'E_UPDATE_ASYNC');
            } catch (error) {
              outcomes[i] = { error: userCodeError(error, this.filename, 'E_EXPRESSION_THREW') };
              continue;
            }
            value = next;
            applied = recordPosition(applied, position);
            changed = true;
            outcomes[i] = { value, skipped: false };
          }
          return changed ? { value, applied } : null;
        },
        this.config.ttlMs,
        fencesOf,
      ));
    } catch (error) {
      // The store failed (away, a timeout): some keys may be written, others not. The whole batch
      // fails and is read again; what was written is then skipped by its recorded position.
      this.fail(
        [...byKey.values()].flatMap((indexes) => indexes.map((i) => batch[i]!)),
        'error',
        (error as Error).message,
      );
      return;
    }
    let skipped = 0;
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      if (outcome === undefined || fencedKeys.has(keys[i]!)) continue;
      const msg = batch[i]!;
      if ('error' in outcome) {
        out.error(outcome.error, msg);
        continue;
      }
      if (outcome.skipped) skipped++;
      if (isPut) {
        out.push(msg);
        continue;
      }
      out.push({ key: msg.key, value: outcome.value, headers: msg.headers, timestamp: msg.timestamp, meta: msg.meta });
    }
    if (skipped > 0) this.ctx.stats.add('skipped', skipped);
    // Per key: a refused key's messages share one write (several partitions only behind a node that batches).
    for (const key of fencedKeys) this.fenced(byKey.get(key)!.map((i) => batch[i]!));
    this.sizeChanged = true;
  }

  close(): Promise<void> {
    this.unlisten();
    return this.onClose();
  }
}

/**
 * The `cache` node: on the flow's embedded store (`ctx.openStore`, LMDB in the data folder), or on
 * a Redis connection.
 *
 * @example
 * // config: { operation: 'enrich', store: 'customers', keyExpression: 'value.customerId', field: 'customer' }
 * // config: { operation: 'update', backend: 'redis', connection: 'redis', update: '(old ?? 0) + 1' }
 */
export const cacheNode = defineNode(cacheManifest, async (config, ctx) => {
  if (config.operation === 'update' && config.update === undefined)
    throw new NodeConfigError('update: required for the update operation (e.g. (old ?? 0) + 1)', 'update');
  let backend: CacheBackend;
  let close = () => Promise.resolve();
  if (config.backend === 'redis') {
    if (config.connection === undefined)
      throw new NodeConfigError(
        'connection: required for the redis backend (a Redis connection of the flow)',
        'connection',
      );
    const redis: Redis = await connectRedis(redisConnectionOf(ctx, config.connection), ctx);
    backend = redisBackend(new RedisCacheStore(redis, config.store, { changes: config.publishChanges }));
    close = async () => {
      await redis.quit().catch(() => redis.disconnect());
    };
  } else {
    const store = ctx.openStore(config.store);
    if (!isLmdbStore(store)) throw new Error("the embedded cache needs the flow's LMDB store");
    backend = lmdbBackend(store, config.publishChanges);
  }
  const processor = new CacheProcessor(config, ctx, backend, close);
  ctx.stats.set('size', await backend.size());
  ctx.stats.add('hits', 0);
  ctx.stats.add('misses', 0);
  if (config.operation === 'update') ctx.stats.add('skipped', 0);
  if (config.operation !== 'get' && config.operation !== 'enrich') {
    ctx.stats.add('fenced', 0);
    ctx.stats.add('writeErrors', 0);
    ctx.stats.add('refused', 0);
  }
  return processor;
});
