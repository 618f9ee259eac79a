import { defineNode, type FlowMessage, type Output } from '@tributary/shared';
import { compileExpression, locateError, userCodeError } from '../lib/compile.js';
import { MessageResultError, normalizeKey } from '../lib/message-like.js';
import { mapManifest } from './manifest.js';

type Expression = (
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
) => unknown;

const PARAMS = ['msg', 'key', 'value', 'headers'] as const;

/**
 * The `map` handler.
 *
 * @example
 * // config: { value: '{ ...value, total: value.price * value.qty }', key: 'value.orderId' }
 */
export const mapNode = defineNode(mapManifest, (config, ctx) => {
  // One file name per expression, so an error's stack tells which of the two threw.
  const valueFile = `map-value:${ctx.nodeId}`;
  const keyFile = `map-key:${ctx.nodeId}`;
  const valueOf = compileExpression(config.value, PARAMS, { filename: valueFile, field: 'value' }) as Expression;
  const keyOf =
    config.key === undefined
      ? null
      : (compileExpression(config.key, PARAMS, { filename: keyFile, field: 'key' }) as Expression);
  const describe = (error: unknown) =>
    keyOf !== null && locateError(error, keyFile) !== null
      ? userCodeError(error, keyFile, 'E_EXPRESSION_THREW')
      : userCodeError(error, valueFile, 'E_EXPRESSION_THREW');
  return {
    kind: 'processor',
    process(batch: readonly FlowMessage[], out: Output): void {
      const n = batch.length;
      let i = 0;
      while (i < n) {
        try {
          for (; i < n; i++) {
            const msg = batch[i]!;
            const value = valueOf(msg, msg.key, msg.value, msg.headers);
            let key = msg.key;
            if (keyOf !== null) {
              const computed = keyOf(msg, msg.key, msg.value, msg.headers);
              if (computed === undefined) throw new MessageResultError('the key expression gave undefined');
              key = normalizeKey(computed);
            }
            out.push({ key, value, headers: msg.headers, timestamp: msg.timestamp, meta: msg.meta });
          }
        } catch (error) {
          out.error(describe(error), batch[i]!);
          i++;
        }
      }
    },
  };
});
