import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { defineNode, EMPTY_META, type FlowMessage, type Output } from '@tributary/shared';
import { NodeConfigError } from '../lib/compile.js';
import { resolveInside } from '../lib/safe-path.js';
import { fileManifest } from './manifest.js';

/** The 'message' line: meta only when it says something (a dead letter's error, Kafka's offset …). */
function lineOf(msg: FlowMessage): Record<string, unknown> {
  const line: Record<string, unknown> = {
    key: msg.key,
    value: msg.value,
    headers: msg.headers,
    timestamp: msg.timestamp,
  };
  if (msg.meta !== EMPTY_META && Object.keys(msg.meta).length > 0) line.meta = msg.meta;
  return line;
}

const bigintAsString = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

async function openForAppend(target: string, shown: string): Promise<FileHandle> {
  try {
    // O_NOFOLLOW: a symbolic link planted at the target itself is refused, not followed.
    return await open(
      target,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o644,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new NodeConfigError(`path: "${shown}" is a symbolic link; links are not followed`, 'path');
    if (code === 'EISDIR') throw new NodeConfigError(`path: "${shown}" is a folder, not a file`, 'path');
    throw new NodeConfigError(`path: cannot open "${shown}": ${(error as Error).message}`, 'path');
  }
}

/**
 * The `file` sink: one write (and by default one fsync) per batch; `process` resolves once the
 * batch is on disk, which is when the engine confirms its messages.
 *
 * @example
 * // config: { path: 'out/orders.jsonl' } → appends {"key":…,"value":…,"headers":{},"timestamp":…}\n
 */
export const fileNode = defineNode(fileManifest, async (config, ctx) => {
  const target = resolveInside(ctx.dataDir, config.path);
  const handle = await openForAppend(target, config.path);
  const asMessage = config.content === 'message';
  const durable = config.sync === 'batch';
  let written = 0;
  let closed = false;
  return {
    kind: 'processor',
    async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
      let text = '';
      let lines = 0;
      for (let i = 0; i < batch.length; i++) {
        const msg = batch[i]!;
        try {
          const line = asMessage
            ? JSON.stringify(lineOf(msg), bigintAsString)
            : JSON.stringify(msg.value, bigintAsString);
          // JSON.stringify(undefined) is undefined: write null so every message keeps its line.
          text += (line ?? 'null') + '\n';
          lines++;
        } catch (error) {
          out.error(
            Object.assign(new Error(`cannot write as JSON: ${(error as Error).message}`), { code: 'E_NOT_JSON' }),
            msg,
          );
        }
      }
      if (lines === 0) return;
      await handle.appendFile(text); // loops until every byte is written
      if (durable) await handle.datasync();
      written += lines;
      ctx.stats.set('written', written);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
});
