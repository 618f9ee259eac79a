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
import { acks, collectSink, collected, itemsSource, releaseHeld } from '@tributary/engine/testing';

const registry = createNodeRegistry([...nodeDefinitions, collectSink, itemsSource]);

interface Item {
  key: string | null;
  value: unknown;
  timestamp: number;
  meta?: Record<string, unknown>;
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

describe('window: kinds and aggregations', () => {
  const series: Item[] = [
    { key: 'a', value: 4, timestamp: sec(1) },
    { key: 'a', value: 2, timestamp: sec(3) },
    { key: 'a', value: 9, timestamp: sec(6) },
    { key: 'a', value: 1, timestamp: sec(30) },
  ];

  it('hopping windows: a message counts in every window that covers it', async () => {
    const flow = await run(windowFlow(series, { kind: 'hopping', size: '10s', slide: '5s', aggregate: 'sum' }));
    await flow.done;
    expect(byId(results())).toEqual({
      [`a|${sec(-5)}|${sec(5)}`]: 6,
      [`a|${sec(0)}|${sec(10)}`]: 15,
      [`a|${sec(5)}|${sec(15)}`]: 9,
      [`a|${sec(25)}|${sec(35)}`]: 1,
      [`a|${sec(30)}|${sec(40)}`]: 1,
    });
    expect(acks.every((a) => a.ok) && acks.length === series.length).toBe(true);
  });

  it('session windows: close after the gap, and a message that bridges two sessions merges them', async () => {
    const items: Item[] = [
      { key: 'u', value: 1, timestamp: sec(0) },
      { key: 'u', value: 1, timestamp: sec(8) }, // a second session (gap 5 s)
      { key: 'u', value: 1, timestamp: sec(4) }, // bridges [0,5) and [8,13) into [0,13)
      { key: 'u', value: 1, timestamp: sec(40) },
    ];
    const flow = await run(windowFlow(items, { kind: 'session', gap: '5s', lateness: '10s' }));
    await flow.done;
    expect(byId(results())).toEqual({ [`u|${sec(0)}|${sec(13)}`]: 3, [`u|${sec(40)}|${sec(45)}`]: 1 });
    expect(acks.every((a) => a.ok) && acks.length === items.length).toBe(true);
  });

  it.each([
    ['min', {}, 2],
    ['max', {}, 9],
    ['avg', {}, 5],
    ['first', {}, 4],
    ['last', {}, 9],
    ['collect', { collectLimit: 2 }, [4, 2]],
    ['reduce', { reduce: 'return acc * value;', initial: '1' }, 72],
  ])('%s over a window', async (aggregate, extra, expected) => {
    const flow = await run(windowFlow(series, { size: '10s', aggregate, ...extra }));
    await flow.done;
    expect(byId(results())[`a|${sec(0)}|${sec(10)}`]).toEqual(expected);
  });

  it('first and last follow event time, not arrival order; collect lists values in event-time order', async () => {
    const items: Item[] = [
      { key: 'a', value: 'second', timestamp: sec(2) },
      { key: 'a', value: 'first', timestamp: sec(1) },
      { key: 'a', value: 'third', timestamp: sec(3) },
    ];
    for (const [aggregate, expected] of [
      ['first', 'first'],
      ['last', 'third'],
      ['collect', ['first', 'second', 'third']],
    ] as const) {
      collected.clear();
      const flow = await run(windowFlow(items, { size: '10s', aggregate, lateness: '5s' }));
      await flow.done;
      expect(byId(results())).toEqual({ [`a|${sec(0)}|${sec(10)}`]: expected });
    }
  });

  it('groups by a key expression, or all messages in one window when the key is empty', async () => {
    const items: Item[] = [
      { key: 'x', value: { country: 'fr' }, timestamp: sec(1) },
      { key: 'y', value: { country: 'fr' }, timestamp: sec(2) },
      { key: 'z', value: { country: 'de' }, timestamp: sec(3) },
    ];
    let flow = await run(windowFlow(items, { size: '10s', key: 'value.country' }));
    await flow.done;
    expect(byId(results())).toEqual({ [`fr|${sec(0)}|${sec(10)}`]: 2, [`de|${sec(0)}|${sec(10)}`]: 1 });
    collected.clear();
    flow = await run(windowFlow(items, { size: '10s', key: '' }));
    await flow.done;
    expect(byId(results())).toEqual({ [`|${sec(0)}|${sec(10)}`]: 3 });
  });

  it('reads the event time from a field, as ms or ISO text', async () => {
    const items: Item[] = [
      { key: 'a', value: { at: new Date(sec(1)).toISOString() }, timestamp: 0 },
      { key: 'a', value: { at: sec(12) }, timestamp: 0 },
    ];
    const flow = await run(windowFlow(items, { size: '10s', timestamp: 'value.at' }));
    await flow.done;
    expect(byId(results())).toEqual({ [`a|${sec(0)}|${sec(10)}`]: 1, [`a|${sec(10)}|${sec(20)}`]: 1 });
  });
});

describe('window: bad input and timing', () => {
  it('sends a value an aggregation cannot take and an unreadable timestamp to the error port, counted', async () => {
    const items: Item[] = [
      { key: 'a', value: 5, timestamp: sec(1) },
      { key: 'a', value: 'five', timestamp: sec(2) },
      { key: 'a', value: null, timestamp: sec(3) },
    ];
    const flow = await run(
      windowFlow(items, { size: '10s', aggregate: 'sum', timestamp: 'value === null ? "soon" : msg.timestamp' }),
    );
    await flow.done;
    expect(byId(results())).toEqual({ [`a|${sec(0)}|${sec(10)}`]: 5 });
    const errors = collected.get('errors') ?? [];
    expect(errors.map((m) => m.meta.error?.code)).toEqual(['E_AGGREGATE', 'E_TIMESTAMP']);
    expect(flow.stats().nodes.win!.errors).toBe(2);
    expect(acks.every((a) => a.ok) && acks.length === 3).toBe(true);
  });

  it('refuses a hopping window without a slide, or with a slide longer than the size, at deploy', async () => {
    await expect(run(windowFlow([], { kind: 'hopping', size: '10s' }))).rejects.toThrow(
      /slide: hopping windows need a slide/,
    );
    await expect(run(windowFlow([], { kind: 'hopping', size: '10s', slide: '1m' }))).rejects.toThrow(
      /at most the size/,
    );
  });

  it('closes windows after the idle timeout with no further input (the watermark follows the wall clock)', async () => {
    const items: Item[] = [{ key: 'a', value: 1, timestamp: Date.now() - 60_000 }];
    const flow = await run(windowFlow(items, { size: '1s', idleTimeout: '200ms' }, { lingerMs: 60_000 }));
    await waitFor('the window to close by the idle timeout', () => results().length === 1);
    expect(results()[0]).toMatchObject({ count: 1, final: true });
    await waitFor('the input to be acked', () => acks.length === 1);
    expect(acks[0]!.ok).toBe(true);
    await flow.stop();
  });

  it('processing time: windows close by the wall clock; early results are marked not final', async () => {
    const items: Item[] = [
      { key: 'a', value: 1, timestamp: 0 },
      { key: 'a', value: 1, timestamp: 0 },
    ];
    const flow = await run(
      windowFlow(items, { time: 'processing', size: '1500ms', early: '100ms' }, { lingerMs: 60_000 }),
    );
    await waitFor('a final result', () => results().some((r) => r.final));
    const final = results().filter((r) => r.final);
    const early = results().filter((r) => !r.final);
    expect(final.reduce((n, r) => n + r.count, 0)).toBe(2);
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((r) => final.some((f) => f.windowId === r.windowId))).toBe(true);
    await flow.stop();
  });
});

