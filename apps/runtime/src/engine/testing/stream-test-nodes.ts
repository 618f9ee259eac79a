/**
 * Test nodes for the stream node tests (window, checkpoint) run through the engine: a source of
 * listed timestamped messages that records its acks, and a collecting sink that can hold.
 */
import { z } from 'zod';
import { createMessage, defineManifest, defineNode, type FlowMessage } from '@tributary/shared';

/** Acks fired by test-items sources, in order of firing. Reset it between tests. */
export const acks: { first: number; size: number; ok: boolean }[] = [];

/** Every message any collect sink received, by node id. Reset it between tests. */
export const collected = new Map<string, FlowMessage[]>();

/** Sinks configured with `hold` wait until `releaseHeld()`. */
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
    config: z.object({ hold: z.boolean().default(false) }),
  }),
  (config, ctx) => ({
    kind: 'processor',
    async process(batch) {
      if (config.hold) await new Promise<void>((resolve) => held.push(resolve));
      const list = collected.get(ctx.nodeId) ?? [];
      for (const msg of batch) list.push(msg);
      collected.set(ctx.nodeId, list);
    },
  }),
);

/**
 * Emits listed messages in batches, recording acks in `acks` (`first` = index of the batch's first
 * item). `pauseMs` waits between batches; `lingerMs` keeps the source running after the last batch
 * (so timers, not the end of input, must close what is open).
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
      items: z.array(z.object({ key: z.string().nullable().default(null), value: z.unknown(), timestamp: z.number() })),
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
          slice.map((item) => createMessage({ key: item.key, value: item.value, timestamp: item.timestamp })),
          (ok) => acks.push({ first, size: slice.length, ok }),
        );
        if (config.pauseMs > 0) await wait(config.pauseMs);
      }
      if (config.lingerMs > 0) await wait(config.lingerMs);
    },
  }),
);
