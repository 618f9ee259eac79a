import { describe, expect, it } from 'vitest';
import { ConfigParseError, runNode } from '../testing/index.js';
import { sequenceNode } from './runtime.js';

const allValues = (r: { outputs: Record<string, { value: unknown }[]> }) => (r.outputs.out ?? []).map((m) => m.value);

describe('sequence source', () => {
  it('sends count numbers from start by step, in order, then ends', async () => {
    const result = await runNode(sequenceNode, { count: 5, start: 10, step: -2.5 });
    expect(allValues(result)).toEqual([10, 7.5, 5, 2.5, 0]);
    expect(result.aborted).toBe(false);
    expect(result.stats.sent).toBe(5);
    const first = result.outputs.out![0]!;
    expect(first.key).toBeNull();
    expect(first.headers).toEqual({});
  });

  it('sends nothing for count 0', async () => {
    const result = await runNode(sequenceNode, { count: 0 });
    expect(result.batches).toEqual([]);
  });

  it('honours the batch size: its own, else the flow setting', async () => {
    const own = await runNode(sequenceNode, { count: 2500, batchSize: 1000 }, { batchSize: 7 });
    expect(own.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    const fromFlow = await runNode(sequenceNode, { count: 10 }, { batchSize: 4 });
    expect(fromFlow.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(allValues(fromFlow)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('builds keys from the template', async () => {
    const result = await runNode(sequenceNode, { count: 5, start: 100, key: 'k-{index % 2}/{value}/{{x}}' });
    expect(result.outputs.out!.map((m) => m.key)).toEqual([
      'k-0/100/{x}',
      'k-1/101/{x}',
      'k-0/102/{x}',
      'k-1/103/{x}',
      'k-0/104/{x}',
    ]);
  });

  it('rejects a bad key template with a clear message', async () => {
    await expect(runNode(sequenceNode, { key: 'k-{idx}' })).rejects.toThrow(
      /\/key: unknown placeholder "\{idx\}": use \{value\}, \{index\}/,
    );
    await expect(runNode(sequenceNode, { count: -1 })).rejects.toThrow(ConfigParseError);
    await expect(runNode(sequenceNode, { rate: 0 })).rejects.toThrow(/\/rate/);
  });

  it('runs endlessly until the flow stops, and stops promptly', async () => {
    const result = await runNode(sequenceNode, { batchSize: 100 }, { until: { messages: 1000 } });
    expect(result.aborted).toBe(true);
    expect(result.timedOut).toBe(false);
    // It stops at the first check after the abort: no batch goes out afterwards.
    expect(result.emittedAfterAbort).toBe(0);
    expect(allValues(result)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('waits for each emit before producing the next batch (backpressure)', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await runNode(
      sequenceNode,
      { count: 50, batchSize: 10 },
      {
        onEmit: async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inFlight--;
        },
      },
    );
    expect(result.batches).toHaveLength(5);
    expect(maxInFlight).toBe(1);
  });

  it('paces itself with a rate: small batches, and far fewer messages than unpaced in the same time', async () => {
    // 200 msgs/s for ~150 ms is about 30 messages; without pacing it would be many thousands.
    const result = await runNode(sequenceNode, { rate: 200 }, { until: { ms: 150 } });
    const sent = result.outputs.out?.length ?? 0;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(500);
    // At 200 msgs/s the pacer sends one message per wake-up (2 per 10 ms window, floored to ≥ 1).
    expect(Math.max(...result.batches.map((b) => b.length))).toBeLessThanOrEqual(4);
    expect(allValues(result)).toEqual(Array.from({ length: sent }, (_, i) => i));
  });

  it('finishes a paced finite run with exactly count messages', async () => {
    const result = await runNode(sequenceNode, { count: 120, rate: 20_000, batchSize: 50 });
    expect(allValues(result)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(Math.max(...result.batches.map((b) => b.length))).toBeLessThanOrEqual(50);
  });
});
