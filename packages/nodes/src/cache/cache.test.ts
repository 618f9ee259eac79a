/**
 * One behaviour suite for both cache backends: the embedded LMDB store and a real Redis
 * (127.0.0.1:6379, or REDIS_HOST/REDIS_PORT; these tests fail, never skip, without one). Redis runs
 * use a store name unique to the run, and remove their keys afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMessage, type FlowMessage } from '@tributary/shared';
import { runNode } from '../testing/index.js';
import { openLmdbStore } from '../lib/lmdb-store.js';
import { lmdbBackend, redisBackend, type CacheBackend } from './backend.js';
import { cacheNode } from './runtime.js';
import { changeStreamKey, RedisCacheStore } from './redis-store.js';

const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const RUN = `cache-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

let redis: Redis;
beforeAll(async () => {
  redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  // Every key this run wrote starts with RUN (stores and change streams).
  for (const pattern of [`${RUN}*`, `tributary-changes:${RUN}*`, `tributary-epoch:${RUN}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
  await redis.quit();
});

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cache-node-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const msg = (key: string | null, value: unknown): FlowMessage => createMessage({ key, value });
const kafkaMsg = (key: string, value: unknown, partition: number, offset: number): FlowMessage =>
  createMessage({ key, value, meta: { topic: 'in', partition, offset: String(offset) } });

type Backend = 'embedded' | 'redis';
let testNumber = 0;

/** A config for `backend`; on Redis the store name is made unique to this test. */
function configFor(backend: Backend, store: string, config: Record<string, unknown>) {
  return backend === 'embedded'
    ? { ...config, store }
    : { ...config, backend: 'redis', connection: 'redis', store: `${RUN}-${testNumber}-${store}` };
}

