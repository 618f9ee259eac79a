import { describe, expect, it } from 'vitest';
import { createMessage } from '@tributary/shared';
import { messages, runNode } from '../testing/index.js';
import { logNode } from './runtime.js';

describe('log sink', () => {
  it('prints values at info level by default: strings as they are, the rest as JSON', async () => {
    const result = await runNode(logNode, {}, { inputs: messages('hello', { a: 1 }, 10n, undefined) });
    expect(result.logs).toEqual([
      { level: 'info', message: 'hello' },
      { level: 'info', message: '{"a":1}' },
      { level: 'info', message: '"10"' },
      { level: 'info', message: 'undefined' },
    ]);
  });

  it('prints whole messages as JSON at the chosen level', async () => {
    const input = createMessage({ key: 'k', value: [1], headers: { h: 'v' }, timestamp: 3 });
    const result = await runNode(logNode, { format: 'json', level: 'warn' }, { inputs: [input] });
    expect(result.logs).toEqual([
      { level: 'warn', message: '{"key":"k","value":[1],"headers":{"h":"v"},"timestamp":3}' },
    ]);
  });

  it('samples one message in N across batches', async () => {
    const result = await runNode(logNode, { every: 3 }, { inputs: [messages(0, 1, 2, 3), messages(4, 5, 6, 7, 8, 9)] });
    expect(result.logs.map((l) => l.message)).toEqual(['0', '3', '6', '9']);
  });

  it('cuts long lines and survives values JSON cannot print', async () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const result = await runNode(logNode, { maxLength: 16 }, { inputs: messages('x'.repeat(100), cyclic) });
    expect(result.logs[0]!.message).toBe('x'.repeat(15) + '…');
    expect(result.logs[1]!.message).toBe('{"name":"loop",…');
  });
});
