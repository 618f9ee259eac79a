/** Small helpers shared by the built-in sources. Node-only (they run inside the engine). */
import type { SourceContext } from '@tributary/shared';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from './schema.js';

/** The batch size a source uses: its own setting, else the flow's, else the default. */
export function batchSizeFor(configured: number | undefined, ctx: SourceContext): number {
  const size = configured ?? ctx.batchSize ?? DEFAULT_BATCH_SIZE;
  return Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(size)));
}

/**
 * For sources that compute messages without I/O (sequence, inline): `emit` answers at once while
 * downstream has room, and an unwired source would never give timers and I/O a turn. Call the
 * returned function between batches; it answers a promise about every `everyMs`.
 *
 * @example
 * const turn = eventLoopTurns();
 * for (…) { await ctx.emit(batch); await turn(); }
 */
export function eventLoopTurns(everyMs = 8): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return new Promise((resolve) => setImmediate(resolve));
  };
}
