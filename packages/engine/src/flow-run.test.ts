import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowDocument, FlowLogEntry, NodeErrorEvent } from '@tributary/shared';
import { FlowValidationError, startFlow } from './index.js';
import { memoryStore } from './testing/memory-store.js';
import { acks, collected, releaseHeld, sumAcks, testRegistry } from './testing/test-nodes.js';

type NodeSpec = [id: string, type: string, config?: Record<string, unknown>];
type EdgeSpec = [from: string, to: string, sourcePort?: string];

function flow(nodes: NodeSpec[], edges: EdgeSpec[], settings?: FlowDocument['settings']): FlowDocument {
  return {
    schemaVersion: 1,
    id: 'test-flow',
    name: 'Test flow',
    ...(settings ? { settings } : {}),
    nodes: nodes.map(([id, type, config]) => ({
      id,
      type,
      typeVersion: 1,
      position: { x: 0, y: 0 },
      config: config ?? {},
    })),
    edges: edges.map(([source, target, sourcePort]) => ({
      id: `${source}:${sourcePort ?? 'out'}->${target}`,
      source,
      sourcePort: sourcePort ?? 'out',
      target,
      targetPort: 'in',
    })),
  };
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'tributary-engine-'));
const start = (doc: FlowDocument, extra: Partial<Parameters<typeof startFlow>[1]> = {}) =>
  startFlow(doc, { registry: testRegistry, dataDir: dataDir(), ...extra }, () => memoryStore());
const values = (id: string) => (collected.get(id) ?? []).map((m) => m.value as number);
const range = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));

beforeEach(() => {
  collected.clear();
  acks.length = 0;
  sumAcks.length = 0;
  releaseHeld();
});

describe('engine: routing', () => {
  it('runs source → handler → sink in order and finishes when the source ends', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 10_000, batch: 128 }],
          ['x2', 'test-double'],
          ['sink', 'test-collect'],
        ],
        [
          ['src', 'x2'],
          ['x2', 'sink'],
        ],
      ),
    );
    const result = await run.done;
    expect(result.state).toBe('finished');
    expect(values('sink')).toEqual(range(10_000, (i) => i * 2));
    const stats = run.stats();
    expect(stats.nodes.src!.out).toBe(10_000);
    expect(stats.nodes.x2!.in).toBe(10_000);
    expect(stats.nodes.sink!.in).toBe(10_000);
    expect(stats.edges['x2:out->sink']!.total).toBe(10_000);
    expect(stats.nodes.sink!.latencyMs.max).toBeGreaterThan(0);
    expect([stats.nodes.src!.state, stats.nodes.x2!.state, stats.nodes.sink!.state]).toEqual([
      'finished',
      'finished',
      'finished',
    ]);
  });

  it('fans out without cloning: both branches get the very same message objects', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 1000 }],
          ['a', 'test-collect'],
          ['b', 'test-collect'],
        ],
        [
          ['src', 'a'],
          ['src', 'b'],
        ],
      ),
    );
    await run.done;
    const a = collected.get('a')!;
    const b = collected.get('b')!;
    expect(a).toHaveLength(1000);
    expect(b).toHaveLength(1000);
    a.forEach((msg, i) => expect(msg).toBe(b[i]));
  });

  it('fans in from two sources and keeps each source’s order', async () => {
    const run = await start(
      flow(
        [
          ['s1', 'test-count', { count: 5000, batch: 50 }],
          ['s2', 'test-count', { count: 3000, batch: 70 }],
          ['sink', 'test-collect'],
        ],
        [
          ['s1', 'sink'],
          ['s2', 'sink'],
        ],
      ),
    );
    await run.done;
    const got = collected.get('sink')!;
    expect(got).toHaveLength(8000);
    const vals = got.map((m) => m.value as number);
    // Only s1 emits values ≥ 3000: they must arrive in s1's order. Below that, each value came once from each source.
    expect(vals.filter((v) => v >= 3000)).toEqual(range(2000, (i) => i + 3000));
    expect(vals.filter((v) => v < 3000).sort((x, y) => x - y)).toEqual(range(6000, (i) => Math.floor(i / 2)));
  });

  it('skips disabled nodes and the edges through them', async () => {
    const doc = flow(
      [
        ['src', 'test-count', { count: 100 }],
        ['x2', 'test-double'],
        ['sink', 'test-collect'],
      ],
      [
        ['src', 'x2'],
        ['x2', 'sink'],
        ['src', 'sink'],
      ],
    );
    doc.nodes[1]!.disabled = true;
    const run = await start(doc);
    await run.done;
    expect(values('sink')).toEqual(range(100));
  });

  it('rejects an invalid flow with every problem and its path', async () => {
    const doc = flow(
      [
        ['src', 'test-count', { count: 'many' }],
        ['sink', 'no-such-type'],
      ],
      [
        ['src', 'sink'],
        ['src', 'ghost'],
      ],
    );
    const error: unknown = await start(doc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowValidationError);
    const paths = (error as FlowValidationError).problems.map((p) => p.path);
    expect(paths).toContain('/nodes/0/config/count');
    expect(paths).toContain('/nodes/1/type');
    expect(paths.some((p) => p.startsWith('/edges/1'))).toBe(true);
  });
});

