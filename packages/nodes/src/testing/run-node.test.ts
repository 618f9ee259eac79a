import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMessage, defineManifest, defineNode, type Hold } from '@tributary/shared';
import { ConfigParseError, messages, runNode } from './index.js';

const halfBroken = defineNode(
  defineManifest({
    type: 'test-half-broken',
    typeVersion: 1,
    kind: 'handler',
    label: 'Half broken',
    description: 'emits, then throws on a batch containing 0',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.strictObject({ factor: z.number().default(1).describe('multiplier') }),
  }),
  (config) => ({
    kind: 'processor',
    process(batch, out) {
      for (const m of batch) {
        if (m.value === 0) throw new Error('zero');
        out.push({ ...m, value: (m.value as number) * config.factor });
      }
    },
  }),
);

const acking = defineNode(
  defineManifest({
    type: 'test-acking',
    typeVersion: 1,
    kind: 'source',
    label: 'Acking',
    description: 'emits three batches with acks',
    category: 'testing',
    inputs: [],
    outputs: [{ name: 'out' }],
    config: z.strictObject({}),
  }),
  () => ({
    kind: 'source',
    async run(ctx) {
      for (let i = 0; i < 3; i++) await ctx.emit([createMessage({ value: i })], () => undefined);
    },
  }),
);

const pairs = defineNode(
  defineManifest({
    type: 'test-pairs',
    typeVersion: 1,
    kind: 'handler',
    label: 'Pairs',
    description: 'holds batches and emits one sum for every two (many-to-one)',
    category: 'testing',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    config: z.strictObject({}),
  }),
  (_config, ctx) => {
    let held: Hold[] = [];
    let sum = 0;
    return {
      kind: 'processor',
      process(batch, out) {
        held.push(out.hold());
        for (const m of batch) sum += m.value as number;
        if (held.length < 2) return;
        void ctx.emitFrom([createMessage({ value: sum })], held);
        held = [];
        sum = 0;
      },
    };
  },
);

describe('runNode', () => {
  it('runs nodes that hold inputs and emit from them later (the engine’s holds)', async () => {
    const result = await runNode(pairs, {}, { inputs: [messages(1, 2), messages(3), messages(10), messages(20)] });
    expect(result.outputs.out!.map((m) => m.value)).toEqual([6, 30]);
  });

  it('parses config with the manifest schema, defaults included, and reports problems by path', async () => {
    const ok = await runNode(halfBroken, { factor: 3 }, { inputs: messages(1) });
    expect(ok.outputs.out![0]!.value).toBe(3);
    const error = await runNode(halfBroken, { factor: 'x', other: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigParseError);
    expect((error as Error).message).toMatch(/\/factor: .*expected number/);
    // The same mapping validateFlow uses: the pointer names the unknown field itself.
    expect((error as Error).message).toMatch(/\/other: unknown field: other/);
  });

  it('like the engine, discards the partial output of a batch that throws and dead-letters all of it', async () => {
    const result = await runNode(halfBroken, {}, { inputs: [messages(1, 2), messages(3, 0)] });
    expect(result.outputs.out!.map((m) => m.value)).toEqual([1, 2]);
    expect(result.errors.map((e) => e.message.value)).toEqual([3, 0]);
    expect(result.outputs.error![0]!.meta.error).toEqual({ code: 'E_HANDLER_THREW', message: 'zero', nodeId: 'node' });
  });

  it('acks source batches as asked', async () => {
    expect((await runNode(acking, {})).acks).toEqual([true, true, true]);
    expect((await runNode(acking, {}, { ack: 'fail' })).acks).toEqual([false, false, false]);
    const pending = await runNode(acking, {}, { ack: 'none' });
    expect(pending.acks).toEqual([]);
    expect(pending.pendingAcks).toHaveLength(3);
  });

  it('removes its temp data folder afterwards', async () => {
    const result = await runNode(halfBroken, {}, { inputs: messages(1) });
    expect(existsSync(result.dataDir)).toBe(false);
  });
});
