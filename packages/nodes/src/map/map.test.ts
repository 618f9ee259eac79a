import { describe, expect, it } from 'vitest';
import { createMessage } from '@tributary/shared';
import { messages, runNode } from '../testing/index.js';
import { mapNode } from './runtime.js';

describe('map node', () => {
  it('replaces the value and keeps key, headers, timestamp and meta', async () => {
    const input = createMessage({
      value: { price: 2, qty: 3 },
      key: 'o1',
      headers: { h: '1' },
      timestamp: 5,
      meta: { offset: '9' },
    });
    const result = await runNode(
      mapNode,
      { value: '({ ...value, total: value.price * value.qty })' },
      { inputs: [input] },
    );
    expect(result.outputs.out).toEqual([
      { key: 'o1', value: { price: 2, qty: 3, total: 6 }, headers: { h: '1' }, timestamp: 5, meta: { offset: '9' } },
    ]);
  });

  it('accepts an object literal without parentheses', async () => {
    const result = await runNode(mapNode, { value: '{ doubled: value * 2 }' }, { inputs: messages(4) });
    expect(result.outputs.out![0]!.value).toEqual({ doubled: 8 });
  });

  it('computes a new key when asked: numbers become strings, null removes it', async () => {
    const result = await runNode(
      mapNode,
      { value: 'value', key: 'value.id ?? null' },
      { inputs: messages({ id: 7 }, { id: 'x' }, {}) },
    );
    expect(result.outputs.out!.map((m) => m.key)).toEqual(['7', 'x', null]);
  });

  it('sends messages whose expression throws, or whose key is not a string, to the error port', async () => {
    // Both expressions see the input message.
    const result = await runNode(
      mapNode,
      { value: 'value.length', key: 'JSON.parse(value)' },
      { inputs: messages('{"a":1}', 'nope', '"k"') },
    );
    expect(result.outputs.out!.map((m) => [m.key, m.value])).toEqual([['k', 3]]);
    expect(result.errors.map((e) => [e.message.value, e.code])).toEqual([
      ['{"a":1}', 'E_BAD_RESULT'],
      ['nope', 'E_EXPRESSION_THREW'],
    ]);
    expect(result.errors[0]!.text).toMatch(/key must be a string or null, got object/);
    expect(result.errors[1]!.text).toMatch(/JSON/);
  });

  it('requires a value expression', async () => {
    await expect(runNode(mapNode, {})).rejects.toThrow(/\/value: required: an expression for the new value/);
    await expect(runNode(mapNode, { value: 'value +' })).rejects.toThrow(/value: syntax error/);
  });
});