describe('engine: backpressure', () => {
  it('keeps memory bounded: a fast source never runs more than the queue capacity ahead of a slow sink', async () => {
    const capacity = 2048;
    const batch = 256;
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 5_000_000, batch }],
          ['sink', 'test-collect', { delayMs: 2, keep: false }],
        ],
        [['src', 'sink']],
        {
          queueCapacity: capacity,
        },
      ),
    );
    let worstAhead = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const s = run.stats();
      worstAhead = Math.max(worstAhead, s.nodes.src!.out - s.nodes.sink!.in);
      expect(s.nodes.sink!.queues.in!.size).toBeLessThanOrEqual(capacity + batch);
    }
    const result = await run.stop({ drainTimeoutMs: 5000 });
    expect(result.state).toBe('stopped');
    // queue (capacity + one overshooting batch) + the batch in the sink's hands
    expect(worstAhead).toBeLessThanOrEqual(capacity + 2 * batch);
    const s = run.stats();
    expect(s.nodes.src!.out).toBeLessThan(1_000_000);
    expect(s.nodes.sink!.in).toBe(s.nodes.src!.out); // stop drained everything in flight
  });
});

describe('engine: acks', () => {
  it('acks a source batch only once every derived message was confirmed by every sink', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 10, batch: 5, withAcks: true }],
          ['fast', 'test-collect'],
          ['slow', 'test-collect', { hold: true }],
        ],
        [
          ['src', 'fast'],
          ['src', 'slow'],
        ],
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(collected.get('fast')).toHaveLength(10);
    expect(acks).toEqual([]); // the held sink has not confirmed
    releaseHeld();
    await new Promise((resolve) => setTimeout(resolve, 30));
    releaseHeld();
    await run.done;
    expect(acks).toEqual([
      { first: 0, size: 5, ok: true },
      { first: 5, size: 5, ok: true },
    ]);
  });

  it('acks messages a filter dropped and messages that went to an error port', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 20, batch: 10, withAcks: true }],
          ['x2', 'test-double', { dropOdd: true, failOn: [4] }],
          ['sink', 'test-collect'],
          ['dlq', 'test-collect'],
        ],
        [
          ['src', 'x2'],
          ['x2', 'sink'],
          ['x2', 'dlq', 'error'],
        ],
      ),
    );
    const result = await run.done;
    expect(result.state).toBe('finished');
    expect(acks.map((a) => a.ok)).toEqual([true, true]);
    expect(values('sink')).toEqual(
      range(10, (i) => i * 2)
        .filter((v) => v !== 4)
        .map((v) => v * 2),
    );
    const dead = collected.get('dlq')!;
    expect(dead.map((m) => m.value)).toEqual([4]);
    expect(dead[0]!.meta.error).toMatchObject({ code: 'E_HANDLER_THREW', message: 'cannot double 4', nodeId: 'x2' });
    const stats = run.stats().nodes.x2!;
    expect(stats.errors).toBe(1);
    expect(stats.dropped).toBe(10);
  });

  it('does not ack (ok: false) what a drain timeout abandoned', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 1000, batch: 100, withAcks: true }],
          ['sink', 'test-collect', { hold: true }],
        ],
        [['src', 'sink']],
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopping = run.stop({ drainTimeoutMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    releaseHeld(); // the batch in the sink's hands completes after the timeout
    const result = await stopping;
    expect(result.abandoned).toBeGreaterThan(0);
    expect(acks.filter((a) => !a.ok).length).toBeGreaterThan(0);
    expect(acks.filter((a) => a.ok).reduce((n, a) => n + a.size, 0)).toBeLessThanOrEqual(100);
  });
});

