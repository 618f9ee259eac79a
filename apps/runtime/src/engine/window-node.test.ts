/**
 * The `window` node through the real engine (holds and end-of-input need it): results, watermark,
 * late routing, and that inputs are confirmed only once the results that hold them are.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowDocument, FlowMessage } from '@tributary/shared';
import { createNodeRegistry, nodeDefinitions } from '@tributary/nodes/runtime';
import { startFlow } from './index.js';
import { acks, collectSink, collected, itemsSource, releaseHeld } from './testing/test-nodes.js';

const registry = createNodeRegistry([...nodeDefinitions, collectSink, itemsSource]);

interface Item {
  key: string | null;
  value: unknown;
  timestamp: number;
}
interface WindowResult {
  windowId: string;
  key: string | null;
  start: number;
  end: number;
  count: number;
  result: unknown;
  final: boolean;
}

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const sec = (s: number) => T0 + s * 1000;

function windowFlow(
  items: Item[],
  window: Record<string, unknown>,
  source: Record<string, unknown> = {},
  sink: Record<string, unknown> = {},
): FlowDocument {
  return {
    schemaVersion: 1,
    id: 'window-test',
    name: 'window test',
    nodes: [
      { id: 'src', type: 'test-items', typeVersion: 1, position: { x: 0, y: 0 }, config: { items, ...source } },
      { id: 'win', type: 'window', typeVersion: 1, position: { x: 0, y: 0 }, config: window },
      { id: 'out', type: 'test-collect', typeVersion: 1, position: { x: 0, y: 0 }, config: sink },
      { id: 'late', type: 'test-collect', typeVersion: 1, position: { x: 0, y: 0 }, config: {} },
      { id: 'errors', type: 'test-collect', typeVersion: 1, position: { x: 0, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'src', sourcePort: 'out', target: 'win', targetPort: 'in' },
      { id: 'e2', source: 'win', sourcePort: 'out', target: 'out', targetPort: 'in' },
      { id: 'e3', source: 'win', sourcePort: 'late', target: 'late', targetPort: 'in' },
      { id: 'e4', source: 'win', sourcePort: 'error', target: 'errors', targetPort: 'in' },
    ],
  };
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'tributary-window-'));
const run = (doc: FlowDocument, dir = dataDir()) => startFlow(doc, { registry, dataDir: dir });
const results = (id = 'out') => (collected.get(id) ?? []).map((m: FlowMessage) => m.value as WindowResult);
const byId = (list: WindowResult[]) => Object.fromEntries(list.map((r) => [r.windowId, r.result]));

async function waitFor(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(() => {
  collected.clear();
  acks.length = 0;
  releaseHeld();
});

describe('window: event-time tumbling', () => {
  it('counts per key and window, takes out-of-order input within the lateness, and sends late input to the late port', async () => {
    const items: Item[] = [
      { key: 'a', value: 1, timestamp: sec(1) },
      { key: 'b', value: 1, timestamp: sec(2) },
      { key: 'a', value: 1, timestamp: sec(11) }, // watermark 11 - 5 = 6
      { key: 'a', value: 1, timestamp: sec(8) }, // out of order, within lateness: window [0,10)
      { key: 'a', value: 1, timestamp: sec(17) }, // watermark 12: [0,10) closes
      { key: 'b', value: 1, timestamp: sec(3) }, // late: [0,10) is closed
      { key: 'b', value: 1, timestamp: sec(25) },
    ];
    const flow = await run(windowFlow(items, { size: '10s', lateness: '5s' }));
    expect((await flow.done).state).toBe('finished');
    const out = results();
    expect(byId(out)).toEqual({
      [`a|${sec(0)}|${sec(10)}`]: 2,
      [`b|${sec(0)}|${sec(10)}`]: 1,
      [`a|${sec(10)}|${sec(20)}`]: 2,
      [`b|${sec(20)}|${sec(30)}`]: 1,
    });
    expect(out.every((r) => r.final)).toBe(true);
    expect(out[0]).toMatchObject({ key: 'a', start: sec(0), end: sec(10), count: 2 });
    expect((collected.get('late') ?? []).map((m) => m.timestamp)).toEqual([sec(3)]);
    const stats = flow.stats().nodes.win!;
    expect(stats.custom.late).toBe(1);
    expect(stats.custom.held).toBe(0);
    expect(acks.every((a) => a.ok)).toBe(true);
    expect(acks).toHaveLength(items.length);
  });

  it('keeps inputs unconfirmed until the result holding them is confirmed by the sink', async () => {
    const items: Item[] = [
      { key: 'k', value: 1, timestamp: sec(1) },
      { key: 'k', value: 1, timestamp: sec(2) },
      { key: 'k', value: 1, timestamp: sec(12) }, // closes [0,10)
    ];
    const flow = await run(windowFlow(items, { size: '10s', idleTimeout: '1h' }, { lingerMs: 60_000 }, { hold: true }));
    await waitFor('the result of [0,10) to reach the sink', () => flow.stats().nodes.win!.custom.results === 1);
    // The sink has the result but has not confirmed it: no input of that window may be acked.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acks).toEqual([]);
    expect(flow.stats().nodes.win!.custom.held).toBe(3);
    releaseHeld();
    await waitFor('the inputs of [0,10) to be acked', () => acks.length === 2);
    expect(acks.map((a) => [a.first, a.ok])).toEqual([
      [0, true],
      [1, true],
    ]);
    expect(flow.stats().nodes.win!.custom.held).toBe(1);
    await flow.stop();
  });
});
