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

  it('maps queue fill to green, amber, red and rate to a growing width', () => {
    expect(fillColour(0)).toBe('hsl(130 75% 45%)');
    expect(fillColour(0.5)).toBe('hsl(40 75% 45%)');
    expect(fillColour(1)).toBe('hsl(0 75% 45%)');
    expect(rateWidth(0)).toBe(1.5);
    expect(rateWidth(1000)).toBeGreaterThan(rateWidth(10));
    expect(rateWidth(1e12)).toBe(7);
  });
});
