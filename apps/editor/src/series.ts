import type { FlowStatsSnapshot, NodeKind, NodeStats } from '@tributary/shared';
import { sourceLag } from './lag.js';

/** What the dashboard plots, per point in time. Rates are per second, latency in ms, queue fill in %. */
export const METRICS = ['in', 'out', 'errors', 'dropped', 'p50', 'p95', 'p99', 'queue', 'lag', 'lagSeconds'] as const;
export type Metric = (typeof METRICS)[number];
export type Point = Record<Metric, number | null>;

/** The whole flow, or one node. */
export type Scope = { kind: 'flow' } | { kind: 'node'; nodeId: string };

/** Which nodes bring messages in and which deliver them: the flow's "in" and "out". */
export interface Roles {
  sources: ReadonlySet<string>;
  sinks: ReadonlySet<string>;
}

/** 15 minutes at one snapshot a second, what the runtime keeps too. */
export const DEFAULT_CAPACITY = 900;
/** Snapshots further apart than this mean the flow was not running in between: the line breaks. */
export const GAP_MS = 3500;
const TICK_MS = 1000;

const EMPTY: Point = Object.fromEntries(METRICS.map((m) => [m, null])) as Point;

/**
 * Sources and sinks by the node types' kinds; a node of an unknown type counts by its place in the
 * graph (nothing flows into a source, nothing out of a sink).
 */
export function flowRoles(
  nodes: readonly { id: string; type?: string }[],
  edges: readonly { source: string; target: string }[],
  kindOf: (type: string) => NodeKind | undefined,
): Roles {
  const hasIn = new Set(edges.map((e) => e.target));
  const hasOut = new Set(edges.map((e) => e.source));
  const sources = new Set<string>();
  const sinks = new Set<string>();
  for (const n of nodes) {
    const kind = kindOf(n.type ?? '');
    if (kind === 'source' || (kind === undefined && !hasIn.has(n.id))) sources.add(n.id);
    if (kind === 'sink' || (kind === undefined && !hasOut.has(n.id))) sinks.add(n.id);
  }
  return { sources, sinks };
}

/** Counter growth per second; null when unknown (first point, or the counter restarted). */
function rate(prev: number | undefined, cur: number, seconds: number): number | null {
  if (prev === undefined || seconds <= 0 || cur < prev) return null;
  return (cur - prev) / seconds;
}

/** A percentile of 0 means "no message in the window", which is a gap, not a fast node. */
const latencyValue = (ms: number): number | null => (ms > 0 ? ms : null);

function nodePoint(prev: NodeStats | undefined, cur: NodeStats, seconds: number): Point {
  const lag = sourceLag(cur);
  return {
    in: rate(prev?.in, cur.in, seconds),
    out: rate(prev?.out, cur.out, seconds),
    errors: rate(prev?.errors, cur.errors, seconds),
    dropped: rate(prev?.dropped, cur.dropped, seconds),
    p50: latencyValue(cur.latencyMs.p50),
    p95: latencyValue(cur.latencyMs.p95),
    p99: latencyValue(cur.latencyMs.p99),
    queue: max(Object.values(cur.queues).map((q) => q.fill * 100)),
    lag: lag?.messages ?? null,
    lagSeconds: lag?.seconds ?? null,
  };
}

/** Sum of the known values; null when none is known. */
function sum(values: (number | null)[]): number | null {
  let out: number | null = null;
  for (const v of values) if (v !== null) out = (out ?? 0) + v;
  return out;
}

function max(values: (number | null)[]): number | null {
  let out: number | null = null;
  for (const v of values) if (v !== null && (out === null || v > out)) out = v;
  return out;
}

/**
 * One point of a scope from a snapshot and the one before it (rates come from counter deltas, so
 * in and out are told apart). The flow's in is what its sources emit, its out what reaches its
 * sinks, its latency that of the slowest sink (end to end), its lag the sum over sources.
 */
