/**
 * Reading config JSON Schemas (as `GET /api/node-types` serves them) for generated forms: which
 * fields, in which order, drawn how.
 */
import type { FieldUiHints } from '@tributary/shared';

/** The part of JSON Schema the form understands. */
export interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: FieldSchema[];
  oneOf?: FieldSchema[];
  items?: FieldSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, FieldSchema>;
  required?: string[];
  ui?: FieldUiHints;
}

export interface Field {
  key: string;
  schema: FieldSchema;
  ui: FieldUiHints;
  required: boolean;
}

export function formFields(schema: FieldSchema): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .map(([key, s]) => ({ key, schema: s, ui: s.ui ?? {}, required: required.has(key) }))
    .sort((a, b) => (a.ui.order ?? 1e9) - (b.ui.order ?? 1e9));
}

/** enum values of a field (a plain enum, or a union of consts). */
export function enumOptions(s: FieldSchema): unknown[] | undefined {
  if (s.enum) return s.enum;
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length && alts.every((a) => a.const !== undefined)) return alts.map((a) => a.const);
  return undefined;
}

export function typeOf(s: FieldSchema): string | undefined {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (t) return t;
  const alt = (s.anyOf ?? s.oneOf)?.find((a) => a.type && a.type !== 'null');
  return alt ? typeOf(alt) : undefined;
}

/** An object with known fields: drawn as a nested form rather than as JSON text. */
export function isForm(s: FieldSchema): boolean {
  return typeOf(s) === 'object' && Object.keys(s.properties ?? {}).length > 0 && !(s.anyOf ?? s.oneOf);
}

/**
 * "Off, on, or these settings": a union of a boolean and an object with known fields (TLS). Returns
 * the object's schema.
 */
export function switchOrForm(s: FieldSchema): FieldSchema | undefined {
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length !== 2) return undefined;
  const bool = alts.find((a) => a.type === 'boolean');
  const form = alts.find((a) => a !== bool && isForm(a));
  return bool && form ? form : undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A nested form's starting value: the defaults its fields declare. */
export function initialValue(schema: FieldSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(schema.properties ?? {})) if (s.default !== undefined) out[key] = s.default;
  return out;
}

/**
 * Defaults without the optional nested forms (a Kafka connection's SASL): a type's defaults fill
 * in objects that have defaulted fields, but an optional one is set up by the user, not assumed.
 */
export function withoutOptionalForms(defaults: Record<string, unknown>, schema: FieldSchema): Record<string, unknown> {
  const required = new Set(schema.required ?? []);
  const out = { ...defaults };
  for (const [key, s] of Object.entries(schema.properties ?? {}))
    if (!required.has(key) && isForm(s) && isObject(out[key])) delete out[key];
  return out;
}
