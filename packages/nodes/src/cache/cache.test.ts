import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMessage, type FlowMessage } from '@tributary/shared';
import { runNode } from '../testing/index.js';
import { cacheNode } from './runtime.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cache-node-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const msg = (key: string | null, value: unknown): FlowMessage => createMessage({ key, value });

describe('cache node', () => {
  it('put stores values durably; get finds them in a later run (store closed and reopened)', async () => {
    const put = await runNode(
      cacheNode,
      { operation: 'put' },
      { dataDir, inputs: [msg('u1', { name: 'Ada' }), msg('u2', 'Bob')] },
    );
    // put passes its input on once stored.
    expect(put.outputs.out!.map((m) => m.key)).toEqual(['u1', 'u2']);
    expect(put.stats.size).toBe(2);

    const get = await runNode(
      cacheNode,
      { operation: 'get' },
      { dataDir, inputs: [msg('u1', 'ignored'), msg('nobody', 'x'), msg('u2', null)] },
    );
    expect(get.outputs.out!.map((m) => [m.key, m.value])).toEqual([
      ['u1', { name: 'Ada' }],
      ['u2', 'Bob'],
    ]);
    expect(get.outputs.miss!.map((m) => [m.key, m.value])).toEqual([['nobody', 'x']]);
    expect(get.stats).toMatchObject({ hits: 2, misses: 1, size: 2 });
  });

  it('enrich merges the stored value into the message under the field', async () => {
    await runNode(
      cacheNode,
      { operation: 'put', store: 'customers' },
      { dataDir, inputs: [msg('c1', { tier: 'gold' })] },
    );
    const order = createMessage({ key: 'o1', value: { customerId: 'c1', total: 5 }, headers: { h: '1' } });
    const unknown = createMessage({ key: 'o2', value: { customerId: 'c9', total: 1 } });
    const result = await runNode(
      cacheNode,
      { operation: 'enrich', store: 'customers', keyExpression: 'value.customerId', field: 'customer' },
      { dataDir, inputs: [order, unknown] },
    );
    expect(result.outputs.out).toEqual([
      { ...order, value: { customerId: 'c1', total: 5, customer: { tier: 'gold' } } },
    ]);
    expect(result.outputs.miss).toEqual([unknown]);
  });

  it('with onMiss pass, misses go on with null', async () => {
    const result = await runNode(
      cacheNode,
      { operation: 'enrich', onMiss: 'pass' },
      { dataDir, inputs: [msg('none', { a: 1 })] },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual([{ a: 1, cached: null }]);
    expect(result.outputs.miss).toBeUndefined();
    const get = await runNode(cacheNode, { operation: 'get', onMiss: 'pass' }, { dataDir, inputs: [msg('none', 1)] });
    expect(get.outputs.out!.map((m) => m.value)).toEqual([null]);
  });

  it('stores are separate by name', async () => {
    await runNode(cacheNode, { operation: 'put', store: 'a' }, { dataDir, inputs: [msg('k', 1)] });
    const other = await runNode(cacheNode, { operation: 'get', store: 'b' }, { dataDir, inputs: [msg('k', 0)] });
    expect(other.outputs.miss).toHaveLength(1);
  });

  it('delete removes keys', async () => {
    await runNode(cacheNode, { operation: 'put' }, { dataDir, inputs: [msg('a', 1), msg('b', 2)] });
    const del = await runNode(cacheNode, { operation: 'delete' }, { dataDir, inputs: [msg('a', null)] });
    expect(del.outputs.out).toHaveLength(1);
    expect(del.stats.size).toBe(1);
    const get = await runNode(cacheNode, { operation: 'get' }, { dataDir, inputs: [msg('a', 0), msg('b', 0)] });
    expect(get.outputs.out!.map((m) => m.value)).toEqual([2]);
    expect(get.outputs.miss!.map((m) => m.key)).toEqual(['a']);
  });

  it('expired values read as misses', async () => {
    await runNode(cacheNode, { operation: 'put', ttlMs: 1 }, { dataDir, inputs: [msg('short', 1)] });
    await runNode(cacheNode, { operation: 'put' }, { dataDir, inputs: [msg('long', 2)] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const get = await runNode(cacheNode, { operation: 'get' }, { dataDir, inputs: [msg('short', 0), msg('long', 0)] });
    expect(get.outputs.out!.map((m) => m.value)).toEqual([2]);
    expect(get.outputs.miss!.map((m) => m.key)).toEqual(['short']);
  });

  it('sends messages without a key, or with a non-object value to enrich, to the error port', async () => {
    const result = await runNode(
      cacheNode,
      { operation: 'enrich', onMiss: 'pass' },
      { dataDir, inputs: [msg(null, {}), msg('k', 5)] },
    );
    expect(result.errors.map((e) => e.code)).toEqual(['E_NO_KEY', 'E_NOT_AN_OBJECT']);
    expect(result.errors[0]!.text).toMatch(/the message has no key/);
    expect(result.outputs.out).toBeUndefined();
  });

  it('requires an operation', async () => {
    await expect(runNode(cacheNode, {}, { dataDir })).rejects.toThrow(
      /\/operation: required: one of get, enrich, put, delete/,
    );
  });
});
