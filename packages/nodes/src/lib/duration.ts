/**
 * Durations in configs are written with their unit ("500ms", "30s", "5m", "1h", "1d"): a flow file
 * says what it means, and the editor's form shows the unit in the value. Browser-safe.
 */
import { z } from 'zod';
import type { FieldUiHints } from '@tributary/shared';
import { ui } from './schema.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
/** The same pattern as text, for the JSON Schema (the editor checks it as you type). */
export const DURATION_PATTERN = '^\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)$';

/**
 * Milliseconds of a duration text, or null when it is not one.
 *
 * @example
 * parseDuration('1.5s') // 1500
 * parseDuration('5 m') // 300000
 */
export function parseDuration(text: string): number | null {
  const match = PATTERN.exec(text.trim());
  if (match === null) return null;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** Reads back a duration a schema already checked (throws only on a value the schema never let through). */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`"${text}" is not a duration such as 500ms, 30s, 5m, 1h or 1d`);
  return ms;
}

/**
 * A duration field: text with a unit.
 *
 * @example
 * z.object({ size: durationField('Window size', 'How long each window lasts', { order: 2 }).default('1m') })
 */
export function durationField(label: string, description: string, hints: Omit<FieldUiHints, 'label'> = {}) {
  return z
    .string()
    .trim()
    .regex(new RegExp(DURATION_PATTERN), 'a duration with its unit: 500ms, 30s, 5m, 1h or 1d')
    .describe(`${description} (with a unit: ms, s, m, h or d)`)
    .meta(ui({ label, placeholder: '30s', widget: 'duration', ...hints }));
}
