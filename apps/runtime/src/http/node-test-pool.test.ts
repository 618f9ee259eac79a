import { afterAll, describe, expect, it } from 'vitest';
import { NodeTestPool } from './node-test-pool.js';
import type { NodeTestJob } from './node-test-protocol.js';

const pool = new NodeTestPool();
afterAll(() => pool.close());

const fn = (code: string, value: unknown = 1): NodeTestJob => ({
  type: 'function',
  nodeId: 'f',
  config: { code },
  message: { value },
});

describe('NodeTestPool', () => {
  it('runs each test in a fresh worker: nothing an earlier test left behind is seen', async () => {
    const count = fn('globalThis.runs = (globalThis.runs ?? 0) + 1; return { value: globalThis.runs };');
    pool.warm();
    for (let i = 0; i < 3; i++) {
      const outcome = await pool.run(count, 5000);
      expect(outcome).toMatchObject({ kind: 'ran', outputs: { out: [{ value: 1 }] } });
    }
  });

  it('stops a test that never ends, and the next test still runs', async () => {
    expect(await pool.run(fn('while (true) {}'), 300)).toMatchObject({ kind: 'timeout' });
    expect(await pool.run(fn('return { value: value + 1 };', 41), 5000)).toMatchObject({
      kind: 'ran',
      outputs: { out: [{ value: 42 }] },
    });
  });

  it('answers a test after close (no spare kept then)', async () => {
    const closed = new NodeTestPool();
    closed.close();
    expect(await closed.run(fn('return { value: 2 };'), 5000)).toMatchObject({
      kind: 'ran',
      outputs: { out: [{ value: 2 }] },
    });
  });
});
