import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { startFlow, type NodeRegistry } from '../engine/index.js';

export interface EngineBenchResult {
  scenario: string;
  messages: number;
  /** Messages emitted by the source per second of wall time (source start → last message confirmed). */
  msgsPerSec: number;
  /** Messages arriving at sinks per second (2× for fan-out). */
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMB: number;
  seconds: number;
  /** Messages per second of CPU time the process used (user + system): less distorted by a loaded machine than wall time. */
  msgsPerCpuSec: number;
}

/**
 * A benchmark flow from `[id, type, config]` nodes (laid out left to right) and `[source, target]`
 * edges on the default ports.
 */
export function benchPipeline(
  id: string,
  name: string,
  nodes: [id: string, type: string, config: Record<string, unknown>][],
  edges: [source: string, target: string][],
): FlowDocument {
  return {
    schemaVersion: 1,
    id,
    name,
    nodes: nodes.map(([nodeId, type, config], i) => ({
      id: nodeId,
      type,
      typeVersion: 1,
      position: { x: i * 200, y: 0 },
      config,
    })),
    edges: edges.map(([source, target]) => ({
      id: `${source}->${target}`,
      source,
      sourcePort: 'out',
      target,
      targetPort: 'in',
    })),
  };
}

const DOUBLE = 'return { value: msg.value * 2 };';

/** sequence (N) → function (value * 2) → counter: the headline flow. */
export function linearFlow(count: number): FlowDocument {
  return benchPipeline(
    'bench-linear',
    'Bench: linear',
    [
      ['seq', 'sequence', { count }],
      ['double', 'function', { code: DOUBLE }],
      ['count', 'counter', {}],
    ],
    [
      ['seq', 'double'],
      ['double', 'count'],
    ],
  );
}

/** sequence → two functions → one counter (Node-RED's fan-out scenario: the sink sees 2N). */
export function fanoutFlow(count: number): FlowDocument {
  return benchPipeline(
    'bench-fanout',
    'Bench: fan-out',
    [
      ['seq', 'sequence', { count }],
      ['a', 'function', { code: DOUBLE }],
      ['b', 'function', { code: DOUBLE }],
      ['count', 'counter', {}],
    ],
    [
      ['seq', 'a'],
      ['seq', 'b'],
      ['a', 'count'],
      ['b', 'count'],
    ],
  );
}

/** Runs a finite flow to completion with stats polled once a second, as the server does. */
export async function benchFlow(
  scenario: string,
  flow: FlowDocument,
  sinkId: string,
  registry: NodeRegistry = createNodeRegistry(),
): Promise<EngineBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  try {
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const run = await startFlow(flow, { registry, dataDir });
    const poll = setInterval(() => run.stats(), 1000);
    const result = await run.done;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(poll);
    if (result.state !== 'finished') throw new Error(`${scenario}: flow ended ${result.state}: ${result.reason ?? ''}`);
    const stats = run.stats();
    const source = stats.nodes.seq!;
    const sink = stats.nodes[sinkId]!;
    return {
      scenario,
      messages: source.out,
      msgsPerSec: Math.round(source.out / seconds),
      deliveredPerSec: Math.round(sink.in / seconds),
      p50Ms: sink.latencyMs.p50,
      p99Ms: sink.latencyMs.p99,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      seconds: Math.round(seconds * 1000) / 1000,
      msgsPerCpuSec: Math.round(source.out / ((cpu.user + cpu.system) / 1e6)),
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
