/**
 * Browser-safe half of the codec registry: the names and the manifest field every node that reads
 * or writes bytes offers. The runtime half is `codecs.ts`.
 */
import { z } from 'zod';
import { ui } from './schema.js';

/** Codecs every byte-reading node offers (Avro joins them with its schema settings). */
export const CODEC_NAMES = ['json', 'string', 'bytes'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

/**
 * The `codec` field of a manifest.
 *
 * @example
 * z.object({ codec: codecField(4, 'How event data is read') })
 */
export function codecField(
  order: number,
  description = 'How values are read and written: json, string (UTF-8 text) or bytes',
) {
  return z
    .enum(CODEC_NAMES)
    .default('json')
    .describe(description)
    .meta(ui({ label: 'Codec', widget: 'select', order }));
}
