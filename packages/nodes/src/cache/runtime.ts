import {
  defineNode,
  type FlowMessage,
  type KeyValueStore,
  type NodeContext,
  type Output,
  type ProcessorInstance,
} from '@tributary/shared';
import { compileExpression, userCodeError } from '../lib/compile.js';
import { isLmdbStore } from '../lib/lmdb-store.js';
import { normalizeKey } from '../lib/message-like.js';
import { cacheManifest } from './manifest.js';
import type { ConfigOf } from '@tributary/shared';

type Config = ConfigOf<typeof cacheManifest>;
type KeyExpression = (
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

class CacheProcessor implements ProcessorInstance {
  readonly kind = 'processor';
  private readonly keyOf: KeyExpression | null;
  private readonly filename: string;
  private sizeReportedAt = performance.now();

  constructor(
    private readonly config: Config,
    private readonly ctx: NodeContext,
    private readonly store: KeyValueStore,
  ) {
    this.filename = `cache:${ctx.nodeId}`;
    this.keyOf =
      config.keyExpression === undefined
        ? null
        : (compileExpression(config.keyExpression, ['msg', 'key', 'value', 'headers'], {
            filename: this.filename,
            field: 'keyExpression',
          }) as KeyExpression);
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

  async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
    const keys = this.keys(batch, out);
    switch (this.config.operation) {
      case 'get':
      case 'enrich':
        return this.lookup(batch, keys, out);
      case 'put':
      case 'delete':
        return this.write(batch, keys, out);
    }
  }

  private async lookup(batch: readonly FlowMessage[], keys: (string | null)[], out: Output): Promise<void> {
    const store = this.store;
    let found: unknown[];
    if (isLmdbStore(store)) {
      // Embedded store: reads are synchronous memory-mapped lookups, no promise per message.
      found = keys.map((key) => (key === null ? undefined : store.getSync(key)));
    } else {
      found = await Promise.all(keys.map((key) => (key === null ? Promise.resolve(undefined) : store.get(key))));
    }
    const { operation, field, onMiss } = this.config;
    let hits = 0;
    let misses = 0;
    for (let i = 0; i < batch.length; i++) {
      if (keys[i] === null) continue;
      const msg = batch[i]!;
      const stored = found[i];
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
    // Other nodes may write the same store: refresh its size now and then (stats are read once a second).
    const now = performance.now();
    if (now - this.sizeReportedAt >= SIZE_REFRESH_MS) {
      this.sizeReportedAt = now;
      this.ctx.stats.set('size', await store.size());
    }
  }

  /** put/delete: resolves once every write is committed to disk; only then do messages go on. */
  private async write(batch: readonly FlowMessage[], keys: (string | null)[], out: Output): Promise<void> {
    const { operation, ttlMs } = this.config;
    const store = this.store;
    const writes = keys.map((key, i) =>
      key === null
        ? Promise.resolve()
        : operation === 'put'
          ? store.put(key, batch[i]!.value, ttlMs)
          : store.delete(key).then(() => undefined),
    );
    const results = await Promise.allSettled(writes);
    for (let i = 0; i < batch.length; i++) {
      if (keys[i] === null) continue;
      const result = results[i]!;
      if (result.status === 'fulfilled') {
        out.push(batch[i]!);
      } else {
        const reason = result.reason as Error;
        out.error(
          new CacheError(`cannot ${operation} key "${keys[i]}": ${reason.message}`, 'E_CACHE_WRITE'),
          batch[i]!,
        );
      }
    }
    this.ctx.stats.set('size', await store.size());
  }
}

/**
 * The `cache` node, on the flow's embedded store (`ctx.openStore`, LMDB in the data folder).
 *
 * @example
 * // config: { operation: 'enrich', store: 'customers', keyExpression: 'value.customerId', field: 'customer' }
 */
export const cacheNode = defineNode(cacheManifest, async (config, ctx) => {
  const store = ctx.openStore(config.store);
  ctx.stats.set('size', await store.size());
  ctx.stats.add('hits', 0);
  ctx.stats.add('misses', 0);
  return new CacheProcessor(config, ctx, store);
});
