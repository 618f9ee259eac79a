import { describe, expect, it } from 'vitest';
import { createDebugStore } from './debug-store.js';

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
