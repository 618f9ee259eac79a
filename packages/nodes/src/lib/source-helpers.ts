/** Small helpers shared by the built-in sources. Node-only (they run inside the engine). */
import type { SourceContext } from '@tributary/shared';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from './schema.js';

/** The batch size a source uses: its own setting, else the flow's, else the default. */
export function batchSizeFor(configured: number | undefined, ctx: SourceContext): number {
  const size = configured ?? ctx.batchSize ?? DEFAULT_BATCH_SIZE;
  return Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(size)));
}
