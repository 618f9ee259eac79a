import { defineNode, type FlowMessage } from '@tributary/shared';
import { counterManifest } from './manifest.js';

/**
 * The `counter` sink: one addition per batch, whatever its size.
 *
 * @example
 * // after 1,000 messages: ctx.stats shows { count: 1000 }
 */
export const counterNode = defineNode(counterManifest, (_config, ctx) => {
  let count = 0;
  return {
    kind: 'processor',
    process(batch: readonly FlowMessage[]): void {
      count += batch.length;
      ctx.stats.set('count', count);
    },
  };
});
