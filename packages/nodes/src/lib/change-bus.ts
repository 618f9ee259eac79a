/**
 * Node-only: the in-process change stream of embedded stores. A `cache` node with *Publish
 * changes* announces every write of a store here, after it committed; `cache-updates` sources of
 * the same flow (same worker thread) listen. Changes made while no source listens are not kept:
 * the embedded store is one process, and its listeners start with the flow.
 */
export interface StoreChange {
  op: 'put' | 'update' | 'delete';
  key: string;
  value?: unknown;
}

type Listener = (change: StoreChange) => void;
const listeners = new Map<string, Set<Listener>>();

/** Announces a committed change of the store at `path` (the LMDB file). */
export function publishChange(path: string, change: StoreChange): void {
  const set = listeners.get(path);
  if (set) for (const listener of set) listener(change);
}

/** Listens to the changes of the store at `path`; returns the function that stops listening. */
export function onChange(path: string, listener: Listener): () => void {
  let set = listeners.get(path);
  if (!set) listeners.set(path, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) listeners.delete(path);
  };
}
