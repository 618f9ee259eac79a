/**
 * Node-only: turns a flow's `kafka` connection into a client behind the Kafka port (kafka-port.ts),
 * with the library its `client` setting names. Used by kafka-source and kafka-sink; never imported
 * by manifests (client libraries must stay out of the editor's bundle).
 */
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { NodeContext } from '@tributary/shared';
import { connectionOf, tlsOptions } from './connection-of.js';
import { kafkaConnection, type KafkaConnectionConfig } from './kafka.js';
import { kafkajsPort } from './kafka-kafkajs.js';
import { platformaticPort } from './kafka-platformatic.js';
import type { KafkaClientPort } from './kafka-port.js';

/**
 * The parsed config of connection `id` (defaults filled in); a NodeConfigError naming the field
 * when it does not fit the `kafka` connection schema.
 *
 * @example
 * kafkaConnectionOf(ctx, 'local-kafka').brokers // ['127.0.0.1:9092']
 */
export function kafkaConnectionOf(ctx: NodeContext, id: string): KafkaConnectionConfig {
  return connectionOf(ctx, id, kafkaConnection);
}

function saslOptions(sasl: NonNullable<KafkaConnectionConfig['sasl']>): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/**
 * A kafkajs client for a connection. kafkajs's own log lines go to the node's log: warnings and
 * errors only (kafkajs logs transient protocol errors it retries as ERROR, so both become `warn`;
 * failures that matter reach the node as thrown errors). A consumer's client also listens to the
 * debug line that carries the group generation of each assignment (kafkajs reports it nowhere
 * else) and records it in `generations`, by group id; its other debug lines are dropped.
 */
function kafkajsClient(
  connection: KafkaConnectionConfig,
  ctx: NodeContext,
  role: string,
  generations?: Map<string, number>,
): Kafka {
  const log = ctx.log;
  const config: KafkaConfig = {
    brokers: connection.brokers,
    clientId: `${connection.clientId}-${role}`,
    ssl: tlsOptions(connection.ssl) ?? false,
    connectionTimeout: connection.connectionTimeoutMs,
    logLevel: generations === undefined ? logLevel.WARN : logLevel.DEBUG,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        if (level === logLevel.DEBUG) {
          if (namespace === 'ConsumerGroup' && entry.message === 'Received assignment') {
            const { groupId, generationId } = entry as { groupId?: unknown; generationId?: unknown };
            if (typeof groupId === 'string' && typeof generationId === 'number')
              generations?.set(groupId, generationId);
          }
          return;
        }
        const { message, ...data } = entry;
        const text = `kafkajs ${namespace}: ${message}`;
        if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(text, data);
        else log.debug(text, data);
      },
  };
  if (connection.sasl) config.sasl = saslOptions(connection.sasl);
  return new Kafka(config);
}

/**
 * The Kafka port for a connection, with the library its `client` setting names.
 *
 * @example
 * const kafka = createKafkaClient(kafkaConnectionOf(ctx, config.connection), ctx, 'source');
 * const consumer = kafka.consumer({ groupId: 'orders', topics: ['orders'], … });
 */
export function createKafkaClient(connection: KafkaConnectionConfig, ctx: NodeContext, role: string): KafkaClientPort {
  if (connection.client === 'kafkajs') {
    const generations = role === 'source' ? new Map<string, number>() : undefined;
    return kafkajsPort(kafkajsClient(connection, ctx, role, generations), generations);
  }
  return platformaticPort({
    brokers: connection.brokers,
    clientId: connection.clientId,
    tls: tlsOptions(connection.ssl),
    sasl: connection.sasl,
    connectTimeoutMs: connection.connectionTimeoutMs,
  });
}

/**
 * The innermost reasons of a failure: clients wrap the cause ("metadata failed 2 times" → "Cannot
 * connect to any broker" → "self-signed certificate"); the user needs the last one.
 */
function rootCauses(error: unknown, into = new Set<string>()): Set<string> {
  const e = error as { message?: unknown; cause?: unknown; errors?: unknown } | null;
  const inner: unknown[] = [
    ...(Array.isArray(e?.errors) ? (e.errors as unknown[]) : []),
    ...(e?.cause === undefined ? [] : [e.cause]),
  ];
  if (inner.length === 0) {
    if (typeof e?.message === 'string') into.add(e.message);
  } else for (const child of inner) rootCauses(child, into);
  return into;
}

/** Readable text for a failure to reach the cluster, naming the brokers and the root cause. */
export function describeKafkaError(error: unknown, connection: KafkaConnectionConfig): string {
  const message = error instanceof Error ? error.message : String(error);
  const causes = [...rootCauses(error)].filter((cause) => cause !== message);
  return `Kafka at ${connection.brokers.join(', ')}: ${[message, ...causes].join(': ')}`;
}