describe('engine: errors', () => {
  it('counts and logs handler errors with no error port, and keeps running', async () => {
    const logs: FlowLogEntry[] = [];
    const errors: NodeErrorEvent[] = [];
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 100 }],
          ['x2', 'test-double', { failOn: [3, 50] }],
          ['sink', 'test-collect'],
        ],
        [
          ['src', 'x2'],
          ['x2', 'sink'],
        ],
      ),
      { onLog: (e) => logs.push(e), onNodeError: (e) => errors.push(e) },
    );
    const result = await run.done;
    expect(result.state).toBe('finished');
    expect(values('sink')).toHaveLength(98);
    expect(run.stats().nodes.x2!.errors).toBe(2);
    expect(errors.reduce((n, e) => n + e.count, 0)).toBe(2);
    expect(errors[0]).toMatchObject({ nodeId: 'x2', code: 'E_HANDLER_THREW' });
    expect(logs.some((l) => l.level === 'error' && l.nodeId === 'x2' && l.message.includes('cannot double 3'))).toBe(
      true,
    );
  });

  it('marks the flow failed, naming the source, when a source throws', async () => {
    const states: string[] = [];
    const run = await start(
      flow(
        [
          ['bad', 'test-fail-source'],
          ['sink', 'test-collect'],
        ],
        [['bad', 'sink']],
      ),
      {
        onStateChange: (s) => states.push(s),
      },
    );
    const result = await run.done;
    expect(result.state).toBe('failed');
    expect(result.reason).toContain('"bad"');
    expect(result.reason).toContain('connection refused');
    expect(values('sink')).toEqual([1]); // what it sent before failing was still delivered
    expect(states).toEqual(['deploying', 'running', 'failed']);
  });

  it('stop is idempotent and ends an endless flow', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 1e12 }],
          ['sink', 'test-collect', { keep: false }],
        ],
        [['src', 'sink']],
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [a, b] = await Promise.all([run.stop(), run.stop()]);
    expect(a).toBe(b);
    expect(a.state).toBe('stopped');
    expect(run.stats().nodes.src!.state).toBe('stopped');
  });
});

describe('engine: message tap', () => {
  it('samples live messages on an edge, counting what it skipped, and stops when unsubscribed', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 1e12, batch: 100 }],
          ['sink', 'test-collect', { keep: false }],
        ],
        [['src', 'sink']],
      ),
    );
    const events: { value: unknown; skipped: number }[] = [];
    const off = run.tap('src:out->sink', (e) => events.push({ value: e.message.value, skipped: e.skipped }));
    await new Promise((resolve) => setTimeout(resolve, 350));
    off();
    const seen = events.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    await run.stop();
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(seen).toBeLessThanOrEqual(5); // at most one sample per 100 ms
    expect(events.length).toBe(seen);
    expect(events[1]!.skipped).toBeGreaterThan(0);
    expect(() => run.tap('nope', () => undefined)).toThrow(/not part of the running flow/);
  });
});

describe('engine: end of input and many-to-one results', () => {
  it('flushes held inputs when the sources finish; inputs are acked only after the result is confirmed', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 1000, batch: 100, withAcks: true }],
          ['sum', 'test-sum'],
          ['x2', 'test-double'],
          ['sink', 'test-collect'],
        ],
        [
          ['src', 'sum'],
          ['sum', 'x2'],
          ['x2', 'sink'],
        ],
      ),
    );
    const result = await run.done;
    expect(result.state).toBe('finished');
    expect(values('sink')).toEqual([2 * ((999 * 1000) / 2)]);
    expect(sumAcks).toEqual([true]);
    expect(acks).toHaveLength(10);
    expect(acks.every((a) => a.ok)).toBe(true);
  });

  it('flushes upstream nodes first, so a flushed result reaches a holding node downstream before it flushes', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 10, batch: 3, withAcks: true }],
          ['second', 'test-sum'],
          ['first', 'test-sum'],
          ['sink', 'test-collect'],
        ],
        [
          ['src', 'first'],
          ['first', 'second'],
          ['second', 'sink'],
        ],
      ),
    );
    expect((await run.done).state).toBe('finished');
    expect(values('sink')).toEqual([45]);
    expect(sumAcks).toEqual([true, true]);
    expect(acks.map((a) => a.ok)).toEqual([true, true, true, true]);
  });

  it('does not flush on stop: held inputs stay unconfirmed so a source replays them', async () => {
    const run = await start(
      flow(
        [
          ['src', 'test-count', { count: 1_000_000_000, batch: 100, withAcks: true }],
          ['sum', 'test-sum'],
          ['sink', 'test-collect'],
        ],
        [
          ['src', 'sum'],
          ['sum', 'sink'],
        ],
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await run.stop()).state).toBe('stopped');
    expect(values('sink')).toEqual([]);
    expect(acks.filter((a) => a.ok)).toEqual([]);
  });
});
