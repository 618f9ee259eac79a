/**
 * cache-updates on both backends: the embedded store's in-process changes, and the change stream
 * of a real Redis (127.0.0.1:6379; fails, never skips, without it) read with a consumer group.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMessage, type FlowMessage } from '@tributary/shared';
import { runNode } from '../testing/index.js';
import { cacheNode } from '../cache/runtime.js';
import { changeStreamKey } from '../cache/redis-store.js';
import { cacheUpdatesNode } from './runtime.js';

const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const RUN = `cache-updates-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
let redis: Redis;
let dataDir: string;
let n = 0;
const stores: string[] = [];

beforeAll(async () => {
  redis = new Redis({ ...REDIS, lazyConnect: true });
  await redis.connect();
});
afterAll(async () => {
  for (const store of stores) {
    await redis.del(changeStreamKey(store));
    const keys = await redis.keys(`${store}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cache-updates-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const msg = (key: string, value: unknown): FlowMessage => createMessage({ key, value });
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const changes = (out: FlowMessage[] | undefined) => (out ?? []).map((m) => [m.headers.op, m.key, m.value]);

function store(): string {
  const name = `${RUN}-${n++}`;
  stores.push(name);
  return name;
}

/** Writes through cache nodes with publishChanges: a put, an update, a delete. */
async function writeChanges(config: Record<string, unknown>): Promise<void> {
  const options = { dataDir, connections: { redis: REDIS } };
  const base = { ...config, publishChanges: true };
  await runNode(cacheNode, { ...base, operation: 'put' }, { ...options, inputs: [msg('a', { x: 1 })] });
  await runNode(
    cacheNode,
    { ...base, operation: 'update', update: '{ ...old, y: 2 }' },
    { ...options, inputs: [msg('a', null)] },
  );
  await runNode(cacheNode, { ...base, operation: 'delete' }, { ...options, inputs: [msg('a', null)] });
}

describe('cache-updates', () => {
  it('embedded: emits the puts, updates and deletes of the store made while it runs', async () => {
    const reading = runNode(cacheUpdatesNode, { store: 'prices' }, { dataDir, until: { messages: 3 } });
    await delay(300);
    await writeChanges({ store: 'prices' });
    const result = await reading;
    expect(changes(result.outputs.out)).toEqual([
      ['put', 'a', { x: 1 }],
      ['update', 'a', { x: 1, y: 2 }],
      ['delete', 'a', null],
    ]);
  });

  it('redis: reads the change stream with a consumer group and acknowledges what the flow confirmed', async () => {
    const name = store();
    const config = { backend: 'redis', connection: 'redis', store: name, group: 'g' };
    const options = { dataDir, connections: { redis: REDIS } };
    const reading = runNode(cacheUpdatesNode, config, { ...options, until: { messages: 3 } });
    await delay(500);
    await writeChanges({ backend: 'redis', connection: 'redis', store: name });
    const result = await reading;
    expect(changes(result.outputs.out)).toEqual([
      ['put', 'a', { x: 1 }],
      ['update', 'a', { x: 1, y: 2 }],
      ['delete', 'a', null],
    ]);
    const pending = (await redis.xpending(changeStreamKey(name), 'g')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });

  it('redis: changes a reader took but never confirmed (it crashed) are claimed by another reader', async () => {
    const name = store();
    const options = { dataDir, connections: { redis: REDIS } };
    await writeChanges({ backend: 'redis', connection: 'redis', store: name });
    const config = {
      backend: 'redis',
      connection: 'redis',
      store: name,
      group: 'g',
      startFrom: 'all',
      claimAfterMs: 300,
    };
    // The first reader never confirms (as if it crashed): the three entries stay pending.
    const crashed = await runNode(cacheUpdatesNode, config, { ...options, until: { messages: 3 }, ack: 'none' });
    expect(crashed.outputs.out).toHaveLength(3);
    await delay(400);
    const second = await runNode(
      cacheUpdatesNode,
      { ...config, group: 'g' },
      { ...options, nodeId: 'other', until: { messages: 3 } },
    );
    expect(changes(second.outputs.out).map(([op]) => op)).toEqual(['put', 'update', 'delete']);
    expect(second.stats.claimed).toBe(3);
    const pending = (await redis.xpending(changeStreamKey(name), 'g')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });
});
