import { describe, expect, it } from 'vitest';
import { createMessage } from '@tributary/shared';
import { messages, runNode } from '../testing/index.js';
import { filterNode } from './runtime.js';

describe('filter node', () => {
  it('keeps messages for which the expression is truthy and counts the rest as dropped', async () => {
    const input = messages(5, 11, 10, 42);
    const result = await runNode(filterNode, { expression: 'value > 10' }, { inputs: input });
    expect(result.outputs.out).toEqual([input[1], input[3]]);
    // Kept messages are the same objects: a filter never copies.
    expect(result.outputs.out![0]).toBe(input[1]);
    expect(result.dropped).toBe(2);
  });

  it('sees key, headers and msg', async () => {
    const input = [
      createMessage({ value: 1, key: 'eu-1', headers: { type: 'order' } }),
      createMessage({ value: 2, key: 'us-1', headers: { type: 'order' } }),
      createMessage({ value: 3, key: 'eu-2', headers: { type: 'refund' } }),
    ];
    const result = await runNode(
      filterNode,
      { expression: "key.startsWith('eu-') && headers.type === 'order' && msg.value === 1" },
      { inputs: input },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual([1]);
  });

  it('sends messages whose test throws to the error port and carries on', async () => {
    const result = await runNode(
      filterNode,
      { expression: 'value.size > 1' },
      { inputs: messages({ size: 2 }, null, { size: 3 }) },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual([{ size: 2 }, { size: 3 }]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message.value).toBeNull();
    expect(result.errors[0]!.text).toMatch(/Cannot read properties of null/);
  });

  it('requires an expression and reports syntax errors with their position', async () => {
    await expect(runNode(filterNode, {})).rejects.toThrow(/\/expression: required: a JavaScript expression/);
    await expect(runNode(filterNode, { expression: '   ' })).rejects.toThrow(/\/expression: required/);
    await expect(runNode(filterNode, { expression: 'value >> > 1' })).rejects.toThrow(
      /expression: syntax error at line 1, column 10/,
    );
  });
});
