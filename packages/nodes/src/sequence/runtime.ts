import { defineNode, EMPTY_HEADERS, EMPTY_META, type FlowMessage, type SourceContext } from '@tributary/shared';
import { parseKeyTemplate, renderKeyTemplate, type KeyTemplatePart } from '../lib/key-template.js';
import { NodeConfigError } from '../lib/compile.js';
import { RatePacer } from '../lib/pacing.js';
import { batchSizeFor, eventLoopTurns } from '../lib/source-helpers.js';
import { sequenceManifest } from './manifest.js';

/**
 * The `sequence` source. Messages of a batch share one timestamp (taken per batch, not per message)
 * and the frozen empty headers and meta, so a message costs one small object.
 *
 * @example
 * // config: { count: 1_000_000 }                 → 0 … 999999, as fast as the flow takes them
 * // config: { rate: 100, key: 'k-{index % 3}' }  → endless, 100 msgs/s, keys k-0, k-1, k-2, k-0 …
 */
export const sequenceNode = defineNode(sequenceManifest, (config) => {
  let keyParts: readonly KeyTemplatePart[] | null = null;
  if (config.key !== undefined) {
    const parsed = parseKeyTemplate(config.key);
    if (!parsed.ok) throw new NodeConfigError(`key: ${parsed.error}`, 'key');
    keyParts = parsed.parts;
  }
  const { start, step } = config;
  const total = config.count ?? Infinity;
  return {
    kind: 'source',
    async run(ctx: SourceContext): Promise<void> {
      const batchSize = batchSizeFor(config.batchSize, ctx);
      const pacer = config.rate === undefined ? null : new RatePacer(config.rate, batchSize);
      const signal = ctx.signal;
      const turn = eventLoopTurns();
      let index = 0;
      while (index < total && !signal.aborted) {
        let n = Math.min(batchSize, total - index);
        if (pacer !== null) {
          n = await pacer.take(n, signal);
          if (n === 0) break;
        }
        const timestamp = Date.now();
        const batch: FlowMessage[] = new Array<FlowMessage>(n);
        for (let j = 0; j < n; j++) {
          const i = index + j;
          // start + i * step, not a running sum: no drift with fractional steps.
          const value = start + i * step;
          batch[j] = {
            key: keyParts === null ? null : renderKeyTemplate(keyParts, value, i),
            value,
            headers: EMPTY_HEADERS,
            timestamp,
            meta: EMPTY_META,
          };
        }
        index += n;
        await ctx.emit(batch);
        await turn();
      }
      ctx.stats.set('sent', index);
    },
  };
});
