/**
 * The engine measured against the limit (issue 9): a hand-written loop doing the same work as the
 * linear flow (the ceiling), latency at a paced rate, and memory of a large burst into a slow sink.
 * Each runs in a child process of `run-bench.ts` so its peak RSS is its own.
 */
import { z } from 'zod';
import { createMessage, defineManifest, defineNode, type FlowDocument, type NodeDefinition } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { benchFlow, benchPipeline, linearFlow, type EngineBenchResult } from './engine-bench.js';

export interface CeilingResult {
  scenario: 'ceiling';
  messages: number;
  msgsPerSec: number;
  seconds: number;
  msgsPerCpuSec: number;
}

/**
 * The same work as sequence → function (`value * 2`) → counter, by hand in one loop: build the
 * message, build the doubled one, count. No queues, no batches, no stats: what one core can do.
 */
export function ceilingLoop(count: number): CeilingResult {
  let counted = 0;
  let sum = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const message = createMessage({ value: i });
    // As the function node builds its result (a literal of the five fields, no spread).
    const doubled = {
      key: message.key,
      value: message.value * 2,
      headers: message.headers,
      timestamp: message.timestamp,
      meta: message.meta,
    };
    counted++;
    sum += doubled.value; // used below, so the work cannot be optimised away
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (counted !== count || sum < 0) throw new Error('ceiling loop miscounted');
  return {
    scenario: 'ceiling',
    messages: count,
    msgsPerSec: Math.round(count / seconds),
    seconds,
    msgsPerCpuSec: Math.round(count / ((cpu.user + cpu.system) / 1e6)),
  };
}

/** The linear flow with a source paced at `rate` msgs/s, one message per batch (message latency, as Node-RED measures it). */
export function pacedFlow(rate: number, seconds: number): FlowDocument {
  const flow = linearFlow(Math.round(rate * seconds));
  return {
    ...flow,
    id: `bench-paced-${rate}`,
    settings: { batchSize: 1 },
    nodes: flow.nodes.map((n) => (n.id === 'seq' ? { ...n, config: { ...n.config, rate } } : n)),
  };
}

/** A sink that waits one event-loop turn per batch: slower than the source, so the queues fill up. */
const slowSink = defineNode(
  defineManifest({
    type: 'bench-slow-sink',
    typeVersion: 1,
    kind: 'sink',
    label: 'Slow sink',
    description: 'Waits one event-loop turn per batch',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [],
    config: z.object({}),
  }),
  () => ({
    kind: 'processor',
    process: () => new Promise<void>((resolve) => setImmediate(resolve)),
  }),
);

/** `count` messages as fast as the source can make them, through `value * 2`, into the slow sink. */
export function burstFlow(count: number): FlowDocument {
  return benchPipeline(
    'bench-burst',
    'Bench: burst into a slow sink',
    [
      ['seq', 'sequence', { count }],
      ['double', 'function', { code: 'return { value: msg.value * 2 };' }],
      ['sink', 'bench-slow-sink', {}],
    ],
    [
      ['seq', 'double'],
      ['double', 'sink'],
    ],
  );
}

export function burstRegistry(): ReadonlyMap<string, NodeDefinition> {
  const registry = new Map(createNodeRegistry());
  registry.set(slowSink.manifest.type, slowSink);
  return registry;
}

/** Messages of the untimed run before the ceiling's and the linear flow's timed runs. */
const WARM_UP = 200_000;

/** Child-process entry for the limit scenarios (see run-bench.ts). */
export async function runLimitScenario(scenario: string, count: number): Promise<EngineBenchResult | CeilingResult> {
  if (scenario === 'ceiling') {
    ceilingLoop(Math.min(count, WARM_UP)); // compiled before it is timed, as the flow below
    return ceilingLoop(count);
  }
  if (scenario === 'linear-warm') {
    // The same warm-up as the ceiling's. Timed from cold, 1,000,000 messages take ~0.2 s of which
    // much is the engine's code still being compiled: 20–28 % of the warmed ceiling, 51–60 % warmed
    // (measured here, same day); with 5,000,000 messages from cold, 59 %.
    await benchFlow('linear', linearFlow(Math.min(count, WARM_UP)), 'count');
    return benchFlow('linear', linearFlow(count), 'count');
  }
  if (scenario.startsWith('paced-')) {
    const rate = Number(scenario.slice('paced-'.length));
    return benchFlow(scenario, pacedFlow(rate, count / rate), 'count');
  }
  if (scenario === 'burst') return benchFlow('burst', burstFlow(count), 'sink', burstRegistry());
  throw new Error(`unknown limit scenario ${scenario}`);
}
