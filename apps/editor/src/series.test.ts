import { describe, expect, it } from 'vitest';
import type { FlowStatsSnapshot, NodeStats } from '@tributary/shared';
import { flowRoles, pointOf, SeriesBuffer, type Roles } from './series.js';

function node(patch: Partial<NodeStats> = {}): NodeStats {
  return {
    state: 'running',
    in: 0,
    out: 0,
    errors: 0,
    dropped: 0,
    rate1s: 0,
    rate1m: 0,
    latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 },
    queues: {},
    custom: {},
    ...patch,
  };
}

function snap(at: number, nodes: Record<string, NodeStats>, uptimeMs = at): FlowStatsSnapshot {
  return { flowId: 'f', at, uptimeMs, nodes, edges: {} };
}

/** src → fn → sink, counting `n` messages per second through each, fn failing `e` per second. */
function tick(second: number, n = 10, e = 1): FlowStatsSnapshot {
  const total = second * n;
  return snap(second * 1000, {
    src: node({
      in: total,
      out: total,
      custom: { lag: { 'orders-0': 5, 'orders-1': 7 }, lagSeconds: { 'orders-0': 0.5, 'orders-1': 2 } },
    }),
    fn: node({
      in: total,
      out: total - second * e,
      errors: second * e,
      latencyMs: { p50: 1, p95: 2, p99: 3, max: 4 },
      queues: { in: { size: 5, capacity: 10, fill: 0.5 } },
    }),
    sink: node({ in: total - second * e, latencyMs: { p50: 2, p95: 4, p99: 9, max: 12 } }),
  });
}

const roles: Roles = { sources: new Set(['src']), sinks: new Set(['sink']) };

describe('flowRoles', () => {
  it('takes kinds from the catalog and places unknown types by the graph', () => {
    const kinds: Record<string, 'source' | 'handler' | 'sink'> = { sequence: 'source', fn: 'handler', log: 'sink' };
    const r = flowRoles(
      [
        { id: 'a', type: 'sequence' },
        { id: 'b', type: 'fn' },
        { id: 'c', type: 'log' },
        { id: 'x', type: 'mystery' },
      ],
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'b', target: 'x' },
      ],
      (t) => kinds[t],
    );
    expect([...r.sources]).toEqual(['a']);
    expect([...r.sinks].sort()).toEqual(['c', 'x']);
  });
});

describe('pointOf', () => {
  it('a node: in and out rates from counter deltas, latency, input queue fill', () => {
    const p = pointOf({ kind: 'node', nodeId: 'fn' }, tick(1), tick(3), roles)!;
    expect(p.in).toBe(10);
    expect(p.out).toBe(9);
    expect(p.errors).toBe(1);
    expect(p.dropped).toBe(0);
    expect([p.p50, p.p95, p.p99]).toEqual([1, 2, 3]);
    expect(p.queue).toBe(50);
    expect(p.lag).toBeNull();
  });

  it('the flow: in from sources, out into sinks, errors summed, latency of the slowest sink, lag summed', () => {
    const p = pointOf({ kind: 'flow' }, tick(1), tick(2), roles)!;
    expect(p.in).toBe(10);
    expect(p.out).toBe(9);
    expect(p.errors).toBe(1);
    expect(p.p99).toBe(9);
    expect(p.queue).toBe(50);
    // Two partitions behind by 5 and 7; the worst partition is 2 s behind.
    expect(p.lag).toBe(12);
    expect(p.lagSeconds).toBe(2);
  });

  it('no rates for the first snapshot, across a restart, or for a node that is not there', () => {
    expect(pointOf({ kind: 'flow' }, undefined, tick(2), roles)!.in).toBeNull();
    const restarted = { ...tick(1), at: 5000, uptimeMs: 10 };
    expect(pointOf({ kind: 'flow' }, tick(4), restarted, roles)!.in).toBeNull();
    expect(pointOf({ kind: 'node', nodeId: 'gone' }, tick(1), tick(2), roles)).toBeUndefined();
  });

  it('a latency of 0 (no message in the window) is a gap, not a fast node', () => {
    const idle = snap(2000, { sink: node({ in: 5 }) });
    expect(
      pointOf({ kind: 'node', nodeId: 'sink' }, snap(1000, { sink: node({ in: 5 }) }), idle, roles)!.p99,
    ).toBeNull();
  });
});

describe('SeriesBuffer', () => {
  it('builds uPlot columns (x in seconds) and skips snapshots it has seen', () => {
    const b = new SeriesBuffer({ kind: 'node', nodeId: 'fn' }, roles);
    for (const s of [1, 2, 3]) expect(b.push(tick(s))).toBe(true);
    expect(b.push(tick(2))).toBe(false);
    expect(b.push(tick(3))).toBe(false);
    const [t, inRate, outRate] = b.aligned(['in', 'out']);
    expect(t).toEqual([1, 2, 3]);
    expect(inRate).toEqual([null, 10, 10]);
    expect(outRate).toEqual([null, 9, 9]);
    expect(b.latest('out')).toBe(9);
    expect(b.lastAt).toBe(3000);
  });

  it('keeps at most `capacity` points, dropping the oldest', () => {
    const b = new SeriesBuffer({ kind: 'flow' }, roles, 5);
    for (let s = 1; s <= 12; s++) b.push(tick(s));
    expect(b.length).toBe(5);
    expect(b.t).toEqual([8, 9, 10, 11, 12]);
    for (const column of Object.values(b.cols)) expect(column).toHaveLength(5);
  });

  it('breaks the line where the flow was not running', () => {
    const b = new SeriesBuffer({ kind: 'flow' }, roles);
    b.push(tick(1));
    b.push(tick(2));
    b.push(tick(30));
    expect(b.t).toEqual([1, 2, 3, 30]);
    expect(b.cols.in[2]).toBeNull();
  });

  it('knows whether a metric ever had a value (a source without lag)', () => {
    const b = new SeriesBuffer({ kind: 'node', nodeId: 'fn' }, roles);
    b.push(tick(1));
    b.push(tick(2));
    expect(b.has('in')).toBe(true);
    expect(b.has('lag')).toBe(false);
  });
});
