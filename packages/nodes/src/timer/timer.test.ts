import { describe, expect, it } from 'vitest';
import { runNode } from '../testing/index.js';
import { timerNode, type TimerTick } from './runtime.js';

describe('timer source', () => {
  it('emits count ticks numbered from 1 with their timestamp, then ends', async () => {
    const before = Date.now();
    const result = await runNode(timerNode, { intervalMs: 5, count: 3, key: 'clock' });
    const ticks = result.outputs.out!;
    expect(ticks.map((m) => (m.value as TimerTick).tick)).toEqual([1, 2, 3]);
    for (const m of ticks) {
      const value = m.value as TimerTick;
      expect(value.timestamp).toBe(m.timestamp);
      expect(value.timestamp).toBeGreaterThanOrEqual(before);
      expect(m.key).toBe('clock');
    }
    // Timestamps never go backwards.
    expect(ticks.map((m) => m.timestamp)).toEqual([...ticks.map((m) => m.timestamp)].sort((a, b) => a - b));
    expect(result.batches.every((b) => b.length === 1)).toBe(true);
    expect(result.aborted).toBe(false);
  });

  it('ticks once at start and then waits a whole interval, stopping when the flow stops', async () => {
    const result = await runNode(timerNode, { intervalMs: 60_000 }, { until: { ms: 50 } });
    expect(result.outputs.out).toHaveLength(1);
    expect(result.aborted).toBe(true);
    expect(result.timedOut).toBe(false);
  });

  it('waits one interval before the first tick when immediate is off', async () => {
    const result = await runNode(timerNode, { intervalMs: 60_000, immediate: false }, { until: { ms: 30 } });
    expect(result.outputs.out).toBeUndefined();
  });

  it('skips ticks it missed while held back instead of bursting', async () => {
    const result = await runNode(
      timerNode,
      { intervalMs: 5, count: 3 },
      { onEmit: (_batch, index) => (index === 0 ? new Promise((resolve) => setTimeout(resolve, 40)) : undefined) },
    );
    expect(result.outputs.out!.map((m) => (m.value as TimerTick).tick)).toEqual([1, 2, 3]);
    expect(result.stats.skipped).toBeGreaterThanOrEqual(1);
  });
});
