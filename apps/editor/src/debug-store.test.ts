import { describe, expect, it } from 'vitest';
import { createDebugStore, visibleDebug, type DebugFilter } from './debug-store.js';

const line = (i: number, nodeId = 'dbg', data: unknown = { debug: { value: { n: i } } }) => ({
  flowId: 'f',
  at: i,
  level: 'debug' as const,
  nodeId,
  message: String(i),
  data,
});

describe('debug store', () => {
  it('keeps debug messages of the open flow, newest first, bounded', () => {
    const store = createDebugStore(3);
    store.getState().reset('f');
    for (let i = 1; i <= 5; i++) store.getState().add(line(i));
    expect(store.getState().entries.map((e) => e.payload)).toEqual([
      { value: { n: 5 } },
      { value: { n: 4 } },
      { value: { n: 3 } },
    ]);
    expect(store.getState().received).toBe(5);
  });

  it('ignores ordinary log lines and other flows', () => {
    const store = createDebugStore();
    store.getState().reset('f');
    store.getState().add(line(1, 'log-1', null));
    store.getState().add({ ...line(2), flowId: 'other' });
    expect(store.getState().entries).toEqual([]);
  });
});

describe('debug filter and pause', () => {
  const entries = () => {
    const store = createDebugStore();
    store.getState().reset('f');
    store.getState().add(line(1, 'a'));
    store.getState().add(line(2, 'b'));
    store.getState().add(line(3, 'c'));
    return store;
  };

  it('lists every debug node, the selected ones, or the picked ones', () => {
    const list = entries().getState().entries;
    const ids = (filter: DebugFilter, selected: string[] = []) =>
      visibleDebug(list, filter, new Set(selected)).map((e) => e.nodeId);
    expect(ids({ mode: 'all' })).toEqual(['c', 'b', 'a']);
    expect(ids({ mode: 'selected' }, ['b'])).toEqual(['b']);
    expect(ids({ mode: 'selected' })).toEqual([]);
    expect(ids({ mode: 'pick', picked: ['a', 'c'] })).toEqual(['c', 'a']);
  });

  it('while paused counts what arrives without listing it', () => {
    const store = entries();
    store.getState().setPaused(true);
    store.getState().add(line(4, 'a'));
    expect(store.getState().entries).toHaveLength(3);
    expect(store.getState()).toMatchObject({ received: 4, missed: 1 });
    store.getState().setPaused(false);
    expect(store.getState().missed).toBe(0);
    store.getState().clear();
    expect(store.getState()).toMatchObject({ entries: [], received: 0 });
  });
});
