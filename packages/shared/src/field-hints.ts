import { z } from 'zod';
import type { FieldUiHints } from './node-contract.js';

/** A config field that carries UI hints; `path` uses `*` for "every array item". */
export interface HintedField {
  path: readonly string[];
  ui: FieldUiHints;
}

type JsonSchema = {
  ui?: FieldUiHints;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
};

const cache = new WeakMap<z.ZodType, readonly HintedField[]>();

/** JSON Schema of a config (input side: what a user writes), as the editor's forms see it. */
export function configJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/**
 * Every field of a config schema that has `.meta({ ui })` hints, computed once per schema.
 *
 * @example
 * hintedFields(z.object({ password: z.string().meta({ ui: { secret: true } }) }))
 * // [{ path: ['password'], ui: { secret: true } }]
 */
export function hintedFields(schema: z.ZodType): readonly HintedField[] {
  let fields = cache.get(schema);
  if (!fields) {
    const found: HintedField[] = [];
    walk(configJsonSchema(schema), [], found, 0);
    fields = found;
    cache.set(schema, fields);
  }
  return fields;
}

function walk(node: JsonSchema, path: string[], out: HintedField[], depth: number): void {
  if (depth > 12 || typeof node !== 'object' || node === null) return;
  if (node.ui && path.length > 0) out.push({ path, ui: node.ui });
  for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, [...path, key], out, depth + 1);
  if (node.items) walk(node.items, [...path, '*'], out, depth + 1);
  for (const list of [node.anyOf, node.oneOf, node.allOf])
    for (const child of list ?? []) walk(child, path, out, depth + 1);
}

/** Values at a hinted path in a config, with their concrete paths. */
export function valuesAt(config: unknown, path: readonly string[]): { path: string[]; value: unknown }[] {
  let current: { path: string[]; value: unknown }[] = [{ path: [], value: config }];
  for (const segment of path) {
    const next: { path: string[]; value: unknown }[] = [];
    for (const { path: p, value } of current) {
      if (segment === '*') {
        if (Array.isArray(value)) value.forEach((item, i) => next.push({ path: [...p, String(i)], value: item }));
      } else if (value !== null && typeof value === 'object' && segment in value) {
        next.push({ path: [...p, segment], value: (value as Record<string, unknown>)[segment] });
      }
    }
    current = next;
  }
  return current;
}
