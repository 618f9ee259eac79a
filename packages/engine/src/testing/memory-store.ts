import type { KeyValueStore } from '@tributary/shared';

/** An in-memory store for engine tests (the runtime uses LMDB; engine tests need no files). */
export function memoryStore(): KeyValueStore & { close(): void } {
  const map = new Map<string, unknown>();
  return {
    get: (key) => Promise.resolve(map.get(key)),
    put: (key, value) => {
      map.set(key, value);
      return Promise.resolve();
    },
    delete: (key) => Promise.resolve(map.delete(key)),
    size: () => Promise.resolve(map.size),
    close: () => map.clear(),
  };
}
