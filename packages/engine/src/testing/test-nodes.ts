/**
 * Small node types for engine tests: they exercise the engine's contract (acks, backpressure,
 * errors) without depending on the real node implementations.
 */
import { z } from 'zod';
import {
  createMessage,
  defineManifest,
  defineNode,
  type FlowMessage,
  type Hold,
  type NodeContext,
  type NodeDefinition,
  type SourceContext,
} from '@tributary/shared';

export const countSource = defineNode(
  defineManifest({
    type: 'test-count',
    typeVersion: 1,
    kind: 'source',
    label: 'Count',
    description: 'Emits 0..count-1 in batches, optionally asking for acks',
    category: 'testing',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({
      count: z.number().int().default(10),
      batch: z.number().int().default(100),
      withAcks: z.boolean().default(false),
      keys: z.number().int().default(0),
    }),
  }),
  (config) => ({
    kind: 'source',
    async run(ctx) {
      for (let i = 0; i < config.count && !ctx.signal.aborted; i += config.batch) {
        const batch: FlowMessage[] = [];
        for (let j = i; j < Math.min(config.count, i + config.batch); j++) {
          batch.push(createMessage({ value: j, key: config.keys > 0 ? `k${j % config.keys}` : null }));
        }
        const first = i;
        await ctx.emit(batch, config.withAcks ? (ok) => acks.push({ first, size: batch.length, ok }) : undefined);
      }
    },
  }),
);

/** Acks fired by test-count (withAcks) and test-items sources, in order of firing. Reset it between tests. */
export const acks: { first: number; size: number; ok: boolean }[] = [];

/**
 * Emits listed `{ key, value, timestamp, meta? }` messages in batches, recording acks in `acks` (`first` =
 * index of the batch's first item). `delayMs` waits before the first batch, `pauseMs` between
 * batches; `lingerMs` keeps the source running after the last batch (so timers, not the end of
 * input, must close what is open).
 */
