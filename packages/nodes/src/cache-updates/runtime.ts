import { hostname } from 'node:os';
import { defineNode, type FlowMessage, type SourceContext } from '@tributary/shared';
import type { Redis } from 'ioredis';
import { NodeConfigError } from '../lib/compile.js';
import { onChange, type StoreChange } from '../lib/change-bus.js';
import { isLmdbStore } from '../lib/lmdb-store.js';
import { batchSizeFor } from '../lib/source-helpers.js';
import { connectRedis, redisConnectionOf } from '../connections/redis-client.js';
import { changeStreamKey } from '../cache/redis-store.js';
import { cacheUpdatesManifest } from './manifest.js';

/** How long one XREADGROUP blocks: also how soon a stop is noticed. */
const BLOCK_MS = 1000;

type StreamEntry = [id: string, fields: string[]];

function messageOf(store: string, change: StoreChange, id?: string): FlowMessage {
  return {
    key: change.key,
    value: change.value ?? null,
    headers: { op: change.op },
    timestamp: Date.now(),
    meta: id === undefined ? { store, op: change.op } : { store, op: change.op, id },
  };
}

/** A stream entry's fields (`op`, `k`, `v`) as a change. */
function changeOf(fields: string[]): StoreChange {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const v = map.get('v');
  return {
    op: (map.get('op') ?? 'put') as StoreChange['op'],
    key: map.get('k') ?? '',
    value: v === undefined ? null : (JSON.parse(v) as unknown),
  };
}

/**
 * The `cache-updates` source: the changes of a cache store. On Redis a consumer group on the
 * store's change stream (XREADGROUP, XACK once confirmed, XAUTOCLAIM for stale entries); embedded:
 * the in-process change bus of the flow's LMDB store.
 *
 * @example
 * // config: { backend: 'redis', connection: 'redis', store: 'prices' }
 */
export const cacheUpdatesNode = defineNode(cacheUpdatesManifest, async (config, ctx) => {
  if (config.backend === 'embedded') {
    const store = ctx.openStore(config.store);
    if (!isLmdbStore(store)) throw new Error("cache-updates needs the flow's embedded store");
    return {
      kind: 'source',
      async run(source: SourceContext) {
        const limit = batchSizeFor(config.batchSize, source);
        let queued: StoreChange[] = [];
        let wake: (() => void) | null = null;
        const stop = onChange(store.path, (change) => {
          queued.push(change);
          wake?.();
        });
        const onAbort = () => wake?.();
        source.signal.addEventListener('abort', onAbort, { once: true });
        try {
          while (!source.signal.aborted) {
            if (queued.length === 0) {
              await new Promise<void>((resolve) => (wake = resolve));
              wake = null;
              continue;
            }
            const batch = queued.slice(0, limit);
            queued = queued.slice(batch.length);
            const wait = source.emit(batch.map((c) => messageOf(config.store, c)));
            if (wait) await wait;
          }
        } finally {
          stop();
          source.signal.removeEventListener('abort', onAbort);
        }
      },
    };
  }
  if (config.connection === undefined)
    throw new NodeConfigError(
      'connection: required for the redis backend (a Redis connection of the flow)',
      'connection',
    );
  const connection = redisConnectionOf(ctx, config.connection);
  // Two connections: XREADGROUP blocks its connection; acknowledgements must not wait behind it.
  const reader: Redis = await connectRedis(connection, ctx);
  const control: Redis = await connectRedis(connection, ctx).catch((error: unknown) => {
    reader.disconnect();
    throw error;
  });
  const stream = changeStreamKey(config.store);
  const group = config.group ?? `tributary:${ctx.flowId}:${ctx.nodeId}`;
  const consumer = `${hostname()}:${process.pid}:${ctx.nodeId}`;
  try {
    await control.xgroup('CREATE', stream, group, config.startFrom === 'all' ? '0' : '$', 'MKSTREAM');
  } catch (error) {
    if (!(error as Error).message.startsWith('BUSYGROUP')) {
      reader.disconnect();
      control.disconnect();
      throw error;
    }
  }
  return {
    kind: 'source',
    async run(source: SourceContext) {
      const limit = batchSizeFor(config.batchSize, source);
      const signal = source.signal;
      let acking = Promise.resolve();
      const emit = async (entries: StreamEntry[]) => {
        if (entries.length === 0) return;
        const ids = entries.map(([id]) => id);
        const wait = source.emit(
          entries.map(([id, fields]) => messageOf(config.store, changeOf(fields), id)),
          (ok) => {
            // Not confirmed: left pending, claimed again after claimAfterMs (here or by another runtime).
            if (!ok) return;
            acking = acking
              .then(() => control.xack(stream, group, ...ids))
              .then(() => source.stats.add('acked', ids.length))
              .catch((error: Error) =>
                source.log.warn(`XACK failed (the entries will be read again): ${error.message}`),
              );
          },
        );
        if (wait) await wait;
      };
      let claimedAt = 0;
      let failures = 0;
      while (!signal.aborted) {
        try {
          // Entries another reader took and never confirmed (it crashed): claim them.
          if (performance.now() - claimedAt >= config.claimAfterMs / 2) {
            claimedAt = performance.now();
            let cursor = '0-0';
            do {
              const [next, claimed] = (await control.xautoclaim(
                stream,
                group,
                consumer,
                config.claimAfterMs,
                cursor,
                'COUNT',
                limit,
              )) as [string, StreamEntry[], ...unknown[]];
              cursor = next;
              const live = claimed.filter((entry) => Array.isArray(entry?.[1]));
              if (live.length > 0) source.stats.add('claimed', live.length);
              await emit(live);
            } while (cursor !== '0-0' && !signal.aborted);
          }
          const answer = (await reader.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            limit,
            'BLOCK',
            BLOCK_MS,
            'STREAMS',
            stream,
            '>',
          )) as [string, StreamEntry[]][] | null;
          failures = 0;
          if (answer !== null) for (const [, entries] of answer) await emit(entries);
        } catch (error) {
          if (signal.aborted) break;
          if (failures++ === 0) source.log.warn(`reading ${stream}: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, Math.min(200 * failures, 5000)));
        }
      }
      await acking;
    },
    async close() {
      await Promise.all([
        reader.quit().catch(() => reader.disconnect()),
        control.quit().catch(() => control.disconnect()),
      ]);
    },
  };
});
