import { describe, expect, it } from 'vitest';
import { messages, runNode } from '../testing/index.js';
import { debugNode } from './runtime.js';

describe('debug sink', () => {
  it('sends each message as a debug log line carrying it, whole or as its value', async () => {
    const result = await runNode(debugNode, {}, { inputs: [messages({ a: 1 }, 'text')] });
    expect(result.logs).toEqual([
      { level: 'debug', message: '{"a":1}', data: { debug: { value: { a: 1 } } } },
      { level: 'debug', message: 'text', data: { debug: { value: 'text' } } },
    ]);
    const whole = await runNode(
      debugNode,
      { show: 'message' },
      { inputs: [[{ key: 'k', value: 2, headers: { h: 'v' } }]] },
    );
    expect(whole.logs[0]?.data).toMatchObject({ debug: { key: 'k', value: 2, headers: { h: 'v' } } });
  });

  it('shows at most maxPerSecond messages a second and counts the others', async () => {
    const many = Array.from({ length: 30 }, (_, i) => i);
    const result = await runNode(debugNode, { maxPerSecond: 5 }, { inputs: [messages(...many)] });
    expect(result.logs).toHaveLength(5);
    expect(result.stats.notShown).toBe(25);
  });

  it('refuses a rate out of bounds with a clear message', async () => {
    await expect(runNode(debugNode, { maxPerSecond: 0 })).rejects.toThrow(/maxPerSecond/);
  });
});
