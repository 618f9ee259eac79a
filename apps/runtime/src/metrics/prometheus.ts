import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { FlowRunState, FlowStatsSnapshot, FlowStatusEvent } from '@tributary/shared';

const STATES: readonly FlowRunState[] = ['stopped', 'deploying', 'running', 'finished', 'stopping', 'failed'];
const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
  ['1', 'max'],
] as const;

/**
 * Prometheus metrics for `/metrics`. Values are read at scrape time from the latest stats snapshot
 * of each flow (the same figures the dashboard shows), so the hot path pays nothing for them.
 * Counters restart at 0 when a flow restarts, which Prometheus' `rate()` treats as a counter reset.
 */
export class FlowMetrics {
  readonly registry = new Registry();
  private readonly latest = new Map<string, FlowStatsSnapshot>();
  private readonly statuses = new Map<string, FlowStatusEvent>();

  constructor() {
    collectDefaultMetrics({ register: this.registry }); // standard names (process_cpu_seconds_total …) for stock dashboards
    const registers = [this.registry];
    const snapshots = () => this.latest.values();
    const nodes = function* () {
      for (const snapshot of snapshots()) {
        for (const [node, stats] of Object.entries(snapshot.nodes)) yield { flow: snapshot.flowId, node, stats };
      }
    };
    const counter = (name: string, help: string, pick: (s: FlowStatsSnapshot['nodes'][string]) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['flow', 'node'],
        registers,
        collect() {
          this.reset();
          for (const { flow, node, stats } of nodes()) this.inc({ flow, node }, pick(stats));
        },
      });
    counter('tributary_node_messages_in_total', 'Messages a node received (sources: emitted)', (s) => s.in);
    counter('tributary_node_messages_out_total', 'Messages a node emitted (all ports but error)', (s) => s.out);
    counter('tributary_node_errors_total', 'Messages that failed in a node', (s) => s.errors);
    counter('tributary_node_dropped_total', 'Messages a node dropped on purpose', (s) => s.dropped);

    new Gauge({
      name: 'tributary_node_rate',
      help: 'Messages per second handled by a node, over the last second or minute',
      labelNames: ['flow', 'node', 'window'],
      registers,
      collect() {
        this.reset();
        for (const { flow, node, stats } of nodes()) {
          this.set({ flow, node, window: '1s' }, stats.rate1s);
          this.set({ flow, node, window: '1m' }, stats.rate1m);
        }
      },
    });
    new Gauge({
      name: 'tributary_node_latency_ms',
      help: 'Time from the source emit to the node being done with a message, over about a minute',
      labelNames: ['flow', 'node', 'quantile'],
      registers,
      collect() {
        this.reset();
        for (const { flow, node, stats } of nodes()) {
          for (const [quantile, key] of QUANTILES) this.set({ flow, node, quantile }, stats.latencyMs[key]);
        }
      },
    });
    new Gauge({
      name: 'tributary_node_queue_fill',
      help: 'Fill of a node input queue, 0..1 (near 1: this input is the bottleneck)',
      labelNames: ['flow', 'node', 'port'],
      registers,
      collect() {
        this.reset();
        for (const { flow, node, stats } of nodes()) {
          for (const [port, queue] of Object.entries(stats.queues)) this.set({ flow, node, port }, queue.fill);
        }
      },
    });
    new Gauge({
      name: 'tributary_node_queue_size',
      help: 'Messages waiting in a node input queue',
      labelNames: ['flow', 'node', 'port'],
      registers,
      collect() {
        this.reset();
        for (const { flow, node, stats } of nodes()) {
          for (const [port, queue] of Object.entries(stats.queues)) this.set({ flow, node, port }, queue.size);
        }
      },
    });
    new Gauge({
      name: 'tributary_node_custom',
      help: 'Node-specific figures (consumer lag, cache hits, pending writes …); `key` splits a figure (e.g. by partition)',
      labelNames: ['flow', 'node', 'name', 'key'],
      registers,
      collect() {
        this.reset();
        for (const { flow, node, stats } of nodes()) {
          for (const [name, value] of Object.entries(stats.custom)) {
            if (typeof value === 'number') this.set({ flow, node, name, key: '' }, value);
            else for (const [key, item] of Object.entries(value)) this.set({ flow, node, name, key }, item);
          }
        }
      },
    });
    new Counter({
      name: 'tributary_edge_messages_total',
      help: 'Messages an edge carried',
      labelNames: ['flow', 'edge'],
      registers,
      collect() {
        this.reset();
        for (const snapshot of snapshots()) {
          for (const [edge, stats] of Object.entries(snapshot.edges))
            this.inc({ flow: snapshot.flowId, edge }, stats.total);
        }
      },
    });
    new Gauge({
      name: 'tributary_edge_queue_fill',
      help: 'Fill of the input queue an edge feeds, 0..1',
      labelNames: ['flow', 'edge'],
      registers,
      collect() {
        this.reset();
        for (const snapshot of snapshots()) {
          for (const [edge, stats] of Object.entries(snapshot.edges))
            this.set({ flow: snapshot.flowId, edge }, stats.queueFill);
        }
      },
    });
    const statuses = this.statuses;
    new Gauge({
      name: 'tributary_flow_state',
      help: 'State of a flow: 1 for its current state, 0 for the others',
      labelNames: ['flow', 'state'],
      registers,
      collect() {
        this.reset();
        for (const status of statuses.values()) {
          for (const state of STATES) this.set({ flow: status.flowId, state }, status.state === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'tributary_flow_restarts',
      help: 'Restarts of a flow after failures since it last ran stably',
      labelNames: ['flow'],
      registers,
      collect() {
        this.reset();
        for (const status of statuses.values()) this.set({ flow: status.flowId }, status.restarts ?? 0);
      },
    });
  }

  recordStats(snapshot: FlowStatsSnapshot): void {
    this.latest.set(snapshot.flowId, snapshot);
  }

  recordStatus(event: FlowStatusEvent): void {
    this.statuses.set(event.flowId, event);
  }

  forget(flowId: string): void {
    this.latest.delete(flowId);
    this.statuses.delete(flowId);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
