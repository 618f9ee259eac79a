import { describe, expect, it } from 'vitest';
import { createMessage } from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import { ConfigParseError, messages, runNode } from '../testing/index.js';
import { functionNode } from './runtime.js';

const values = (list: { value: unknown }[] | undefined) => (list ?? []).map((m) => m.value);

describe('function node', () => {
  it('passes messages through with the default code', async () => {
    const input = messages(1, 'two', { three: 3 });
    const { outputs } = await runNode(functionNode, {}, { inputs: input });
    // `return msg` forwards the very same objects: no copies.
    expect(outputs.out).toEqual(input);
    expect(outputs.out![0]).toBe(input[0]);
  });

  it('returns a new value and inherits key, headers, timestamp and meta from the input', async () => {
    const input = createMessage({ value: 21, key: 'k1', headers: { h: 'v' }, timestamp: 1234, meta: { topic: 't' } });
    const { outputs } = await runNode(functionNode, { code: 'return { value: msg.value * 2 };' }, { inputs: [input] });
    expect(outputs.out).toEqual([{ key: 'k1', value: 42, headers: { h: 'v' }, timestamp: 1234, meta: { topic: 't' } }]);
  });

  it('has key, value and headers in scope and lets the code set them', async () => {
    const code = `return { key: value.id, value: key + ':' + headers.kind, headers: { n: 1 }, timestamp: 7 };`;
    const input = createMessage({ value: { id: 9 }, key: 'a', headers: { kind: 'x' } });
    const { outputs, errors } = await runNode(functionNode, { code }, { inputs: [input] });
    expect(errors).toEqual([]);
    // A number key becomes a string, a number header too.
    expect(outputs.out).toEqual([{ key: '9', value: 'a:x', headers: { n: '1' }, timestamp: 7, meta: {} }]);
  });

  it('turns an array into several messages and nothing into a drop', async () => {
    const code = `if (value === 0) return; if (value === 1) return null; return [{ value }, { value: value * 10 }];`;
    const result = await runNode(functionNode, { code }, { inputs: messages(0, 1, 2, 3) });
    expect(values(result.outputs.out)).toEqual([2, 20, 3, 30]);
    expect(result.dropped).toBe(2);
  });

  it('yields zero or more messages from a generator', async () => {
    const code = `for (let i = 0; i < value; i++) yield { value: value + '.' + i };`;
    const result = await runNode(functionNode, { code }, { inputs: messages(2, 0, 1) });
    expect(values(result.outputs.out)).toEqual(['2.0', '2.1', '1.0']);
    // An input that yielded nothing counts as dropped.
    expect(result.dropped).toBe(1);
  });

  it('awaits async code and keeps the input order', async () => {
    const code = `await new Promise((r) => setTimeout(r, value)); return { value: value + 1 };`;
    const result = await runNode(functionNode, { code, concurrency: 4 }, { inputs: messages(30, 1, 10, 0, 5) });
    expect(values(result.outputs.out)).toEqual([31, 2, 11, 1, 6]);
  });

  it('handles an async generator', async () => {
    const code = `for (const part of String(value).split(',')) { await null; yield { value: part.trim() }; }`;
    const result = await runNode(functionNode, { code }, { inputs: messages('a, b', 'c') });
    expect(values(result.outputs.out)).toEqual(['a', 'b', 'c']);
  });

  it('switches to the async path mid-batch when a plain function returns a promise', async () => {
    const code = `return value % 2 ? Promise.resolve({ value: -value }) : { value };`;
    const result = await runNode(functionNode, { code }, { inputs: messages(0, 1, 2, 3, 4) });
    expect(values(result.outputs.out)).toEqual([0, -1, 2, -3, 4]);
  });

  it('sends the input of a throwing call to the error port and goes on with the rest of the batch', async () => {
    const code = `if (value === 2) throw new Error('two is bad');\nreturn { value: value * 2 };`;
    const result = await runNode(functionNode, { code }, { inputs: messages(1, 2, 3) });
    expect(values(result.outputs.out)).toEqual([2, 6]);
    expect(result.errors).toHaveLength(1);
    const [failure] = result.errors;
    expect(failure!.message.value).toBe(2);
    expect(failure!.code).toBe('E_FUNCTION_THREW');
    // The message names the line of the user's code that threw.
    expect(failure!.text).toBe('two is bad (line 1, column 24)');
    expect(result.outputs.error![0]!.meta.error).toEqual({
      code: 'E_FUNCTION_THREW',
      message: failure!.text,
      nodeId: 'node',
    });
  });

  it('keeps a code property the user put on the error', async () => {
    const code = `throw Object.assign(new Error('nope'), { code: 'E_MINE' });`;
    const result = await runNode(functionNode, { code }, { inputs: messages(1) });
    expect(result.errors[0]!.code).toBe('E_MINE');
  });

  it('routes rejected promises and throwing generators to the error port without partial output', async () => {
    const asyncResult = await runNode(
      functionNode,
      { code: `if (value > 1) throw new Error('too big ' + value); return { value };` + '\nawait null;' },
      { inputs: messages(1, 2) },
    );
    expect(values(asyncResult.outputs.out)).toEqual([1]);
    expect(asyncResult.errors.map((e) => e.text)).toEqual(['too big 2 (line 1, column 22)']);

    const generator = await runNode(
      functionNode,
      { code: `yield { value: 'first' }; if (value) throw new Error('half way');` },
      { inputs: messages(0, 1) },
    );
    // The failing input's 'first' is not emitted: a retry of the dead letter would repeat it.
    expect(values(generator.outputs.out)).toEqual(['first']);
    expect(generator.errors.map((e) => e.message.value)).toEqual([1]);
  });

  it('rejects results that are not messages, with a message saying what to return', async () => {
    const result = await runNode(functionNode, { code: 'return value;' }, { inputs: messages(5, { a: 1 }) });
    expect(result.outputs.out).toBeUndefined();
    expect(result.errors.map((e) => e.code)).toEqual(['E_BAD_RESULT', 'E_BAD_RESULT']);
    expect(result.errors[0]!.text).toMatch(/returned a number \(5\); return a message like \{ value/);
    expect(result.errors[1]!.text).toMatch(/an object without a "value" field/);
  });

  it('times out a promise that never settles', async () => {
    const result = await runNode(
      functionNode,
      { code: 'return new Promise(() => {});', timeoutMs: 20 },
      { inputs: messages(1) },
    );
    expect(result.errors.map((e) => e.code)).toEqual(['E_FUNCTION_TIMEOUT']);
  });

  it('reports a syntax error with line and column when the node is created', async () => {
    const code = 'const a = 1;\nreturn { value: a +* 2 };';
    const error = await runNode(functionNode, { code }, { inputs: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeConfigError);
    expect((error as NodeConfigError).line).toBe(2);
    expect((error as NodeConfigError).column).toBe(20);
    expect((error as Error).message).toContain("code: syntax error at line 2, column 20: Unexpected token '*'");
    expect((error as Error).message).toContain('2 | return { value: a +* 2 };');
  });

  it('reports an unclosed bracket as a syntax error at the end of the code', async () => {
    const error = await runNode(functionNode, { code: 'if (value) {\n  return msg;' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/syntax error at the end of the code/);
  });

  it('treats `await (x)` as awaiting, not as a call of a function named await', async () => {
    const code = 'const n = await (Promise.resolve(value)); return { value: n + 1 };';
    const result = await runNode(functionNode, { code }, { inputs: messages(1, 2) });
    expect(result.errors).toEqual([]);
    expect(values(result.outputs.out)).toEqual([2, 3]);
  });

  it('refuses code that closes the function early, without running any of it', async () => {
    const g = globalThis as { escapedFromFunction?: boolean };
    const code = 'return msg; }); globalThis.escapedFromFunction = true; (function () {';
    const error = await runNode(functionNode, { code }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeConfigError);
    expect((error as Error).message).toMatch(/code: syntax error: .*closes its function early/);
    expect(g.escapedFromFunction).toBeUndefined();
  });

  it('rejects unknown config fields and bad values through the schema', async () => {
    await expect(runNode(functionNode, { cod: 'return msg;' })).rejects.toThrow(ConfigParseError);
    await expect(runNode(functionNode, { code: 'return msg;', concurrency: 0 })).rejects.toThrow(/\/concurrency/);
  });

  it('logs through ctx.log and keeps ctx.state between messages', async () => {
    const code = `ctx.state.n = (ctx.state.n ?? 0) + 1; ctx.log.info('seen ' + ctx.state.n); return { value: ctx.state.n };`;
    const result = await runNode(functionNode, { code }, { inputs: [messages(10, 20), messages(30)] });
    expect(values(result.outputs.out)).toEqual([1, 2, 3]);
    expect(result.logs.map((l) => l.message)).toEqual(['seen 1', 'seen 2', 'seen 3']);
  });

  it('keeps ctx.cache on disk across runs of the flow', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'fn-cache-'));
    try {
      const code = `const seen = (await ctx.cache.get(key)) ?? 0; await ctx.cache.put(key, seen + 1); return { value: seen + 1 };`;
      const inputs = [createMessage({ key: 'a', value: null }), createMessage({ key: 'b', value: null })];
      const first = await runNode(functionNode, { code }, { inputs: [inputs], dataDir, nodeId: 'counting' });
      expect(values(first.outputs.out)).toEqual([1, 1]);
      // A new run (new store handle) sees what the first one stored.
      const second = await runNode(
        functionNode,
        { code },
        { inputs: [inputs.slice(0, 1)], dataDir, nodeId: 'counting' },
      );
      expect(values(second.outputs.out)).toEqual([2]);
      // Another node has its own cache unless it names the same one.
      const other = await runNode(functionNode, { code }, { inputs: [inputs.slice(0, 1)], dataDir, nodeId: 'other' });
      expect(values(other.outputs.out)).toEqual([1]);
      const shared = await runNode(
        functionNode,
        { code, cacheName: 'function:counting' },
        { inputs: [inputs.slice(0, 1)], dataDir, nodeId: 'other' },
      );
      expect(values(shared.outputs.out)).toEqual([3]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
