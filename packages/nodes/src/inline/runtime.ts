import { defineNode, EMPTY_HEADERS, EMPTY_META, type FlowMessage, type SourceContext } from '@tributary/shared';
import { isInlineMessage } from '../lib/inline-items.js';
import { normalizeHeaders, normalizeKey } from '../lib/message-like.js';
import { sleep } from '../lib/pacing.js';
import { batchSizeFor, eventLoopTurns } from '../lib/source-helpers.js';
import { inlineManifest } from './manifest.js';

interface Template {
  key: string | null;
  value: unknown;
  headers: Readonly<Record<string, string>>;
  timestamp: number | undefined;
}

/**
 * The `inline` source. Items are read once at create time; each message gets the time it is sent
 * as its timestamp unless the item fixes one.
 *
 * @example
 * // config: { messages: [1, { key: 'a', value: { n: 2 } }], repeat: 2 } → 1, {n:2}, 1, {n:2}
 */
export const inlineNode = defineNode(inlineManifest, (config) => {
  const templates: Template[] = config.messages.map((item) =>
    isInlineMessage(item)
      ? {
          key: item.key === undefined ? null : normalizeKey(item.key),
          value: item.value,
          headers: item.headers === undefined ? EMPTY_HEADERS : normalizeHeaders(item.headers),
          timestamp: item.timestamp,
        }
      : { key: null, value: item, headers: EMPTY_HEADERS, timestamp: undefined },
  );
  const rounds = config.forever ? Infinity : config.repeat;
  const build = (t: Template, now: number): FlowMessage => ({
    key: t.key,
    value: t.value,
    headers: t.headers,
    timestamp: t.timestamp ?? now,
    meta: EMPTY_META,
  });
  return {
    kind: 'source',
    async run(ctx: SourceContext): Promise<void> {
      const signal = ctx.signal;
      let sent = 0;
      if (config.intervalMs > 0) {
        let first = true;
        for (let round = 0; round < rounds && !signal.aborted; round++) {
          for (const t of templates) {
            if (!first) await sleep(config.intervalMs, signal);
            if (signal.aborted) break;
            first = false;
            await ctx.emit([build(t, Date.now())]);
            sent++;
          }
        }
      } else {
        const batchSize = batchSizeFor(config.batchSize, ctx);
        const turn = eventLoopTurns();
        let batch: FlowMessage[] = [];
        for (let round = 0; round < rounds && !signal.aborted; round++) {
          const now = Date.now();
          for (let i = 0; i < templates.length && !signal.aborted; i++) {
            batch.push(build(templates[i]!, now));
            if (batch.length === batchSize) {
              await ctx.emit(batch);
              await turn();
              sent += batch.length;
              batch = [];
            }
          }
        }
        if (batch.length > 0 && !signal.aborted) {
          await ctx.emit(batch);
          sent += batch.length;
        }
      }
      ctx.stats.set('sent', sent);
    },
  };
});
