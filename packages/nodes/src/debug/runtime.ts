import { defineNode, type FlowMessage } from '@tributary/shared';
import { safeJson } from '../log/runtime.js';
import { DEBUG_DATA_KEY, debugManifest } from './manifest.js';

const PREVIEW = 200;

/**
 * The `debug` sink: each message shown (up to `maxPerSecond` a second) goes out as a `debug` log
 * line whose `data` carries it; the editor's debug panel picks those lines out of the flow's log.
 *
 * @example
 * // config: { show: 'message', maxPerSecond: 5 }
 */
export const debugNode = defineNode(debugManifest, (config, ctx) => {
  let windowStart = 0;
  let shown = 0;
  return {
    kind: 'processor',
    process(batch: readonly FlowMessage[]): void {
      for (const msg of batch) {
        const now = Date.now();
        if (now - windowStart >= 1000) {
          windowStart = now;
          shown = 0;
        }
        if (shown >= config.maxPerSecond) {
          ctx.stats.add('notShown');
          continue;
        }
        shown++;
        const payload =
          config.show === 'value'
            ? { value: msg.value }
            : { key: msg.key, value: msg.value, headers: msg.headers, timestamp: msg.timestamp };
        const text = typeof msg.value === 'string' ? msg.value : safeJson(msg.value);
        ctx.log.debug(text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text, { [DEBUG_DATA_KEY]: payload });
      }
    },
  };
});
