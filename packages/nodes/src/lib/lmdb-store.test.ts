import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLmdbStore, storeFileName } from './lmdb-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lmdb-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openLmdbStore', () => {
  it('keeps values across close and reopen', async () => {
    const store = openLmdbStore(dir, 'function:node-1');
    await store.put('a', { nested: [1, 'two', null], when: new Date(5) });
    await store.put('b', 10n);
    expect(await store.size()).toBe(2);
    await store.close();
    await store.close(); // idempotent

    const again = openLmdbStore(dir, 'function:node-1');
    expect(await again.get('a')).toEqual({ nested: [1, 'two', null], when: new Date(5) });
    expect(await again.get('b')).toBe(10n);
    expect(await again.get('missing')).toBeUndefined();
    expect(await again.delete('a')).toBe(true);
    expect(await again.delete('a')).toBe(false);
    expect(await again.size()).toBe(1);
    await again.close();
  });

  it('expires entries after their TTL and purges them', async () => {
    const store = openLmdbStore(dir, 'ttl');
    await store.put('short', 1, 1);
    await store.put('keep', 2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.get('short')).toBeUndefined();
    expect(store.hasSync('short')).toBe(false);
    expect(store.getSync('keep')).toBe(2);
    await store.purgeExpired();
    expect(await store.size()).toBe(1);
    await store.close();
  });

  it('refuses use after close and bad TTLs', async () => {
    const store = openLmdbStore(dir, 's');
    await expect(store.put('k', 1, -5)).rejects.toThrow(/ttlMs must be a positive number/);
    await store.close();
    await expect(store.get('k')).rejects.toThrow(/store "s" is closed/);
  });

  it('turns any name into one safe file name in the folder', () => {
    expect(storeFileName('function:orders')).toBe('function%3Aorders.mdb');
    expect(storeFileName('../../etc/passwd')).toBe('%2E.%2F..%2Fetc%2Fpasswd.mdb');
    expect(storeFileName('naïve')).toBe('na%C3%AFve.mdb');
    expect(() => storeFileName('')).toThrow();
    const store = openLmdbStore(dir, '../escape');
    void store.close();
    expect(readdirSync(dir).some((f) => f.startsWith('%2E.%2Fescape.mdb'))).toBe(true);
  });
});
