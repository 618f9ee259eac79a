import { z } from 'zod';
import type { FieldUiHints } from './node-contract.js';

/**
 * Path segment of a `HintedField` that stands for every item of an array, or every value of a
 * record (`z.record`). A literal property named `*` is matched the same way (an accepted
 * ambiguity: config fields are named by people, and nobody names one `*`).
 */
export const ANY_ITEM = '*';

/** A config field that carries UI hints; `path` uses `ANY_ITEM` (`*`) for "every item / value". */
export interface HintedField {
  path: readonly string[];
  ui: FieldUiHints;
}

/** The hinted fields of one config schema, sorted into what the validator checks. */
export interface CompiledHints {
  fields: readonly HintedField[];
  /** Fields whose value must be a `${env:…}` / `${cred:…}` reference (`ui.secret` or widget `secret`). */
  secrets: readonly HintedField[];
  /** Fields that hold a connection id (widget `connection`). */
  connections: readonly HintedField[];
  /** Set when the schema could not be turned into JSON Schema; then nothing else is known. */
  error?: string;
}

type JsonSchema = {
  ui?: FieldUiHints;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

const cache = new WeakMap<z.ZodType, CompiledHints>();

/** Nesting deeper than this is not searched for hints. */
const MAX_DEPTH = 24;
/**
 * A recursive schema (`z.lazy`) is followed this many levels deep: paths are concrete, so deeper
 * levels of a recursive config are not checked for secrets. Recursive configs are rare.
 */
const MAX_RECURSION = 3;

/**
 * JSON Schema of a config (input side: what a user writes), as the editor's forms see it: UI hints
 * given with `.meta({ ui })` appear as `ui` keys. Types JSON Schema cannot express become `{}`.
 *
 * @example
 * configJsonSchema(z.object({ topic: z.string().meta({ ui: { label: 'Topic' } }) })).properties
 * // { topic: { type: 'string', ui: { label: 'Topic' } } }
 */
export function configJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/**
 * Every field of a config schema with `.meta({ ui })` hints, sorted into secrets and connection
 * references. Computed once per schema object (so once per manifest) and cached: validating a
 * 1,000-node flow walks each node type's schema once.
 *
 * @example
 * compileHints(z.object({ password: z.string().meta({ ui: { secret: true } }) })).secrets
 * // [{ path: ['password'], ui: { secret: true } }]
 */
export function compileHints(schema: z.ZodType): CompiledHints {
  let compiled = cache.get(schema);
  if (!compiled) {
    try {
      const root = configJsonSchema(schema) as JsonSchema;
      const fields: HintedField[] = [];
      walk(root, root, [], fields, 0, []);
      compiled = {
        fields,
        secrets: fields.filter((f) => f.ui.secret === true || f.ui.widget === 'secret'),
        connections: fields.filter((f) => f.ui.widget === 'connection'),
      };
    } catch (error) {
      compiled = { fields: [], secrets: [], connections: [], error: (error as Error).message };
    }
    cache.set(schema, compiled);
  }
  return compiled;
}

/**
 * Every field of a config schema that has `.meta({ ui })` hints (see `compileHints`).
 *
 * @example
 * hintedFields(z.object({ servers: z.array(z.object({ token: z.string().meta({ ui: { secret: true } }) })) }))
 * // [{ path: ['servers', '*', 'token'], ui: { secret: true } }]
 */
export function hintedFields(schema: z.ZodType): readonly HintedField[] {
  return compileHints(schema).fields;
}

function resolve(ref: string, root: JsonSchema): JsonSchema | undefined {
  if (ref === '#') return root;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const name = match[2]!.replace(/~1/g, '/').replace(/~0/g, '~');
  return (match[1] === '$defs' ? root.$defs : root.definitions)?.[name];
}

function walk(
  node: JsonSchema,
  root: JsonSchema,
  path: string[],
  out: HintedField[],
  depth: number,
  refs: readonly string[],
): void {
  if (depth > MAX_DEPTH || typeof node !== 'object' || node === null) return;
  if (node.ui && path.length > 0 && !out.some((f) => f.ui === node.ui && samePath(f.path, path)))
    out.push({ path, ui: node.ui });
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    const target = resolve(ref, root);
    if (target && refs.filter((r) => r === ref).length < MAX_RECURSION)
      walk(target, root, path, out, depth + 1, [...refs, ref]);
  }
  for (const [key, child] of Object.entries(node.properties ?? {}))
    walk(child, root, [...path, key], out, depth + 1, refs);
  const items = [
    ...(Array.isArray(node.items) ? node.items : node.items ? [node.items] : []),
    ...(node.prefixItems ?? []),
  ];
  for (const item of items) walk(item, root, [...path, ANY_ITEM], out, depth + 1, refs);
  if (typeof node.additionalProperties === 'object')
    walk(node.additionalProperties, root, [...path, ANY_ITEM], out, depth + 1, refs);
  for (const list of [node.anyOf, node.oneOf, node.allOf])
    for (const child of list ?? []) walk(child, root, path, out, depth + 1, refs);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * The values a hinted path points at in a config, each with its concrete path (`*` expanded to
 * array indices or record keys). Missing values are left out.
 *
 * @example
 * valuesAt({ servers: [{ token: 'a' }, { token: 'b' }] }, ['servers', '*', 'token'])
 * // [{ path: ['servers', '0', 'token'], value: 'a' }, { path: ['servers', '1', 'token'], value: 'b' }]
 */
export function valuesAt(config: unknown, path: readonly string[]): { path: string[]; value: unknown }[] {
  let current: { path: string[]; value: unknown }[] = [{ path: [], value: config }];
  for (const segment of path) {
    const next: { path: string[]; value: unknown }[] = [];
    for (const { path: p, value } of current) {
      if (value === null || typeof value !== 'object') continue;
      if (segment === ANY_ITEM) {
        if (Array.isArray(value)) value.forEach((item, i) => next.push({ path: [...p, String(i)], value: item }));
        else for (const [key, item] of Object.entries(value)) next.push({ path: [...p, key], value: item });
      } else if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, segment)) {
        next.push({ path: [...p, segment], value: (value as Record<string, unknown>)[segment] });
      }
    }
    current = next;
  }
  return current;
}
