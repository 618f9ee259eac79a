import { describe, expect, it } from 'vitest';
import type { EdgeTapEvent } from '@tributary/shared';
import { createTapStore } from './tap-store.js';

const sample = (n: number, patch: Partial<EdgeTapEvent> = {}): EdgeTapEvent => ({
  flowId: 'f',
  edgeId: 'e',
  at: n,
  message: { key: `k${n}`, value: { n }, headers: {}, timestamp: n },
  skipped: 2,
  ...patch,
});

describe('tap store', () => {
  it('lists samples of the tapped edge newest first, capped, with the skipped counts', () => {
    const store = createTapStore(3);
    store.getState().starting('f', 'e');
    store.getState().started();
    for (let n = 1; n <= 5; n++) store.getState().receive(sample(n));
    store.getState().receive(sample(9, { edgeId: 'other' }));
    const s = store.getState();
    expect(s.status).toBe('on');
    expect(s.messages.map((m) => m.key)).toEqual(['k5', 'k4', 'k3']);
    expect(s.received).toBe(5);
    expect(s.skipped).toBe(10);
  });

  it('paused: samples are counted, not listed; clear empties the list', () => {
    const store = createTapStore();
    store.getState().starting('f', 'e');
    store.getState().receive(sample(1));
    store.getState().setPaused(true);
    store.getState().receive(sample(2));
    expect(store.getState().messages).toHaveLength(1);
    expect(store.getState().missed).toBe(1);
    store.getState().setPaused(false);
    store.getState().receive(sample(3));
    expect(store.getState().messages.map((m) => m.key)).toEqual(['k3', 'k1']);
    store.getState().clear();
    expect(store.getState().messages).toEqual([]);
    expect(store.getState().received).toBe(0);
  });

  it('ignores samples once stopped or refused, and starts another edge empty', () => {
    const store = createTapStore();
    store.getState().starting('f', 'e');
    store.getState().receive(sample(1));
    store.getState().stopped();
    store.getState().receive(sample(2));
    expect(store.getState().messages).toHaveLength(1);
    store.getState().starting('f', 'e2');
    expect(store.getState().messages).toEqual([]);
    store.getState().failed('E_EDGE_NOT_FOUND: no such edge');
    store.getState().receive(sample(3, { edgeId: 'e2' }));
    expect(store.getState()).toMatchObject({ status: 'error', messages: [] });
  });
});
