/**
 * The `checkpoint` node through the real engine: a dependent stream pauses while its dependency's
 * heartbeat is behind, then resumes or reprocesses (rewinding a seekable source); status messages
 * tell a flow about it. The real kafka-source rewind is proven in cli/kafka-checkpoint.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMessage, defineManifest, defineNode, type FlowDocument } from '@tributary/shared';
import { createNodeRegistry, nodeDefinitions, provideSourceControl } from '@tributary/nodes/runtime';
import { startFlow } from './index.js';
import { acks, collectSink, collected, itemsSource } from '@tributary/engine/testing';

/** Seeks made on test-log sources: [offset, what it had read up to]. Reset it between tests. */
const seeks: [number, number][] = [];

/**
 * A partition of a log, as a kafka-source reads one: values `0..count-1` at second `value` of event
 * time, with meta topic/partition/offset, and a source control another node can seek. It keeps
 * running after the end (a seek may send it back) until the flow stops.
 */
const logSource = defineNode(
  defineManifest({
    type: 'test-log',
    typeVersion: 1,
    kind: 'source',
    label: 'Log',
    description: 'A seekable partition of numbered messages',
    category: 'testing',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.object({ topic: z.string(), count: z.number().int(), batch: z.number().int(), delayMs: z.number() }),
  }),
  (config) => ({
    kind: 'source',
    async run(ctx) {
      let next = 0;
      let wake = () => {};
      const unregister = provideSourceControl(ctx, {
        pause: () => {},
        resume: () => {},
        assigned: () => [{ topic: config.topic, partition: 0 }],
        seek: ({ offset }) => {
          const readUpTo = next;
          seeks.push([Number(offset), readUpTo]);
          next = Number(offset);
          wake();
          return BigInt(readUpTo);
        },
      });
      const stopped = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, config.delayMs))]);
      while (!ctx.signal.aborted) {
        if (next >= config.count) {
          await Promise.race([stopped, new Promise<void>((resolve) => (wake = resolve))]);
          continue;
        }
        const from = next;
        next = Math.min(config.count, from + config.batch);
        const messages = [];
        for (let i = from; i < next; i++)
          messages.push(
            createMessage({
              value: i,
              timestamp: T0 + i * 1000,
              meta: { topic: config.topic, partition: 0, offset: String(i) },
            }),
          );
        await ctx.emit(messages);
      }
      unregister();
    },
  }),
);

const registry = createNodeRegistry([...nodeDefinitions, collectSink, itemsSource, logSource]);
const T0 = Date.UTC(2026, 0, 1);
const items = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key: null, value: from + i, timestamp: T0 + (from + i) * 1000 }));

let flows = 0;

function checkpointFlow(
  onRecovery: 'resume' | 'reprocess',
  depDelayMs: number,
  orders: 'items' | 'log' = 'items',
): FlowDocument {
  const node = (id: string, type: string, config: Record<string, unknown>) => ({
    id,
    type,
    typeVersion: 1,
    position: { x: 0, y: 0 },
    config,
  });
  const edge = (source: string, target: string, sourcePort = 'out') => ({
    id: `${source}:${sourcePort}->${target}`,
    source,
    sourcePort,
    target,
    targetPort: 'in',
  });
  return {
    schemaVersion: 1,
    id: `checkpoint-test-${++flows}`,
    name: 'checkpoint test',
    nodes: [
      // The dependency: up to 5 s, then silent until the second source starts (after depDelayMs).
      node('dep-a', 'test-items', { items: items(0, 5) }),
      node('dep-b', 'test-items', { items: items(6, 60), delayMs: 400 + depDelayMs }),
      node('beat-a', 'checkpoint', { name: 'prices', role: 'dependency' }),
      node('beat-b', 'checkpoint', { name: 'prices', role: 'dependency' }),
      // Starts once the first part of the dependency is surely in (the sources run concurrently).
      orders === 'items'
        ? node('orders', 'test-items', { items: items(0, 40), delayMs: 400 })
        : node('orders', 'test-log', { topic: 'orders', count: 41, batch: 4, delayMs: 400 }),
      node('gate', 'checkpoint', { name: 'prices', threshold: '10s', onRecovery }),
      node('out', 'test-collect', {}),
      node('status', 'test-collect', {}),
      node('dep-out', 'test-collect', {}),
    ],
    edges: [
      edge('dep-a', 'beat-a'),
      edge('dep-b', 'beat-b'),
      edge('beat-a', 'dep-out'),
      edge('beat-b', 'dep-out'),
      edge('orders', 'gate'),
      edge('gate', 'out'),
      edge('gate', 'status', 'status'),
    ],
  };
}

