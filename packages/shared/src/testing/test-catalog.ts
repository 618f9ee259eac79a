import { z } from 'zod';
import { defineConnectionType, defineManifest, type NodeCatalog } from '../index.js';

export const tSource = defineManifest({
  type: 't-source',
  typeVersion: 1,
  kind: 'source',
  label: 'Test source',
  description: '',
  category: 'testing',
  inputs: [],
  outputs: [{ name: 'out' }],
  config: z.object({
    connection: z
      .string()
      .optional()
      .meta({ ui: { widget: 'connection', connectionType: 'kafka' } }),
    count: z.number().int().min(0).default(10),
    password: z
      .string()
      .optional()
      .meta({ ui: { secret: true } }),
  }),
});

export const tHandler = defineManifest({
  type: 't-handler',
  typeVersion: 2,
  kind: 'handler',
  label: 'Test handler',
  description: '',
  category: 'testing',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }, { name: 'other' }],
  config: z.object({ expression: z.string().min(1) }),
  // v1 called the field `expr`
  migrations: { 1: ({ expr, ...rest }) => ({ ...rest, expression: expr }) },
});

export const tSink = defineManifest({
  type: 't-sink',
  typeVersion: 1,
  kind: 'sink',
  label: 'Test sink',
  description: '',
  category: 'testing',
  inputs: [{ name: 'in' }],
  outputs: [],
  config: z.object({ path: z.string().default('out.jsonl') }),
});

/** Free-form config: a record, and an array of objects with a secret inside. */
export const tMap = defineManifest({
  type: 't-map',
  typeVersion: 1,
  kind: 'handler',
  label: 'Test map',
  description: '',
  category: 'testing',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  config: z.strictObject({
    mapping: z.record(z.string(), z.string()).default({}),
    servers: z
      .array(
        z.object({
          host: z.string(),
          token: z
            .string()
            .optional()
            .meta({ ui: { widget: 'secret' } }),
        }),
      )
      .default([]),
    cache: z
      .string()
      .optional()
      .meta({ ui: { widget: 'connection', connectionType: 'redis' } }),
  }),
});

/** A node type at version 3 whose 2 → 3 step is missing (a packaging bug the validator must name). */
export const tBroken = defineManifest({
  type: 't-broken',
  typeVersion: 3,
  kind: 'handler',
  label: 'Test broken',
  description: '',
  category: 'testing',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  config: z.object({}),
  migrations: {
    1: (config) => {
      if (config.explode) throw new Error('cannot read "explode"');
      return config;
    },
  },
});

export const kafkaConnection = defineConnectionType({
  type: 'kafka',
  label: 'Kafka',
  description: '',
  config: z.strictObject({
    brokers: z.array(z.string()).min(1),
    password: z
      .string()
      .optional()
      .meta({ ui: { secret: true, widget: 'secret' } }),
  }),
});

export const redisConnection = defineConnectionType({
  type: 'redis',
  label: 'Redis',
  description: '',
  config: z.object({ url: z.string() }),
});

export const catalog: NodeCatalog = {
  nodeTypes: [tSource, tHandler, tSink, tMap, tBroken],
  connectionTypes: [kafkaConnection, redisConnection],
};
