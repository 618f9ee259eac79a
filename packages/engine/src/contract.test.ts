/**
 * The engine contract that sources and stateful nodes build on (issue 9, points 1 and 2):
 * a promise from `emit` means a full queue and nothing else; derived messages hold the acks of
 * every input they came from; held inputs never stay unanswered.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMessage, type FlowDocument, type FlowMessage, type SourceContext } from '@tributary/shared';
import { DEFAULT_QUEUE_CAPACITY, startFlow, type FlowRun } from './index.js';
import { memoryStore } from './testing/memory-store.js';
import { collected, holders, probes, releaseHeld, testRegistry } from './testing/test-nodes.js';

type NodeSpec = [id: string, type: string, config?: Record<string, unknown>];

function chain(nodes: NodeSpec[], settings?: FlowDocument['settings']): FlowDocument {
  return {
    schemaVersion: 1,
    id: 'contract',
    name: 'Contract',
    ...(settings ? { settings } : {}),
    nodes: nodes.map(([id, type, config]) => ({ id, type, typeVersion: 1, config: config ?? {} })),
    edges: nodes.slice(1).map(([target], i) => ({
      id: `e${i}`,
      source: nodes[i]![0],
      sourcePort: 'out',
      target,
      targetPort: 'in',
    })),
  };
}

const runs: FlowRun[] = [];
async function start(doc: FlowDocument): Promise<FlowRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-contract-'));
  const run = await startFlow(doc, { registry: testRegistry, dataDir }, () => memoryStore());
  runs.push(run);
  return run;
}

/** Waits (on a loaded machine, generously) until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function probe(id = 'src'): Promise<SourceContext> {
  await until(() => probes.has(id), `probe ${id} to run`);
  return probes.get(id)!;
}

const msgs = (...values: number[]): FlowMessage[] => values.map((value) => createMessage({ value }));
const pending = (promise: Promise<unknown>) => {
  const state = { settled: false };
  void promise.then(() => (state.settled = true));
  return state;
};

beforeEach(async () => {
  releaseHeld();
  await Promise.all(runs.splice(0).map((run) => run.stop({ drainTimeoutMs: 100 })));
  probes.clear();
  holders.clear();
  collected.clear();
});

describe('contract: emit answers a promise only when a queue is full', () => {
  it('a source emitting one message every 12 ms into an empty flow is never told to pause', async () => {
    const run = await start(
      chain([
        ['src', 'test-probe'],
        ['x2', 'test-double'],
        ['sink', 'test-collect'],
      ]),
    );
    const ctx = await probe();
    let pauses = 0;
    for (let i = 0; i < 40; i++) {
      if (ctx.emit(msgs(i)) !== undefined) pauses++;
      await new Promise((resolve) => setTimeout(resolve, 12));
    }
    await until(() => (collected.get('sink')?.length ?? 0) === 40, 'every message at the sink');
    expect(pauses).toBe(0);
    await run.stop();
  });

  it('a burst that outruns the engine is never told to pause while the queues have room', async () => {
    await start(
      chain([
        ['src', 'test-probe'],
        ['x2', 'test-double'],
        ['sink', 'test-collect', { keep: false }],
      ]),
    );
    const ctx = await probe();
    let pauses = 0;
    // 8 batches that together stay below the default capacity of the first queue, whatever the scheduling.
    const size = Math.floor((DEFAULT_QUEUE_CAPACITY - 1) / 8);
    for (let i = 0; i < 8; i++)
      if (ctx.emit(msgs(...Array.from({ length: size }, (_, j) => j))) !== undefined) pauses++;
    expect(pauses).toBe(0);
  });

  it('a full queue answers a promise that resolves once the consumer made room', async () => {
    await start(
      chain(
        [
          ['src', 'test-probe'],
          ['sink', 'test-collect', { hold: true }],
        ],
        { queueCapacity: 4 },
      ),
    );
    const ctx = await probe();
    const first = ctx.emit(msgs(1, 2, 3, 4));
    expect(first).toBeInstanceOf(Promise);
    await first; // the sink took the batch (and holds it): the queue is empty again
    const second = ctx.emit(msgs(5, 6, 7, 8));
    expect(second).toBeInstanceOf(Promise);
    const state = pending(second!);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(state.settled).toBe(false); // the sink still holds the first batch, so the second waits in the queue
    releaseHeld();
    await second;
    releaseHeld();
    await until(() => collected.get('sink')?.length === 8, 'both batches at the sink');
  });
});

describe('contract: many-to-one lineage (holds)', () => {
  /** probe → hold (the test's window) → sink (held until released), with three acked inputs held. */
  async function heldInputs(sinkHolds = true) {
    const run = await start(
      chain([
        ['src', 'test-probe'],
        ['window', 'test-hold'],
        ['sink', 'test-collect', { hold: sinkHolds }],
      ]),
    );
    const ctx = await probe();
    const acks: { batch: number; ok: boolean }[] = [];
    for (let batch = 0; batch < 3; batch++)
      void ctx.emit(msgs(batch * 10, batch * 10 + 1), (ok) => acks.push({ batch, ok }));
    await until(() => holders.get('window')?.holds.length === 3, 'three held batches');
    return { run, acks, window: holders.get('window')! };
  }

  it('confirms no input before the derived message is confirmed, and every input after', async () => {
    const { acks, window } = await heldInputs();
    const sum = window.inputs.reduce((n, m) => n + (m.value as number), 0);
    expect(acks).toEqual([]); // held by the window
    expect(window.ctx.emitFrom(msgs(sum), window.holds)).toBeUndefined();
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(acks).toEqual([]); // the derived message is in the sink's hands, not yet durable
    releaseHeld();
    await until(() => acks.length === 3, 'three acks');
    expect(acks.sort((a, b) => a.batch - b.batch)).toEqual([
      { batch: 0, ok: true },
      { batch: 1, ok: true },
      { batch: 2, ok: true },
    ]);
    expect(collected.get('sink')!.map((m) => m.value)).toEqual([63]);
  });

  it('fails every input (ok: false) when the derived message fails downstream', async () => {
    const run = await start(
      chain([
        ['src', 'test-probe'],
        ['window', 'test-hold'],
        ['second', 'test-hold'],
      ]),
    );
    const ctx = await probe();
    const acks: boolean[] = [];
    void ctx.emit(msgs(1), (ok) => acks.push(ok));
    void ctx.emit(msgs(2), (ok) => acks.push(ok));
    await until(() => holders.get('window')?.holds.length === 2, 'two held batches');
    const window = holders.get('window')!;
    void window.ctx.emitFrom(msgs(3), window.holds);
    await until(() => holders.get('second')?.holds.length === 1, 'the derived message held downstream');
    expect(acks).toEqual([]);
    const second = holders.get('second')!;
    second.ctx.release(second.holds, false);
    await until(() => acks.length === 2, 'two acks');
    expect(acks).toEqual([false, false]);
    await run.stop();
  });

  it('release confirms (ok: true) or fails (ok: false) held inputs without output', async () => {
    const { acks, window } = await heldInputs();
    window.ctx.release([window.holds[0]!, window.holds[2]!], true);
    window.ctx.release([window.holds[1]!], false);
    await until(() => acks.length === 3, 'three acks');
    expect(acks.sort((a, b) => a.batch - b.batch).map((a) => a.ok)).toEqual([true, false, true]);
    expect(collected.get('sink')).toBeUndefined();
  });

  it('refuses a hold used twice, and a hold repeated in one call', async () => {
    const { acks, window } = await heldInputs(false);
    const [a, b, c] = window.holds as [never, never, never];
    void window.ctx.emitFrom(msgs(1), [a]);
    expect(() => window.ctx.release([a], true)).toThrow(/twice/);
    expect(() => window.ctx.emitFrom(msgs(2), [a, b])).toThrow(/twice/);
    expect(() => window.ctx.release([c, c], true)).toThrow(/twice/);
    // A refused call consumes nothing: b and c are still the window's to give up.
    window.ctx.release([b, c], true);
    await until(() => acks.length === 3, 'three acks');
    expect(acks.every((ack) => ack.ok)).toBe(true);
  });

  it('fails held inputs (ok: false) when the flow stops, so the source replays them', async () => {
    const { run, acks, window } = await heldInputs(false);
    window.ctx.release([window.holds[0]!], true);
    await until(() => acks.length === 1, 'the released input confirmed');
    const result = await run.stop();
    expect(result.state).toBe('stopped');
    expect(acks.sort((a, b) => a.batch - b.batch)).toEqual([
      { batch: 0, ok: true },
      { batch: 1, ok: false },
      { batch: 2, ok: false },
    ]);
    // A node that gives its holds up late (say, in a timer) is not an error: the engine already answered.
    expect(() => window.ctx.release(window.holds.slice(1), true)).not.toThrow();
    expect(window.ctx.emitFrom(msgs(9), window.holds.slice(1))).toBeUndefined();
    expect(acks).toHaveLength(3);
  });

  it('a finite flow that ends with inputs still held fails them too', async () => {
    const doc = chain([
      ['src', 'test-count', { count: 10, batch: 5, withAcks: true }],
      ['window', 'test-hold'],
    ]);
    const { acks } = await import('./testing/test-nodes.js');
    acks.length = 0;
    const run = await start(doc);
    const result = await run.done;
    expect(result.state).toBe('finished');
    expect(acks).toEqual([
      { first: 0, size: 5, ok: false },
      { first: 5, size: 5, ok: false },
    ]);
  });

  it('fails (ok: false) a batch whose process never returns when the flow stops', async () => {
    const run = await start(
      chain([
        ['src', 'test-probe'],
        ['sink', 'test-collect', { hold: true }],
      ]),
    );
    const ctx = await probe();
    const acks: boolean[] = [];
    void ctx.emit(msgs(1), (ok) => acks.push(ok));
    await until(() => run.stats().nodes.sink!.queues.in!.size === 0, 'the sink to take the batch');
    const result = await run.stop({ drainTimeoutMs: 50 });
    expect(result.state).toBe('stopped');
    expect(acks).toEqual([false]);
  }, 30_000);
});