export const itemsSource = defineNode(
  defineManifest({
    type: 'test-items',
    typeVersion: 1,
    kind: 'source',
    label: 'Items',
    description: 'Emits the listed { key, value, timestamp } messages',
    category: 'testing',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({
      items: z.array(
        z.object({
          key: z.string().nullable().default(null),
          value: z.unknown(),
          timestamp: z.number(),
          meta: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
      batch: z.number().int().default(1),
      pauseMs: z.number().default(0),
      lingerMs: z.number().default(0),
      delayMs: z.number().default(0),
    }),
  }),
  (config) => ({
    kind: 'source',
    async run(ctx) {
      const wait = (ms: number) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      if (config.delayMs > 0) await wait(config.delayMs);
      for (let i = 0; i < config.items.length && !ctx.signal.aborted; i += config.batch) {
        const slice = config.items.slice(i, i + config.batch);
        const first = i;
        await ctx.emit(
          slice.map((item) =>
            createMessage({ key: item.key, value: item.value, timestamp: item.timestamp, meta: item.meta }),
          ),
          (ok) => acks.push({ first, size: slice.length, ok }),
        );
        if (config.pauseMs > 0) await wait(config.pauseMs);
      }
      if (config.lingerMs > 0) await wait(config.lingerMs);
    },
  }),
);

export const doubleHandler = defineNode(
  defineManifest({
    type: 'test-double',
    typeVersion: 1,
    kind: 'handler',
    label: 'Double',
    description: 'value * 2; throws on values listed in failOn',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.object({ failOn: z.array(z.number()).default([]), dropOdd: z.boolean().default(false) }),
  }),
  (config) => {
    const failOn = new Set(config.failOn);
    return {
      kind: 'processor',
      process(batch, out) {
        for (const msg of batch) {
          const value = msg.value as number;
          if (failOn.has(value)) out.error(new Error(`cannot double ${value}`), msg);
          else if (config.dropOdd && value % 2 === 1) out.drop();
          else out.push({ ...msg, value: value * 2 });
        }
      },
    };
  },
);

/** Every message any collect sink received, by node id. Reset it between tests. */
export const collected = new Map<string, FlowMessage[]>();

/** Sinks can be made slow or made to hang until `releaseHeld()`. */
let held: (() => void)[] = [];
export function releaseHeld(): void {
  const waiting = held;
  held = [];
  for (const release of waiting) release();
}

export const collectSink = defineNode(
  defineManifest({
    type: 'test-collect',
    typeVersion: 1,
    kind: 'sink',
    label: 'Collect',
    description: 'Keeps what it receives in memory',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [],
    config: z.object({
      delayMs: z.number().default(0),
      hold: z.boolean().default(false),
      keep: z.boolean().default(true),
    }),
  }),
  (config, ctx) => ({
    kind: 'processor',
    async process(batch) {
      if (config.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.delayMs));
      if (config.hold) await new Promise<void>((resolve) => held.push(resolve));
      if (!config.keep) return;
      const list = collected.get(ctx.nodeId) ?? [];
      for (const msg of batch) list.push(msg);
      collected.set(ctx.nodeId, list);
    },
  }),
);

export const failingSource = defineNode(
  defineManifest({
    type: 'test-fail-source',
    typeVersion: 1,
    kind: 'source',
    label: 'Fail',
    description: 'Emits one message, then throws',
    category: 'testing',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({}),
  }),
  () => ({
    kind: 'source',
    async run(ctx) {
      await ctx.emit([createMessage({ value: 1 })]);
      throw new Error('connection refused');
    },
  }),
);

/** The context of each running probe source, by node id: tests call `emit` on it themselves. */
export const probes = new Map<string, SourceContext>();

export const probeSource = defineNode(
  defineManifest({
    type: 'test-probe',
    typeVersion: 1,
    kind: 'source',
    label: 'Probe',
    description: 'Emits what the test tells it to (through `probes`), until the flow stops',
    category: 'testing',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({}),
  }),
  () => ({
    kind: 'source',
    async run(ctx) {
      probes.set(ctx.nodeId, ctx);
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  }),
);

/** What each hold node holds, and its context (for emitFrom / release), by node id. */
export const holders = new Map<string, { ctx: NodeContext; holds: Hold[]; inputs: FlowMessage[] }>();

export const holdHandler = defineNode(
  defineManifest({
    type: 'test-hold',
    typeVersion: 1,
    kind: 'handler',
    label: 'Hold',
    description: 'Holds every input batch and emits nothing itself: the test decides (through `holders`)',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.object({}),
  }),
  (_config, ctx) => {
    const state = { ctx, holds: [] as Hold[], inputs: [] as FlowMessage[] };
    holders.set(ctx.nodeId, state);
    return {
      kind: 'processor',
      process(batch, out) {
        state.holds.push(out.hold());
        state.inputs.push(...batch);
      },
    };
  },
);

/** `onAck` answers of test-sum's emitFrom, in order. Reset it between tests. */
export const sumAcks: boolean[] = [];

/** Keeps every batch back (holds) and emits one sum at end of input (flush): a many-to-one node. */
export const sumHandler = defineNode(
  defineManifest({
    type: 'test-sum',
    typeVersion: 1,
    kind: 'handler',
    label: 'Sum',
    description: 'Holds its inputs; emits their sum when the input ends',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.object({}),
  }),
  (_config, ctx) => {
    let sum = 0;
    let holds: Hold[] = [];
    return {
      kind: 'processor',
      process(batch, out) {
        for (const msg of batch) sum += msg.value as number;
        holds.push(out.hold());
      },
      endOfInput() {
        const from = holds;
        holds = [];
        void ctx.emitFrom([createMessage({ value: sum })], from, undefined, (ok) => sumAcks.push(ok));
      },
    };
  },
);

export const testRegistry: ReadonlyMap<string, NodeDefinition> = new Map(
  [countSource, itemsSource, doubleHandler, collectSink, failingSource, probeSource, holdHandler, sumHandler].map(
    (d) => [d.manifest.type, d as NodeDefinition],
  ),
);
