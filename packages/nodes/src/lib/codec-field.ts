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

/** Every codec name, Avro included: Avro needs its settings (`avroField`) next to the codec field. */
export const ALL_CODEC_NAMES = [...CODEC_NAMES, 'avro'] as const;
export type AnyCodecName = (typeof ALL_CODEC_NAMES)[number];

export const SUBJECT_STRATEGIES = ['topic', 'record', 'topic-record'] as const;

/**
 * Avro settings of a node: a schema written in the node, a schema registry connection, or both
 * (then the node's schema is the reader schema, or the schema registered when writing).
 *
 * @example
 * z.object({ codec: codecField(4), avro: avroField(5) })
 */
export function avroField(order: number) {
  return z
    .strictObject({
      schema: z
        .string()
        .optional()
        .describe(
          'Avro schema as JSON. Without a registry: values are plain Avro binary of this schema. With a registry: the reader schema (decoding) or the schema registered and written (encoding)',
        )
        .meta(ui({ label: 'Avro schema', widget: 'code', language: 'json', order: 1 })),
      registry: z
        .string()
        .trim()
        .min(1)
        .optional()
        .describe('A schema-registry connection: values carry the Confluent framing (magic byte 0 + 4-byte schema id)')
        .meta(ui({ label: 'Schema registry', widget: 'connection', connectionType: 'schema-registry', order: 2 })),
      subject: z
        .enum(SUBJECT_STRATEGIES)
        .default('topic')
        .describe(
          'Writing with a registry: the subject the schema is looked up under: topic (<topic>-value), record (the record full name) or topic-record (<topic>-<record full name>)',
        )
        .meta(ui({ label: 'Subject naming', widget: 'select', order: 3 })),
      autoRegister: z
        .boolean()
        .default(false)
        .describe('Writing with a registry: register the schema when the subject does not have it yet')
        .meta(ui({ label: 'Register schemas', order: 4 })),
    })
    .optional()
    .describe('Avro: the schema, or the schema registry (codec "avro" only)')
    .meta(ui({ label: 'Avro', order }));
}

/**
 * The `codec` field offering Avro too (pair it with `avroField`).
 *
 * @example
 * z.object({ codec: codecFieldWithAvro(4), avro: avroField(5) })
 */
export function codecFieldWithAvro(
  order: number,
  description = 'How values are read and written: json, string (UTF-8 text), bytes, or avro (set Avro below)',
) {
  return z
    .enum(ALL_CODEC_NAMES)
    .default('json')
    .describe(description)
    .meta(ui({ label: 'Codec', widget: 'select', order }));
}

export type AvroSettings = z.output<ReturnType<typeof avroField>>;
