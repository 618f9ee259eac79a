import { describe, expect, it } from 'vitest';
import { fillColour, rateWidth, useStats } from './stats-store.js';

describe('stats store', () => {
  it('ignores snapshots of another flow', () => {
    useStats.getState().reset('a');
    const snapshot = {
      flowId: 'b',
      at: 1,
      uptimeMs: 1,
      nodes: {},
      edges: { e: { total: 1, rate1s: 1, queueFill: 0 } },
    };
    useStats.getState().apply(snapshot);
    expect(useStats.getState().edges).toEqual({});
    useStats.getState().apply({ ...snapshot, flowId: 'a' });
    expect(useStats.getState().edges.e?.total).toBe(1);
  });

  it('a stopped or failed flow shows no figures, and late snapshots do not bring them back', () => {
    useStats.getState().reset('a');
    useStats.getState().setStatus('running');
    const snapshot = {
      flowId: 'a',
      at: 1,
      uptimeMs: 1,
      nodes: {},
      edges: { e: { total: 1, rate1s: 4, queueFill: 0 } },
    };
    useStats.getState().apply(snapshot);
    expect(useStats.getState().edges.e?.rate1s).toBe(4);
    useStats.getState().setStatus('failed', 'node "f" hangs', 'f');
    expect(useStats.getState().edges).toEqual({});
    expect(useStats.getState().failedNode).toEqual({ id: 'f', reason: 'node "f" hangs' });
    useStats.getState().apply(snapshot);
    expect(useStats.getState().edges).toEqual({});
    // A new run clears the blame.
    useStats.getState().setStatus('running');
    expect(useStats.getState().failedNode).toBeUndefined();
  });

  it('maps queue fill to green, amber, red and rate to a growing width', () => {
    expect(fillColour(0)).toBe('hsl(130 75% 45%)');
    expect(fillColour(0.5)).toBe('hsl(40 75% 45%)');
    expect(fillColour(1)).toBe('hsl(0 75% 45%)');
    expect(rateWidth(0)).toBe(1.5);
    expect(rateWidth(1000)).toBeGreaterThan(rateWidth(10));
    expect(rateWidth(1e12)).toBe(7);
  });
});
