import { defineNode, type FlowMessage } from '@tributary/shared';
import { logManifest } from './manifest.js';

/** JSON that survives bigints and cycles instead of throwing: a log line must never fail. */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }) ?? 'undefined'
    );
  } catch (error) {
    return `[unprintable: ${(error as Error).message}]`;
  }
}

/**
 * The `log` sink.
 *
 * @example
 * // config: { format: 'json', every: 100 } → one JSON line per 100 messages
 */
export const logNode = defineNode(logManifest, (config, ctx) => {
  const write = ctx.log[config.level].bind(ctx.log);
  const { every, maxLength } = config;
  let seen = 0;
  const render =
    config.format === 'value'
      ? (msg: FlowMessage) => (typeof msg.value === 'string' ? msg.value : safeJson(msg.value))
      : (msg: FlowMessage) =>
          safeJson({ key: msg.key, value: msg.value, headers: msg.headers, timestamp: msg.timestamp });
  return {
    kind: 'processor',
    process(batch: readonly FlowMessage[]): void {
      // Index of the first message of this batch that is due: the Nth, 2Nth … across batches.
      let i = (every - (seen % every)) % every;
      for (; i < batch.length; i += every) {
        const line = render(batch[i]!);
        write(line.length > maxLength ? line.slice(0, maxLength - 1) + '…' : line);
      }
      seen += batch.length;
    },
  };
});
