import { defineNode, type FlowMessage, type Output } from '@tributary/shared';
import { compileExpression, userCodeError } from '../lib/compile.js';
import { filterManifest } from './manifest.js';

type Predicate = (
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
) => unknown;

/**
 * The `filter` handler: one compiled expression, one loop per batch, drops counted once per batch.
 *
 * @example
 * // config: { expression: 'value > 10' }
 */
export const filterNode = defineNode(filterManifest, (config, ctx) => {
  const filename = `filter:${ctx.nodeId}`;
  const test = compileExpression(config.expression, ['msg', 'key', 'value', 'headers'], {
    filename,
    field: 'expression',
  }) as Predicate;
  return {
    kind: 'processor',
    process(batch: readonly FlowMessage[], out: Output): void {
      const n = batch.length;
      let dropped = 0;
      let i = 0;
      while (i < n) {
        try {
          for (; i < n; i++) {
            const msg = batch[i]!;
            if (test(msg, msg.key, msg.value, msg.headers)) out.push(msg);
            else dropped++;
          }
        } catch (error) {
          out.error(userCodeError(error, filename, 'E_EXPRESSION_THREW'), batch[i]!);
          i++;
        }
      }
      if (dropped > 0) out.drop(dropped);
    },
  };
});
