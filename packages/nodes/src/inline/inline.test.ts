import { describe, expect, it } from 'vitest';
import { runNode } from '../testing/index.js';
import { inlineNode } from './runtime.js';

describe('inline source', () => {
  it('sends values and messages from the list, in order', async () => {
    const result = await runNode(inlineNode, {
      messages: [
        42,
        'text',
        { user: 1 },
        { key: 'k', value: { n: 2 }, headers: { source: 'test', n: 3 }, timestamp: 1000 },
        { value: { value: 'wrapped' } },
        { value: 1, extra: true },
      ],
    });
    const out = result.outputs.out!;
    expect(out.map((m) => m.value)).toEqual([
      42,
      'text',
      { user: 1 },
      { n: 2 },
      { value: 'wrapped' },
      { value: 1, extra: true },
    ]);
    expect(out[3]).toMatchObject({ key: 'k', headers: { source: 'test', n: '3' }, timestamp: 1000 });
    expect(out[0]!.key).toBeNull();
    expect(result.batches).toHaveLength(1);
  });

  it('repeats the list, across batch boundaries', async () => {
    const result = await runNode(inlineNode, { messages: [1, 2, 3], repeat: 3, batchSize: 4 });
    expect(result.outputs.out!.map((m) => m.value)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(result.batches.map((b) => b.length)).toEqual([4, 4, 1]);
  });

  it('repeats forever until the flow stops', async () => {
    const result = await runNode(
      inlineNode,
      { messages: ['a', 'b'], forever: true, batchSize: 10 },
      { until: { messages: 30 } },
    );
    expect(result.aborted).toBe(true);
    expect(result.outputs.out!.slice(0, 4).map((m) => m.value)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('sends one message per interval when an interval is set', async () => {
    const result = await runNode(inlineNode, { messages: [1, 2, 3], intervalMs: 2 });
    expect(result.batches.map((b) => b.map((m) => m.value))).toEqual([[1], [2], [3]]);
  });

  it('refuses an empty list and bad message fields, naming the item', async () => {
    await expect(runNode(inlineNode, {})).rejects.toThrow(/\/messages: required: a list of values/);
    await expect(runNode(inlineNode, { messages: [] })).rejects.toThrow(/add at least one message/);
    await expect(runNode(inlineNode, { messages: [1, { value: 1, headers: { a: { b: 1 } } }] })).rejects.toThrow(
      /\/messages\/1\/headers\/a: header "a" must be a string/,
    );
    // A header name with a dot is one path segment, not two.
    await expect(runNode(inlineNode, { messages: [{ value: 1, headers: { 'trace.id': [] } }] })).rejects.toThrow(
      /\/messages\/0\/headers\/trace\.id: header "trace\.id" must be a string/,
    );
    await expect(runNode(inlineNode, { messages: [{ key: {}, value: 1 }] })).rejects.toThrow(/\/messages\/0\/key/);
  });
});