export function pointOf(
  scope: Scope,
  prev: FlowStatsSnapshot | undefined,
  cur: FlowStatsSnapshot,
  roles: Roles,
): Point | undefined {
  // A restarted flow starts its counters again: no rate across the restart.
  const before = prev && prev.uptimeMs <= cur.uptimeMs ? prev : undefined;
  const seconds = before ? (cur.at - before.at) / 1000 : 0;
  if (scope.kind === 'node') {
    const stats = cur.nodes[scope.nodeId];
    return stats ? nodePoint(before?.nodes[scope.nodeId], stats, seconds) : undefined;
  }
  const ids = Object.keys(cur.nodes);
  const points = new Map(ids.map((id) => [id, nodePoint(before?.nodes[id], cur.nodes[id]!, seconds)]));
  const of = (filter: (id: string) => boolean, metric: Metric) =>
    ids.filter(filter).map((id) => points.get(id)![metric]);
  const hasSinks = ids.some((id) => roles.sinks.has(id));
  const endToEnd = (id: string) => (hasSinks ? roles.sinks.has(id) : true);
  const isSource = (id: string) => roles.sources.has(id);
  const all = () => true;
  return {
    in: sum(of(isSource, 'out')),
    out: sum(of((id) => roles.sinks.has(id), 'in')),
    errors: sum(of(all, 'errors')),
    dropped: sum(of(all, 'dropped')),
    p50: max(of(endToEnd, 'p50')),
    p95: max(of(endToEnd, 'p95')),
    p99: max(of(endToEnd, 'p99')),
    // The fullest input queue is the flow's bottleneck.
    queue: max(of(all, 'queue')),
    lag: sum(of(isSource, 'lag')),
    lagSeconds: max(of(isSource, 'lagSeconds')),
  };
}

/**
 * The time series of one scope, column by column as uPlot wants them (x in seconds), capped to the
 * newest `capacity` points. Mutated in place: a chart hands the same arrays to `setData` each tick.
 */
export class SeriesBuffer {
  readonly t: number[] = [];
  readonly cols = Object.fromEntries(METRICS.map((m) => [m, [] as (number | null)[]])) as Record<
    Metric,
    (number | null)[]
  >;
  private prev: FlowStatsSnapshot | undefined;

  constructor(
    readonly scope: Scope,
    readonly roles: Roles,
    readonly capacity = DEFAULT_CAPACITY,
  ) {}

  get length(): number {
    return this.t.length;
  }

  /** Time of the newest snapshot taken in, epoch ms. */
  get lastAt(): number | undefined {
    return this.prev?.at;
  }

  /** Adds one snapshot; returns false for one already seen (history and live ticks overlap). */
  push(snapshot: FlowStatsSnapshot): boolean {
    const prev = this.prev;
    if (prev && snapshot.at <= prev.at) return false;
    const point = pointOf(this.scope, prev, snapshot, this.roles) ?? EMPTY;
    // A null point between two distant snapshots breaks the line instead of bridging the pause.
    if (prev && snapshot.at - prev.at > GAP_MS) this.append((prev.at + TICK_MS) / 1000, EMPTY);
    this.append(snapshot.at / 1000, point);
    this.prev = snapshot;
    return true;
  }

  /** The newest value of a metric that is known (the KPI figures). */
  latest(metric: Metric): number | null {
    const col = this.cols[metric];
    for (let i = col.length - 1; i >= Math.max(0, col.length - 3); i--) if (col[i] !== null) return col[i]!;
    return null;
  }

  /** Whether any point of the metric is known (a source that never reports lag has no lag chart). */
  has(metric: Metric): boolean {
    return this.cols[metric].some((v) => v !== null);
  }

  /** [x, ...columns] for uPlot; the arrays are this buffer's own. */
  aligned(metrics: readonly Metric[]): [number[], ...(number | null)[][]] {
    return [this.t, ...metrics.map((m) => this.cols[m])];
  }

  private append(t: number, point: Point): void {
    this.t.push(t);
    for (const m of METRICS) this.cols[m].push(point[m]);
    const excess = this.t.length - this.capacity;
    if (excess > 0) {
      this.t.splice(0, excess);
      for (const m of METRICS) this.cols[m].splice(0, excess);
    }
  }
}
