import type { EdgeStats, FlowStatsSnapshot, NodeStats } from '@tributary/shared';
import type { RunGraph } from './run-graph.js';

/** A stats snapshot of a running flow, computed now (rates and percentiles are the costly part). */
export function snapshotStats(flowId: string, startedAt: number, graph: RunGraph): FlowStatsSnapshot {
  const nodes: Record<string, NodeStats> = {};
  for (const node of graph.nodes) {
    const queues: NodeStats['queues'] = {};
    for (const edge of node.inEdges) {
      const q = (queues[edge.targetPort] ??= { size: 0, capacity: 0, fill: 0 });
      q.size += edge.queue.size;
      q.capacity += edge.queue.capacity;
    }
    for (const q of Object.values(queues)) q.fill = q.capacity > 0 ? Math.min(1, q.size / q.capacity) : 0;
    nodes[node.id] = node.counters.snapshot(node.isSource, queues);
  }
  const edges: Record<string, EdgeStats> = {};
  const now = performance.now();
  for (const edge of graph.edges.values()) {
    edges[edge.id] = {
      total: edge.total,
      rate1s: edge.rates.rate(edge.total, now, 1000),
      queueFill: Math.min(1, edge.queue.size / edge.queue.capacity),
    };
  }
  return { flowId, at: Date.now(), uptimeMs: Date.now() - startedAt, nodes, edges };
}
