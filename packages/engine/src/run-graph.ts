import {
  DEFAULT_OUTPUT,
  type FlowDocument,
  type NodeContext,
  type NodeInstance,
  type NodeManifest,
} from '@tributary/shared';
import { BatchQueue, type Batch } from './batch-queue.js';
import { NodeOutput, type HoldRef } from './node-output.js';
import { NodeCounters } from './node-stats.js';
import { RateWindow } from './rate-window.js';
import { EdgeTaps } from './taps.js';
import type { NodeRegistry } from './types.js';

/** A wire of the running flow: a bounded queue in front of its target. */
export interface RunEdge {
  readonly id: string;
  readonly target: RunNode;
  readonly targetPort: string;
  readonly queue: BatchQueue;
  total: number;
  readonly rates: RateWindow;
  readonly taps: EdgeTaps;
}

/** A node of the running flow. */
export interface RunNode {
  /** Index in `flow.nodes` (what the watchdog's activity cell names). */
  readonly index: number;
  readonly id: string;
  readonly manifest: NodeManifest;
  readonly isSource: boolean;
  instance: NodeInstance | null;
  ctx: NodeContext | null;
  readonly inEdges: RunEdge[];
  /** Output edges by port. */
  readonly outEdges: Map<string, RunEdge[]>;
  readonly defaultPort: string;
  readonly counters: NodeCounters;
  readonly output: NodeOutput;
  /** Round-robin position over `inEdges`. */
  rr: number;
  /** Set while the node's loop waits for input; a queue that becomes readable calls it. */
  wake: (() => void) | null;
  /** The batch the node's `process` is working on (so that a stop can fail it if `process` never returns). */
  current: Batch | null;
}

/** A start failure that names the node at fault. */
export class FlowStartError extends Error {
  constructor(
    message: string,
    readonly nodeId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FlowStartError';
  }
}

export interface RunGraph {
  readonly nodes: RunNode[];
  readonly edges: Map<string, RunEdge>;
}

/**
 * Turns a validated flow into run nodes and edges: disabled nodes and the edges through them are
 * left out; every edge gets its own bounded queue that wakes its target's loop.
 */
export function buildGraph(
  flow: FlowDocument,
  registry: NodeRegistry,
  queueCapacity: number,
  onError: (node: RunNode, code: string, message: string) => void,
  openHolds: Set<HoldRef>,
): RunGraph {
  const nodes: RunNode[] = [];
  const byId = new Map<string, RunNode>();
  flow.nodes.forEach((doc, index) => {
    if (doc.disabled) return;
    const definition = registry.get(doc.type);
    if (!definition) throw new FlowStartError(`node type "${doc.type}" is not installed`, doc.id);
    const manifest = definition.manifest;
    const identity = { id: doc.id, defaultPort: manifest.outputs[0]?.name ?? DEFAULT_OUTPUT };
    const node: RunNode = {
      index,
      ...identity,
      manifest,
      isSource: manifest.kind === 'source',
      instance: null,
      ctx: null,
      inEdges: [],
      outEdges: new Map(),
      counters: new NodeCounters(),
      output: new NodeOutput(identity, (code, message) => onError(node, code, message), openHolds),
      rr: 0,
      wake: null,
      current: null,
    };
    byId.set(doc.id, node);
    nodes.push(node);
  });

  const edges = new Map<string, RunEdge>();
  for (const edge of flow.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) continue; // an edge through a disabled node is ignored
    const runEdge: RunEdge = {
      id: edge.id,
      target,
      targetPort: edge.targetPort,
      queue: new BatchQueue(queueCapacity, () => {
        const wake = target.wake;
        if (wake) {
          target.wake = null;
          wake();
        }
      }),
      total: 0,
      rates: new RateWindow(),
      taps: new EdgeTaps(flow.id, edge.id),
    };
    edges.set(edge.id, runEdge);
    target.inEdges.push(runEdge);
    const list = source.outEdges.get(edge.sourcePort);
    if (list) list.push(runEdge);
    else source.outEdges.set(edge.sourcePort, [runEdge]);
  }
  return { nodes, edges };
}
