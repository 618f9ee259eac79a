/**
 * The `kafka` connection type: one Kafka cluster, shared by every Kafka node of a flow that names it.
 * Browser-safe (zod and @tributary/shared only): the editor draws its form from this schema; the
 * node-only client factory is in `kafka-client.ts`.
 */
import { z } from 'zod';
import { defineConnectionType } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

/** `host:port`, `[ipv6]:port`; the port is required (Kafka has no default a client may assume). */
const BROKER = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/;

const pem = (what: string) =>
  z.string().trim().min(1).optional().describe(`${what} in PEM form (usually a \${env:NAME} reference)`);

/** TLS settings beyond "on": a private CA, or a client certificate for mutual TLS. */
const tlsSchema = z.strictObject({
  ca: pem('CA certificate(s) to trust instead of the system ones').meta(
    ui({ label: 'CA certificate', widget: 'textarea', order: 1 }),
  ),
  cert: pem('Client certificate, for mutual TLS').meta(
    ui({ label: 'Client certificate', widget: 'textarea', order: 2 }),
  ),
  key: pem('Private key of the client certificate').meta(
    ui({ label: 'Client key', widget: 'secret', secret: true, order: 3 }),
  ),
  rejectUnauthorized: z
    .boolean()
    .default(true)
    .describe('Refuse brokers whose certificate does not verify (turn off only for local tests)')
    .meta(ui({ label: 'Verify broker certificate', order: 4 })),
});

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const saslSchema = z.strictObject({
  mechanism: z
    .enum(SASL_MECHANISMS)
    .default('scram-sha-512')
    .describe('SASL mechanism the cluster expects')
    .meta(ui({ label: 'Mechanism', widget: 'select', order: 1 })),
  username: z
    .string({ error: required('the SASL user name') })
    .trim()
    .min(1, 'required: the SASL user name')
    .describe('SASL user name')
    .meta(ui({ label: 'User name', order: 2 })),
  password: z
    .string({ error: required('the SASL password (a ${env:NAME} or ${cred:NAME} reference)') })
    .min(1, 'required: the SASL password (a ${env:NAME} or ${cred:NAME} reference)')
    .describe('SASL password: a ${env:NAME} or ${cred:NAME} reference, never the password itself')
    .meta({ ui: { secret: true, widget: 'secret', label: 'Password', order: 3 } }),
});

/** The client libraries behind the Kafka port (node-only adapters in kafka-kafkajs.ts, kafka-platformatic.ts). */
export const KAFKA_LIBRARIES = ['platformatic', 'kafkajs'] as const;
export type KafkaLibrary = (typeof KAFKA_LIBRARIES)[number];

export const kafkaConnectionConfig = z.strictObject({
  brokers: z
    .array(z.string().trim().regex(BROKER, 'a broker is host:port, e.g. 127.0.0.1:9092'), {
      error: required('at least one broker, e.g. 127.0.0.1:9092'),
    })
    .min(1, 'required: at least one broker, e.g. 127.0.0.1:9092')
    .describe('Bootstrap brokers, host:port each; the client discovers the rest of the cluster from them')
    .meta(ui({ label: 'Brokers', placeholder: '127.0.0.1:9092', order: 1 })),
  clientId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .default('tributary')
    .describe('Client id the brokers see in their logs and quotas')
    .meta(ui({ label: 'Client id', advanced: true, order: 2 })),
  ssl: z
    .union([z.boolean(), tlsSchema])
    .default(false)
    .describe('TLS: off, on with the system CAs, or on with a CA and/or client certificate')
    .meta(ui({ label: 'TLS', order: 3 })),
  sasl: saslSchema
    .optional()
    .describe('SASL authentication (PLAIN or SCRAM); leave empty when the cluster needs none')
    .meta(ui({ label: 'SASL', order: 4 })),
  connectionTimeoutMs: z
    .int()
    .min(100)
    .max(300_000)
    .default(10_000)
    .describe('How long to wait for a TCP (and TLS) connection to a broker')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Connection timeout', advanced: true, order: 5 })),
  client: z
    .enum(KAFKA_LIBRARIES)
    // platformatic: maintained, static membership, passed every delivery proof on a loaded machine
    // and was as fast or faster in the benchmark (notes/kafka.md); kafkajs stays as the fallback.
    .default('platformatic')
    .describe(
      'Client library: @platformatic/kafka (maintained, static membership; default) or kafkajs (unmaintained since 2023); both pass the same delivery tests',
    )
    .meta(ui({ label: 'Client', widget: 'select', advanced: true, order: 6 })),
});

export type KafkaConnectionConfig = z.output<typeof kafkaConnectionConfig>;

/**
 * The `kafka` connection type.
 *
 * @example
 * // in a flow document:
 * // { "id": "local-kafka", "type": "kafka", "config": { "brokers": ["127.0.0.1:9092"] } }
 * // with SCRAM:
 * // { "brokers": ["kafka-1:9093"], "ssl": true,
 * //   "sasl": { "mechanism": "scram-sha-512", "username": "app", "password": "${env:KAFKA_PASSWORD}" } }
 */
export const kafkaConnection = defineConnectionType({
  type: 'kafka',
  label: 'Kafka',
  description: 'A Kafka cluster: bootstrap brokers, TLS and SASL authentication',
  config: kafkaConnectionConfig,
});

/** The config field every Kafka node uses to name its connection. */
export function kafkaConnectionField() {
  return z
    .string({ error: required('the Kafka connection to use') })
    .trim()
    .min(1, 'required: the Kafka connection to use')
    .describe('The Kafka cluster (a connection of the flow)')
    .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'kafka', order: 0 }));
}
