import { describe, expect, it } from 'vitest';
import type { FlowStatsSnapshot } from '@tributary/shared';
import { DashboardFeed, publishSnapshot } from './dashboard-feed.js';

const snap = (second: number, flowId = 'f'): FlowStatsSnapshot => ({
  flowId,
  at: second * 1000,
  uptimeMs: second * 1000,
  nodes: {
    src: {
      state: 'running',
      in: second * 10,
      out: second * 10,
      errors: 0,
      dropped: 0,
      rate1s: 10,
      rate1m: 10,
      latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 },
      queues: {},
      custom: {},
    },
  },
  edges: {},
});

const roles = { sources: new Set(['src']), sinks: new Set<string>() };

/** A history fetch the test answers when it wants. */
function deferred() {
  let resolve!: (snapshots: FlowStatsSnapshot[]) => void;
  const calls: string[] = [];
  const fetch = (flowId: string) => {
    calls.push(flowId);
    return new Promise<FlowStatsSnapshot[]>((r) => (resolve = r));
  };
  return { fetch, calls, answer: (s: FlowStatsSnapshot[]) => resolve(s) };
}

describe('DashboardFeed', () => {
  it('starts from the history, then appends live ticks that came meanwhile, each once', async () => {
    const history = deferred();
    const feed = new DashboardFeed('f', roles, history.fetch);
    let notified = 0;
    const stop = feed.subscribe(() => notified++);
    expect(feed.loading).toBe(true);
    publishSnapshot(snap(5));
    publishSnapshot(snap(6));
    publishSnapshot(snap(6, 'other-flow'));
    expect(feed.flow.length).toBe(0);
    history.answer([snap(3), snap(4), snap(5)]);
    await Promise.resolve();
    expect(feed.loading).toBe(false);
    expect(feed.flow.t).toEqual([3, 4, 5, 6]);
    publishSnapshot(snap(7));
    expect(feed.flow.t).toEqual([3, 4, 5, 6, 7]);
    expect(feed.flow.latest('in')).toBe(10);
    expect(notified).toBeGreaterThan(0);
    stop();
    // Nobody listens: live ticks are not taken in any more.
    publishSnapshot(snap(8));
    expect(feed.flow.t).toEqual([3, 4, 5, 6, 7]);
  });

  it('a picked node gets its own buffer from a fresh history', async () => {
    const history = deferred();
    const feed = new DashboardFeed('f', roles, history.fetch);
    const stop = feed.subscribe(() => undefined);
    history.answer([snap(1), snap(2)]);
    await Promise.resolve();
    feed.setNode('src');
    expect(history.calls).toHaveLength(2);
    history.answer([snap(1), snap(2), snap(3)]);
    await Promise.resolve();
    expect(feed.node?.t).toEqual([1, 2, 3]);
    expect(feed.node?.scope).toEqual({ kind: 'node', nodeId: 'src' });
    stop();
  });

  it('without history (the request failed) the charts fill from live ticks and say why', async () => {
    const feed = new DashboardFeed('f', roles, () => Promise.reject(new Error('HTTP 500')));
    const stop = feed.subscribe(() => undefined);
    await Promise.resolve();
    await Promise.resolve();
    expect(feed.error).toContain('HTTP 500');
    publishSnapshot(snap(1));
    expect(feed.flow.length).toBe(1);
    stop();
  });
});
