/**
 * Browser-safe helpers for manifests: UI hints, readable "required" messages and shared limits.
 * Imports nothing node-only (manifests.ts and every manifest.ts may use it).
 */
import { z } from 'zod';
import type { FieldUiHints } from '@tributary/shared';

/** Messages per emitted batch when neither the node nor the flow sets one. */
export const DEFAULT_BATCH_SIZE = 1024;
/** The flow settings allow at most this many messages per batch; nodes follow the same bound. */
export const MAX_BATCH_SIZE = 65_536;
/** setTimeout's largest delay (about 24.8 days); longer intervals would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Wraps editor hints for `.meta()`, so they are type-checked against FieldUiHints.
 *
 * @example
 * z.string().describe('JavaScript to run').meta(ui({ widget: 'code', language: 'javascript' }))
 */
export function ui(hints: FieldUiHints): { ui: FieldUiHints } {
  return { ui: hints };
}

/**
 * A zod error customiser that says "required: …" when the field is missing, instead of zod's
 * "expected string, received undefined"; other problems keep zod's own message.
 *
 * @example
 * z.string({ error: required('the expression to test') })
 */
export function required(what: string): (issue: { input?: unknown }) => string | undefined {
  return (issue) => (issue.input === undefined ? `required: ${what}` : undefined);
}

/** The optional per-source batch size field every source offers (falls back to the flow's setting). */
export function batchSizeField(
  order: number,
  description = `Most messages per batch (default: the flow's batch size, else ${DEFAULT_BATCH_SIZE})`,
) {
  return z
    .int()
    .min(1)
    .max(MAX_BATCH_SIZE)
    .optional()
    .describe(description)
    .meta(ui({ label: 'Batch size', advanced: true, order }));
}
