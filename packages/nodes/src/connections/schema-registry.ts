/**
 * The `schema-registry` connection type: a Confluent-compatible schema registry (Confluent Schema
 * Registry, Karapace, Apicurio's ccompat API, Redpanda) that Avro codecs read writer schemas from
 * and register schemas in. Browser-safe; the client is made in `lib/avro-codec.ts`.
 */
import { z } from 'zod';
import { defineConnectionType } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

export const schemaRegistryConnectionConfig = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: required('the registry URL, e.g. http://127.0.0.1:8081') })
    .describe('Base URL of the registry, e.g. http://127.0.0.1:8081')
    .meta(ui({ label: 'URL', placeholder: 'http://127.0.0.1:8081', order: 1 })),
  username: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('Basic-auth user name (Confluent Cloud: the API key)')
    .meta(ui({ label: 'User name', order: 2 })),
  password: z
    .string()
    .min(1)
    .optional()
    .describe('Basic-auth password (Confluent Cloud: the API secret): a ${env:NAME} or ${cred:NAME} reference')
    .meta(ui({ label: 'Password', widget: 'secret', secret: true, order: 3 })),
  timeoutMs: z
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('How long a registry request waits for an answer before it fails')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Timeout', advanced: true, order: 4 })),
});

export type SchemaRegistryConnectionConfig = z.output<typeof schemaRegistryConnectionConfig>;

/**
 * The `schema-registry` connection type.
 *
 * @example
 * // { "id": "registry", "type": "schema-registry", "config": { "url": "http://127.0.0.1:8081" } }
 */
export const schemaRegistryConnection = defineConnectionType({
  type: 'schema-registry',
  label: 'Schema registry',
  description: 'A Confluent-compatible schema registry for Avro: URL and credentials',
  config: schemaRegistryConnectionConfig,
});
