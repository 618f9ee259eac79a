import { describe, expect, it } from 'vitest';
import type { FlowStatsSnapshot } from '@tributary/shared';
import { StatsHistory } from './stats-history.js';

const snapshot = (flowId: string, at: number): FlowStatsSnapshot => ({ flowId, at, uptimeMs: 0, nodes: {}, edges: {} });

describe('StatsHistory', () => {
  it('keeps at least the last 15 minutes of 1 s snapshots per flow, oldest first', () => {
    const history = new StatsHistory(16, 1000);
    const start = 1_000_000;
    for (let s = 0; s < 30 * 60; s++) history.push(snapshot('a', start + s * 1000));
    history.push(snapshot('b', start));
    const end = start + (30 * 60 - 1) * 1000;
    const last15 = history.since('a', end - 15 * 60_000);
    expect(last15).toHaveLength(15 * 60);
    expect(last15[0]!.at).toBe(end - 15 * 60_000 + 1000);
    expect(last15.at(-1)!.at).toBe(end);
    expect(history.since('a').length).toBe(16 * 60); // bounded: older ones are gone
    expect(history.since('b')).toHaveLength(1);
    expect(history.latest('a')!.at).toBe(end);
    history.delete('a');
    expect(history.since('a')).toEqual([]);
  });
});