describe('window: restarts', () => {
  it('after a restart, input read again does not reopen a window whose result was confirmed', async () => {
    const dir = dataDir();
    const items: Item[] = [
      { key: 'a', value: 1, timestamp: sec(1) },
      { key: 'a', value: 1, timestamp: sec(5) },
      { key: 'a', value: 1, timestamp: sec(15) }, // closes [0,10)
    ];
    let flow = await run(windowFlow(items, { size: '10s', idleTimeout: '1h' }, { lingerMs: 60_000 }), dir);
    await waitFor('[0,10) to be confirmed', () => acks.length === 2);
    await flow.stop();
    expect(results().map((r) => r.windowId)).toEqual([`a|${sec(0)}|${sec(10)}`]);

    // The source replays from the message at 5 s (say its commit was older): [0,10) must not come out again.
    collected.clear();
    acks.length = 0;
    flow = await run(windowFlow(items.slice(1), { size: '10s' }), dir);
    await flow.done;
    expect(byId(results())).toEqual({ [`a|${sec(10)}|${sec(20)}`]: 1 });
    expect(flow.stats().nodes.win!.custom.replayed).toBe(1);
    expect(acks.every((a) => a.ok) && acks.length === 2).toBe(true);
  });

  it('a result that was never delivered is not taken as final when a later one is confirmed: it comes out after a restart', async () => {
    const dir = dataDir();
    const items: Item[] = [
      { key: 'a', value: 1, timestamp: sec(1) }, // [0,10)
      { key: 'a', value: 1, timestamp: sec(12) }, // [10,20); closes [0,10)
      { key: 'a', value: 1, timestamp: sec(25) }, // [20,30); closes [10,20)
    ];
    const config = { size: '10s', lateness: '0s', idleTimeout: '1h' };
    // The sink keeps the result of [0,10) unconfirmed; the result of [10,20) waits in its queue.
    const flow = await run(windowFlow(items, config, { lingerMs: 60_000 }, { hold: true }), dir);
    await waitFor('both results out of the window', () => flow.stats().nodes.win!.custom.results === 2);
    // A stop whose drain times out: the queued result of [10,20) is dropped undelivered (its inputs
    // are failed, to be read again). Only then does the sink confirm [0,10).
    const stopped = flow.stop({ drainTimeoutMs: 100 });
    await waitFor('the inputs of [10,20) to be failed', () => acks.some((a) => a.first === 1 && !a.ok));
    releaseHeld();
    await stopped;
    expect(results().map((r) => r.windowId)).toEqual([`a|${sec(0)}|${sec(10)}`]);

    // The source reads again from its first unconfirmed input: [10,20) must come out now.
    collected.clear();
    acks.length = 0;
    const again = await run(windowFlow(items.slice(1), config), dir);
    await again.done;
    expect(byId(results())).toEqual({ [`a|${sec(10)}|${sec(20)}`]: 1, [`a|${sec(20)}|${sec(30)}`]: 1 });
  });

  /** Items read from partition 0 of a log: offset = index. */
  const fromLog = (items: Omit<Item, 'meta'>[]): Item[] =>
    items.map((item, i) => ({ ...item, meta: { topic: 'clicks', partition: 0, offset: String(i) } }));

  it('input read again in the same run (a rebalance that kept the partition, a rewind) is counted once, and confirmed with its window', async () => {
    const log = fromLog([
      { key: 'a', value: 1, timestamp: sec(1) },
      { key: 'a', value: 1, timestamp: sec(2) },
      { key: 'b', value: 1, timestamp: sec(3) },
      { key: 'a', value: 1, timestamp: sec(15) }, // closes [0,10)
    ]);
    // The source goes back to its confirmed position (offset 0) while [0,10) is still open, and reads on.
    const reread = [log[0]!, log[1]!, log[2]!, log[0]!, log[1]!, log[2]!, log[3]!];
    const config = { size: '10s', lateness: '0s', idleTimeout: '1h' };
    const flow = await run(windowFlow(reread, config));
    await flow.done;
    const once = results();
    expect(flow.stats().nodes.win!.custom.replayed).toBe(3);
    expect(acks.map((a) => a.ok)).toEqual(reread.map(() => true));

    collected.clear();
    const reference = await run(windowFlow(log, config));
    await reference.done;
    expect(byId(once)).toEqual(byId(results()));
    expect(byId(once)).toEqual({
      [`a|${sec(0)}|${sec(10)}`]: 2,
      [`b|${sec(0)}|${sec(10)}`]: 1,
      [`a|${sec(10)}|${sec(20)}`]: 1,
    });
  });

  it('sessions: input read again after a restart does not rebuild a confirmed session as a partial one', async () => {
    const dir = dataDir();
    const items = fromLog([
      { key: 'u', value: 1, timestamp: sec(11) }, // 0: session u
      { key: 'v', value: 1, timestamp: sec(10) }, // 1: session v
      { key: 'v', value: 1, timestamp: sec(14) }, // 2: v goes on to [10,19)
      { key: 'u', value: 1, timestamp: sec(12) }, // 3: u is [11,17)
      { key: 'x', value: 1, timestamp: sec(18) }, // 4: the watermark (18 s) closes u, not v
    ]);
    const config = { kind: 'session', gap: '5s', idleTimeout: '1h' };
    let flow = await run(windowFlow(items, config, { lingerMs: 60_000 }), dir);
    await waitFor('u to be confirmed', () => acks.length === 2);
    await flow.stop();
    const first = results();
    expect(first.map((r) => r.windowId)).toEqual([`u|${sec(11)}|${sec(17)}`]);

    // Offset 0 is confirmed, 1 is not: the source reads again from 1. Offset 3 (in u) is skipped.
    collected.clear();
    acks.length = 0;
    flow = await run(windowFlow(items.slice(1), config), dir);
    await flow.done;
    expect(flow.stats().nodes.win!.custom.replayed).toBe(1);
    const second = results();
    expect(acks.every((a) => a.ok) && acks.length === 4).toBe(true);

    // Every window id has the result one uninterrupted run over the input gives.
    collected.clear();
    const reference = await run(windowFlow(items, config));
    await reference.done;
    expect(byId([...first, ...second])).toEqual(byId(results()));
    expect(new Set([...first, ...second].map((r) => r.windowId)).size).toBe(first.length + second.length);
  });

  it('processing time: input read again after a restart is not counted again once its window was confirmed', async () => {
    const dir = dataDir();
    const items = fromLog([
      { key: 'a', value: 1, timestamp: 0 },
      { key: 'a', value: 1, timestamp: 0 },
      { key: 'a', value: 1, timestamp: 0 },
    ]);
    const config = { time: 'processing', size: '300ms' };
    let flow = await run(windowFlow(items.slice(0, 2), config, { lingerMs: 60_000 }), dir);
    await waitFor('both inputs confirmed in final results', () => acks.length === 2);
    await flow.stop();
    expect(results().reduce((n, r) => n + r.count, 0)).toBe(2);

    // Read again from the start (an older commit), with one new message: only that one counts.
    collected.clear();
    acks.length = 0;
    flow = await run(windowFlow(items, config), dir);
    await flow.done;
    expect(results().reduce((n, r) => n + r.count, 0)).toBe(1);
    expect(flow.stats().nodes.win!.custom.replayed).toBe(2);
    expect(acks.every((a) => a.ok) && acks.length === 3).toBe(true);
  });
});
