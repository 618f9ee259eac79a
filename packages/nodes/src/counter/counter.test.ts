import { describe, expect, it } from 'vitest';
import { messages, runNode } from '../testing/index.js';
import { counterNode } from './runtime.js';

describe('counter sink', () => {
  it('counts every message across batches and emits nothing', async () => {
    const result = await runNode(counterNode, {}, { inputs: [messages(1, 2, 3), [], messages(4, 5)] });
    expect(result.stats.count).toBe(5);
    expect(result.outputs).toEqual({});
    expect(result.errors).toEqual([]);
  });

  it('has no settings: unknown fields are refused', async () => {
    await expect(runNode(counterNode, { every: 2 })).rejects.toThrow(/unknown field: every/);
  });
});
