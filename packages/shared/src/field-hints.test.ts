import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileHints, configJsonSchema, hintedFields, valuesAt } from './index.js';

describe('UI hints', () => {
  it('appear as `ui` keys in the input JSON Schema, before or after describe(), default() and optional()', () => {
    const schema = z.object({
      a: z
        .string()
        .describe('first')
        .meta({ ui: { label: 'A' } }),
      b: z
        .string()
        .meta({ ui: { label: 'B' } })
        .describe('second'),
      c: z
        .number()
        .meta({ ui: { label: 'C' } })
        .default(1),
      d: z
        .string()
        .meta({ ui: { label: 'D' } })
        .optional(),
    });
    expect(configJsonSchema(schema).properties).toMatchObject({
      a: { ui: { label: 'A' }, description: 'first' },
      b: { ui: { label: 'B' }, description: 'second' },
      c: { ui: { label: 'C' }, default: 1 },
      d: { ui: { label: 'D' } },
    });
    expect(hintedFields(schema).map((f) => f.path.join('.'))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('are found in nested objects, arrays, records, unions and recursive schemas', () => {
    const secret = () => z.string().meta({ ui: { secret: true } });
    type Tree = { token?: string; children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ token: secret().optional(), children: z.array(tree) }));
    const schema = z.object({
      sasl: z.object({ password: secret() }).optional(),
      servers: z.array(z.object({ token: secret() })),
      headers: z.record(z.string(), secret()),
      auth: z.union([z.object({ key: secret() }), z.object({ cert: z.string() })]),
      tree,
      connection: z.string().meta({ ui: { widget: 'connection', connectionType: 'kafka' } }),
    });
    const hints = compileHints(schema);
    expect(hints.secrets.map((f) => f.path.join('.'))).toEqual([
      'sasl.password',
      'servers.*.token',
      'headers.*',
      'auth.key',
      'tree.token',
      'tree.children.*.token', // recursion is followed a few levels deep
      'tree.children.*.children.*.token',
    ]);
    expect(hints.connections).toEqual([
      { path: ['connection'], ui: { widget: 'connection', connectionType: 'kafka' } },
    ]);
  });

  it('are type-checked against FieldUiHints, since a misspelt hint is silently ignored at run time', () => {
    // @ts-expect-error `scret` is not a hint (`pnpm typecheck` fails if this compiles)
    const misspelt = z.string().meta({ ui: { scret: true } });
    expect(compileHints(z.object({ password: misspelt })).secrets).toEqual([]);
  });

  it('are computed once per schema', () => {
    const schema = z.object({ a: z.string().meta({ ui: { secret: true } }) });
    expect(compileHints(schema)).toBe(compileHints(schema));
  });

  it('report a schema that cannot be inspected instead of throwing', () => {
    const broken = { '~standard': {} } as unknown as z.ZodType; // not a zod schema: toJSONSchema throws
    const hints = compileHints(broken);
    expect(hints).toMatchObject({ fields: [], secrets: [], connections: [] });
    expect(typeof hints.error).toBe('string');
  });
});

describe('valuesAt', () => {
  it('expands `*` over array items and record values, skipping what is missing', () => {
    const config = { servers: [{ token: 'a' }, {}, { token: 'c' }], headers: { x: '1', y: '2' } };
    expect(valuesAt(config, ['servers', '*', 'token'])).toEqual([
      { path: ['servers', '0', 'token'], value: 'a' },
      { path: ['servers', '2', 'token'], value: 'c' },
    ]);
    expect(valuesAt(config, ['headers', '*']).map((v) => v.path.join('/'))).toEqual(['headers/x', 'headers/y']);
    expect(valuesAt({ servers: 'none' }, ['servers', '*', 'token'])).toEqual([]);
    expect(valuesAt({}, ['toString'])).toEqual([]); // own properties only
  });
});
