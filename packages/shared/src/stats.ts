/** Latency percentiles in milliseconds over the last window (about one minute). */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface QueueStats {
  /** Messages waiting. */
  size: number;
  /** Messages the queue holds before the upstream node is made to wait. */
  capacity: number;
  /** size / capacity, 0..1: near 1 means this input is the bottleneck (backpressure). */
  fill: number;
}

export type NodeRunState = 'starting' | 'running' | 'finished' | 'stopping' | 'stopped' | 'failed';

export interface NodeStats {
  state: NodeRunState;
  /** Messages received (for sources: messages emitted). */
  in: number;
  /** Messages emitted on any port but `error`. */
  out: number;
  /** Messages that failed (sent to the error port or logged). */
  errors: number;
  /** Messages deliberately dropped (filters, unwired ports). */
  dropped: number;
  /** Messages per second handled by this node: over the last second and the last minute. */
  rate1s: number;
  rate1m: number;
  /** Time from the source's emit to the moment this node was done with the message. */
  latencyMs: LatencySummary;
  /** Input queues by port. */
  queues: Record<string, QueueStats>;
  /** Node-specific figures: lag per partition, cache hits, pending writes … */
  custom: Record<string, number | Record<string, number>>;
}

export interface EdgeStats {
  /** Messages carried in total. */
  total: number;
  rate1s: number;
  /** Fill of the target's input queue this edge feeds (0..1). */
  queueFill: number;
}

/** One snapshot per flow per second, never one event per message. */
export interface FlowStatsSnapshot {
  flowId: string;
  /** Milliseconds since the epoch. */
  at: number;
  uptimeMs: number;
  nodes: Record<string, NodeStats>;
  edges: Record<string, EdgeStats>;
}