const start = (doc: FlowDocument) =>
  startFlow(doc, { registry, dataDir: mkdtempSync(join(tmpdir(), 'tributary-checkpoint-')) });
const valuesOf = (id: string) => (collected.get(id) ?? []).map((m) => m.value as number);

async function waitFor(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeEach(() => {
  collected.clear();
  acks.length = 0;
  seeks.length = 0;
});

describe('checkpoint', () => {
  it('pauses the dependent while the dependency is more than the threshold behind, then resumes', async () => {
    const flow = await start(checkpointFlow('resume', 1_500));
    await waitFor('the down status', () => (collected.get('status') ?? []).length >= 1);
    const down = collected.get('status')![0]!.value as Record<string, unknown>;
    expect(down).toMatchObject({
      state: 'down',
      checkpoint: 'prices',
      dependencyTime: T0 + 5000,
      dependentTime: T0 + 16_000,
    });
    // Paused: nothing past 15 s (5 s heartbeat + 10 s threshold) went on, and it stays so.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Math.max(...valuesOf('out'))).toBe(15);
    expect(flow.stats().nodes.gate!.custom.down).toBe(1);

    expect((await flow.done).state).toBe('finished');
    expect(valuesOf('out')).toEqual(items(0, 40).map((i) => i.value));
    const recovered = collected.get('status')![1]!.value as Record<string, unknown>;
    expect(recovered).toMatchObject({ state: 'recovered', reprocessed: 0 });
    expect(recovered.downtimeSeconds).toBeGreaterThan(0.5);
    const stats = flow.stats().nodes.gate!.custom;
    expect(stats.down).toBe(0);
    expect(stats.downtimes).toBe(1);
    expect(stats.downtimeSeconds).toBeGreaterThan(0.5);
    expect(acks.every((a) => a.ok)).toBe(true);
  });

  it('reprocess: on recovery, the source is rewound to the first message after the last heartbeat and reads it again, marked', async () => {
    const flow = await start(checkpointFlow('reprocess', 800, 'log'));
    try {
      await waitFor('every order through once and 6..15 again', () => (collected.get('out') ?? []).length === 41 + 10);
      const down = collected.get('status')![0]!.value as Record<string, unknown>;
      expect(down).toMatchObject({
        state: 'down',
        position: { topic: 'orders', partition: 0, offset: '16' },
        rewindTo: [{ topic: 'orders', partition: 0, offset: '6' }],
      });
      const out = collected.get('out')!;
      // In order: up to the pause, then what passed after the last heartbeat (5 s) again, then on.
      // What had been fetched past the pause before the rewind is not passed on twice.
      expect(out.map((m) => `${m.value as number}${m.meta.reprocessed === true ? 'r' : ''}`)).toEqual([
        ...items(0, 15).map((i) => `${i.value}`),
        ...items(6, 15).map((i) => `${i.value}r`),
        ...items(16, 40).map((i) => `${i.value}`),
      ]);
      expect(seeks).toHaveLength(1);
      expect(seeks[0]![0]).toBe(6);
      await waitFor('the recovered status', () => (collected.get('status') ?? []).length === 2);
      expect(collected.get('status')![1]!.value).toMatchObject({
        state: 'recovered',
        reprocessed: 10,
        rewound: [{ topic: 'orders', partition: 0, from: '6', to: '16' }],
      });
      expect(flow.stats().nodes.gate!.custom.reprocessed).toBe(10);
    } finally {
      await flow.stop();
    }
  });

  it('reprocess on a source that cannot be rewound: resumes without reprocessing and says why', async () => {
    const flow = await start(checkpointFlow('reprocess', 800));
    expect((await flow.done).state).toBe('finished');
    const out = collected.get('out')!;
    expect(out.map((m) => m.value)).toEqual(items(0, 40).map((i) => i.value));
    expect(out.some((m) => m.meta.reprocessed === true)).toBe(false);
    const [down, recovered] = collected.get('status')!.map((m) => m.value as Record<string, unknown>);
    expect(down!.rewindError).toContain('10 message(s) without a Kafka position');
    expect(recovered).toMatchObject({ state: 'recovered', reprocessed: 0, rewound: [] });
    expect(recovered!.rewindError).toContain('cannot be read again');
    expect(flow.stats().nodes.gate!.custom.rewindErrors).toBe(1);
    expect(acks.every((a) => a.ok)).toBe(true);
  });

  it('stopping while paused leaves the paused message unconfirmed (its source reads it again)', async () => {
    const flow = await start(checkpointFlow('resume', 60_000));
    await waitFor('the down status', () => (collected.get('status') ?? []).length >= 1);
    await flow.stop({ drainTimeoutMs: 2_000 });
    const paused = acks.find((a) => a.first === 16);
    expect(paused?.ok ?? false).toBe(false);
  });
});
