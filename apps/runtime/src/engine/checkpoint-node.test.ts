/**
 * The `checkpoint` node through the real engine: a dependent stream pauses while its dependency's
 * heartbeat is behind, then resumes or reprocesses; status messages tell a flow about it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry, nodeDefinitions } from '@tributary/nodes/runtime';
import { startFlow } from './index.js';
import { acks, collectSink, collected, itemsSource } from './testing/stream-test-nodes.js';

const registry = createNodeRegistry([...nodeDefinitions, collectSink, itemsSource]);
const T0 = Date.UTC(2026, 0, 1);
const items = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key: null, value: from + i, timestamp: T0 + (from + i) * 1000 }));

let flows = 0;

function checkpointFlow(onRecovery: 'resume' | 'reprocess', depDelayMs: number): FlowDocument {
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
      node('orders', 'test-items', { items: items(0, 40), delayMs: 400 }),
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

  it('reprocess: on recovery, the messages that passed after the last heartbeat are sent again, marked', async () => {
    const flow = await start(checkpointFlow('reprocess', 800));
    expect((await flow.done).state).toBe('finished');
    const out = collected.get('out')!;
    const again = out.filter((m) => m.meta.reprocessed === true).map((m) => m.value);
    expect(again).toEqual(items(6, 15).map((i) => i.value));
    expect(out.filter((m) => m.meta.reprocessed !== true).map((m) => m.value)).toEqual(
      items(0, 40).map((i) => i.value),
    );
    expect((collected.get('status')![1]!.value as { reprocessed: number }).reprocessed).toBe(10);
    expect(acks.length).toBe(41 + 6 + 55);
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