describe.each<Backend>(['embedded', 'redis'])('cache node (%s)', (backend) => {
  beforeEach(() => {
    testNumber++;
  });
  const run = (config: Record<string, unknown>, inputs: FlowMessage[] | FlowMessage[][] = []) => {
    const { store = 'cache', ...rest } = config;
    return runNode(cacheNode, configFor(backend, store as string, rest), {
      dataDir,
      inputs,
      connections: { redis: REDIS },
    });
  };

  it('put stores values durably; get finds them in a later run (store closed and reopened)', async () => {
    const put = await run({ operation: 'put' }, [msg('u1', { name: 'Ada' }), msg('u2', 'Bob')]);
    // put passes its input on once stored.
    expect(put.outputs.out!.map((m) => m.key)).toEqual(['u1', 'u2']);

    const get = await run({ operation: 'get' }, [msg('u1', 'ignored'), msg('nobody', 'x'), msg('u2', null)]);
    expect(get.outputs.out!.map((m) => [m.key, m.value])).toEqual([
      ['u1', { name: 'Ada' }],
      ['u2', 'Bob'],
    ]);
    expect(get.outputs.miss!.map((m) => [m.key, m.value])).toEqual([['nobody', 'x']]);
    expect(get.stats).toMatchObject({ hits: 2, misses: 1, size: 2 });
  });

  it('enrich merges the stored value into the message under the field', async () => {
    await run({ operation: 'put', store: 'customers' }, [msg('c1', { tier: 'gold' })]);
    const order = createMessage({ key: 'o1', value: { customerId: 'c1', total: 5 }, headers: { h: '1' } });
    const unknown = createMessage({ key: 'o2', value: { customerId: 'c9', total: 1 } });
    const result = await run(
      { operation: 'enrich', store: 'customers', keyExpression: 'value.customerId', field: 'customer' },
      [order, unknown],
    );
    expect(result.outputs.out).toEqual([
      { ...order, value: { customerId: 'c1', total: 5, customer: { tier: 'gold' } } },
    ]);
    expect(result.outputs.miss).toEqual([unknown]);
  });

  it('with onMiss pass, misses go on with null', async () => {
    const result = await run({ operation: 'enrich', onMiss: 'pass' }, [msg('none', { a: 1 })]);
    expect(result.outputs.out!.map((m) => m.value)).toEqual([{ a: 1, cached: null }]);
    expect(result.outputs.miss).toBeUndefined();
    const get = await run({ operation: 'get', onMiss: 'pass' }, [msg('none', 1)]);
    expect(get.outputs.out!.map((m) => m.value)).toEqual([null]);
  });

  it('stores are separate by name', async () => {
    await run({ operation: 'put', store: 'a' }, [msg('k', 1)]);
    const other = await run({ operation: 'get', store: 'b' }, [msg('k', 0)]);
    expect(other.outputs.miss).toHaveLength(1);
  });

  it('delete removes keys', async () => {
    await run({ operation: 'put' }, [msg('a', 1), msg('b', 2)]);
    const del = await run({ operation: 'delete' }, [msg('a', null)]);
    expect(del.outputs.out).toHaveLength(1);
    expect(del.stats.size).toBe(1);
    const get = await run({ operation: 'get' }, [msg('a', 0), msg('b', 0)]);
    expect(get.outputs.out!.map((m) => m.value)).toEqual([2]);
    expect(get.outputs.miss!.map((m) => m.key)).toEqual(['a']);
  });

  it('expired values read as misses', async () => {
    await run({ operation: 'put', ttlMs: 1 }, [msg('short', 1)]);
    await run({ operation: 'put' }, [msg('long', 2)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const get = await run({ operation: 'get' }, [msg('short', 0), msg('long', 0)]);
    expect(get.outputs.out!.map((m) => m.value)).toEqual([2]);
    expect(get.outputs.miss!.map((m) => m.key)).toEqual(['short']);
  });

  it('sends messages without a key, or with a non-object value to enrich, to the error port', async () => {
    const result = await run({ operation: 'enrich', onMiss: 'pass' }, [msg(null, {}), msg('k', 5)]);
    expect(result.errors.map((e) => e.code)).toEqual(['E_NO_KEY', 'E_NOT_AN_OBJECT']);
    expect(result.errors[0]!.text).toMatch(/the message has no key/);
    expect(result.outputs.out).toBeUndefined();
  });

  it('update computes new values from old ones, in order within a batch, and emits them', async () => {
    const counter = { operation: 'update', update: '(old ?? 0) + value' };
    const first = await run(counter, [msg('a', 1), msg('b', 10), msg('a', 2), msg('a', 3)]);
    expect(first.outputs.out!.map((m) => [m.key, m.value])).toEqual([
      ['a', 1],
      ['b', 10],
      ['a', 3],
      ['a', 6],
    ]);
    await run(counter, [msg('b', 5)]);
    const get = await run({ operation: 'get' }, [msg('a', 0), msg('b', 0)]);
    expect(get.outputs.out!.map((m) => m.value)).toEqual([6, 15]);
  });

  it('update skips redeliveries: a source position at or below the last applied one is not applied again', async () => {
    const counter = { operation: 'update', update: '{ n: (old?.n ?? 0) + 1 }' };
    await run(counter, [kafkaMsg('k', {}, 0, 10), kafkaMsg('k', {}, 0, 11), kafkaMsg('k', {}, 1, 5)]);
    // After a crash the source replays from an older offset: 10 and 11 (partition 0) and 5 (partition 1)
    // were applied, 12 is new; messages without a position always apply.
    const again = await run(counter, [
      kafkaMsg('k', {}, 0, 10),
      kafkaMsg('k', {}, 0, 11),
      kafkaMsg('k', {}, 1, 5),
      kafkaMsg('k', {}, 0, 12),
      msg('k', {}),
    ]);
    expect(again.outputs.out!.map((m) => m.value)).toEqual([{ n: 3 }, { n: 3 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    expect(again.stats.skipped).toBe(3);
  });

  it('update sends a message whose expression throws or gives undefined to the error port; the rest apply', async () => {
    const result = await run(
      { operation: 'update', update: 'value.bad ? value.x.y : value.undef ? undefined : (old ?? 0) + 1' },
      [msg('k', {}), msg('k', { bad: true }), msg('k', { undef: true }), msg('k', {})],
    );
    expect(result.errors.map((e) => e.code)).toEqual(['E_EXPRESSION_THREW', 'E_UPDATE_UNDEFINED']);
    expect(result.outputs.out!.map((m) => m.value)).toEqual([1, 2]);
  });

  it('put with source positions refuses a stale write (an older offset of the same partition: a fenced-off runtime)', async () => {
    // The new owner of partition 0 wrote offset 20; the runtime that lost the partition still
    // writes offset 15 of it: refused. Other partitions and newer offsets go through.
    await run({ operation: 'put' }, [kafkaMsg('k', 'from offset 20', 0, 20)]);
    const stale = await run({ operation: 'put' }, [kafkaMsg('k', 'stale, offset 15', 0, 15)]);
    expect(stale.stats.skipped).toBe(1);
    expect(stale.outputs.out!.map((m) => m.value)).toEqual(['stale, offset 15']);
    let get = await run({ operation: 'get' }, [msg('k', null)]);
    expect(get.outputs.out!.map((m) => m.value)).toEqual(['from offset 20']);
    await run({ operation: 'put' }, [kafkaMsg('k', 'offset 21', 0, 21), kafkaMsg('j', 'other key', 0, 3)]);
    get = await run({ operation: 'get' }, [msg('k', null), msg('j', null)]);
    expect(get.outputs.out!.map((m) => m.value)).toEqual(['offset 21', 'other key']);
  });

  it('update needs an expression', async () => {
    await expect(run({ operation: 'update' })).rejects.toThrow(/update: required for the update operation/);
  });

  it('requires an operation', async () => {
    await expect(run({})).rejects.toThrow(/\/operation: required: one of get, enrich, put, update, delete/);
  });
});

describe.each<Backend>(['embedded', 'redis'])('cache fencing by partition epoch (%s)', (backend) => {
  const open = (store: string): CacheBackend =>
    backend === 'embedded'
      ? lmdbBackend(openLmdbStore(join(dataDir, 'stores'), store), false)
      : redisBackend(new RedisCacheStore(redis, `${RUN}-${store}`, { changes: false }));
  const value = (v: unknown) => () => ({ value: v, applied: undefined });

  it('refuses updates and deletes under an older epoch of their partition; an epoch is claimed once per assignment', async () => {
    const b = open(`fence-${testNumber++}`);
    // Member A is assigned in-0; a second cache node of A hears the same assignment (same token).
    const [a] = await b.claim('group', ['in/0'], 'assignment-1', [], null);
    expect(await b.claim('group', ['in/0'], 'assignment-1', [], null)).toEqual([a]);
    expect((await b.update(['k'], value('by A'), undefined, () => [a!])).fenced).toEqual(new Set());
    // A rebalance gives in-0 to member B: A still has messages of it in flight.
    const [byB] = await b.claim('group', ['in/0'], 'assignment-2', [], null);
    expect(byB!.epoch).toBeGreaterThan(a!.epoch);
    expect((await b.update(['k', 'j'], value('stale'), undefined, () => [a!])).fenced).toEqual(new Set(['k', 'j']));
    expect(await b.delete('k', [a!])).toBe('fenced');
    expect(await b.lookup(['k', 'j'])).toEqual(['by A', undefined]);
    // B writes; writes without a fence (no partition) are not fenced; another group has its own epochs.
    expect((await b.update(['k'], value('by B'), undefined, () => [byB!])).fenced).toEqual(new Set());
    const [otherGroup] = await b.claim('other', ['in/0'], 'assignment-3', [], null);
    expect(otherGroup!.epoch).toBe(1);
    // B keeps in-0 in the next rebalance: same epoch (what B has in flight stays valid); A, whose
    // last claim was overtaken, gets a newer one when it is assigned in-0 again.
    expect(await b.claim('group', ['in/0'], 'assignment-4', ['assignment-2'], null)).toEqual([byB]);
    const [again] = await b.claim('group', ['in/0'], 'assignment-5', ['assignment-1'], null);
    expect(again!.epoch).toBeGreaterThan(byB!.epoch);
    expect(await b.lookup(['k'])).toEqual(['by B']);
    expect(await b.delete('k', [byB!])).toBe('fenced');
    expect(await b.delete('k', [again!])).toBe(true);
    expect(await b.delete('k', [])).toBe(false);
  });

  it('refuses the claim of an assignment older than the generation that claimed the partition (a member paused past its session)', async () => {
    const b = open(`fence-${testNumber++}`);
    const gen = (value: number, check = true) => ({ value, check });
    // Generation 2: A gets in-0 and in-1. A is frozen; generation 3 gives both to B, which claims them.
    const [a0] = await b.claim('group', ['in/0', 'in/1'], 'a-2', [], gen(2));
    const [b0, b1] = await b.claim('group', ['in/0', 'in/1'], 'b-3', [], gen(3));
    expect(b0!.epoch).toBeGreaterThan(a0!.epoch);
    // A wakes and claims for its generation-2 assignment only now: refused, B's epochs stand.
    expect(await b.claim('group', ['in/0', 'in/1'], 'a-2-late', ['a-2', 'a-2'], gen(2))).toEqual([null, null]);
    expect((await b.update(['k'], value('by B'), undefined, () => [b0!])).fenced).toEqual(new Set());
    // A rejoins: generation 4 gives it in-1 back (a new epoch); B keeps in-0 (the same epoch).
    const [a1] = await b.claim('group', ['in/1'], 'a-4', ['a-2'], gen(4));
    expect(a1!.epoch).toBeGreaterThan(b1!.epoch);
    expect(await b.claim('group', ['in/0'], 'b-4', ['b-3'], gen(4))).toEqual([b0]);
    // A runtime's first claim of a group is not checked: a group created again starts over at 1.
    expect(await b.claim('group', ['in/0'], 'c-1', [], gen(1, false))).toEqual([
      expect.objectContaining({ epoch: b0!.epoch + 1 }),
    ]);
    expect(await b.claim('group', ['in/0'], 'd-2', [], gen(2))).toEqual([
      expect.objectContaining({ epoch: b0!.epoch + 2 }),
    ]);
  });
});

describe('cache node on Redis', () => {
  it('a write the store fails is not confirmed (read again), never sent to the error port', async () => {
    // A real Redis error: the entry's key holds a string, so the scripts' hash commands fail (WRONGTYPE).
    const store = `${RUN}-write-error`;
    await redis.set(`${store}:broken`, 'not a hash');
    const config = { backend: 'redis', connection: 'redis', store };
    const update = await runNode(
      cacheNode,
      { ...config, operation: 'update', update: '(old ?? 0) + 1' },
      { dataDir, inputs: [[kafkaMsg('broken', 1, 0, 0)], [kafkaMsg('fine', 1, 0, 1)]], connections: { redis: REDIS } },
    );
    // An error port would confirm the message: the source would commit past an update never applied.
    expect(update.errors).toEqual([]);
    expect(update.inputAcks).toEqual([false, true]);
    expect(update.stats.writeErrors).toBe(1);
    expect(update.logs.some((l) => l.level === 'warn' && l.message.includes('failed (read again)'))).toBe(true);
    expect(await redis.hget(`${store}:fine`, 'v')).toBe('1');

    const put = await runNode(
      cacheNode,
      { ...config, operation: 'put' },
      { dataDir, inputs: [[msg('broken', 'x')], [msg('ok', 'y')]], connections: { redis: REDIS } },
    );
    expect(put.errors).toEqual([]);
    expect(put.inputAcks).toEqual([false, true]);
    expect(await redis.hget(`${store}:ok`, 'v')).toBe('"y"');
  });

  it('update is atomic per key across writers: concurrent increments of the same keys are all counted', async () => {
    const store = `${RUN}-atomic`;
    const config = { operation: 'update', backend: 'redis', connection: 'redis', store, update: '(old ?? 0) + 1' };
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    // Four writers, each with its own Redis client, each adding 1 to every key 10 times, all at once.
    const writer = () =>
      runNode(cacheNode, config, {
        dataDir,
        connections: { redis: REDIS },
        inputs: Array.from({ length: 10 }, () => keys.map((k) => msg(k, null))),
      });
    await Promise.all([writer(), writer(), writer(), writer()]);
    const values = await redis.hmget(`${store}:k0`, 'v');
    expect(values).toEqual(['40']);
    const all = await Promise.all(keys.map((k) => redis.hget(`${store}:${k}`, 'v')));
    expect(new Set(all)).toEqual(new Set(['40']));
  });

  it('publishes puts, updates and deletes to the change stream in the same script as the value', async () => {
    const store = `${RUN}-changes`;
    const base = { backend: 'redis', connection: 'redis', store, publishChanges: true };
    const options = { dataDir, connections: { redis: REDIS } };
    await runNode(cacheNode, { ...base, operation: 'put' }, { ...options, inputs: [msg('a', { x: 1 })] });
    await runNode(
      cacheNode,
      { ...base, operation: 'update', update: '{ ...old, y: 2 }' },
      { ...options, inputs: [msg('a', null)] },
    );
    await runNode(
      cacheNode,
      { ...base, operation: 'delete' },
      { ...options, inputs: [msg('a', null), msg('never', null)] },
    );
    const entries = await redis.xrange(changeStreamKey(store), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['op', 'put', 'k', 'a', 'v', '{"x":1}'],
      ['op', 'update', 'k', 'a', 'v', '{"x":1,"y":2}'],
      ['op', 'delete', 'k', 'a'],
    ]);
  });

  it('fails to start, naming the server, when Redis cannot be reached', async () => {
    await expect(
      runNode(
        cacheNode,
        { operation: 'get', backend: 'redis', connection: 'redis' },
        {
          dataDir,
          connections: { redis: { host: '127.0.0.1', port: 1, connectTimeoutMs: 2000 } },
        },
      ),
    ).rejects.toThrow(/Redis at 127\.0\.0\.1:1\/0/);
  });

  it('needs a connection for the redis backend', async () => {
    await expect(runNode(cacheNode, { operation: 'get', backend: 'redis' }, { dataDir })).rejects.toThrow(
      /connection: required for the redis backend/,
    );
  });
});
