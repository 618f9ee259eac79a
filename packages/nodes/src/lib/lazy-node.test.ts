import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineManifest, defineNode, type NodeDefinition, type ProcessorInstance } from '@tributary/shared';
import { createTestContext } from '../testing/test-context.js';
import { lazyNode } from './lazy-node.js';

const manifest = defineManifest({
  type: 'lazy-test',
  typeVersion: 1,
  kind: 'handler',
  label: 'Lazy test',
  category: 'testing',
  description: 'A node type whose runtime is loaded on first use',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  config: z.object({ factor: z.number() }),
});

describe('lazyNode', () => {
  it('loads the runtime on the first create, once, and creates through it', async () => {
    let loads = 0;
    const created: number[] = [];
    const real = defineNode(manifest, (config) => {
      created.push(config.factor);
      return { kind: 'processor', process: () => undefined } satisfies ProcessorInstance;
    });
    const lazy = lazyNode(manifest, () => {
      loads++;
      return Promise.resolve(real);
    });
    expect(lazy.manifest).toBe(manifest);
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([
      lazy.create({ factor: 2 }, createTestContext().ctx),
      lazy.create({ factor: 3 }, createTestContext().ctx),
    ]);
    expect(a.kind).toBe('processor');
    expect(b.kind).toBe('processor');
    expect(created).toEqual([2, 3]);
    expect(loads).toBe(1);
  });

  it('fails the create with the reason when the runtime cannot be loaded', async () => {
    const lazy: NodeDefinition<typeof manifest> = lazyNode(manifest, () =>
      Promise.reject(new Error("Cannot find package 'kafkajs'")),
    );
    await expect(lazy.create({ factor: 1 }, createTestContext().ctx)).rejects.toThrow("Cannot find package 'kafkajs'");
  });
});
