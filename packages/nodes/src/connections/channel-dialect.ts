/**
 * Node-only: the path layouts and record formats of consumer-channel services.
 *
 * - `opendxl`: the OpenDXL consumer service (and Tributary's `/api/channel/v1`). `POST /consumers
 *   {consumerGroup, configs}` → `{consumerInstanceId}`; records carry `routingData.topic`,
 *   `partition`, `offset` and `message.payload` (base64); a commit names each record's own offset.
 * - `confluent-v2`: the Confluent REST Proxy v2 (`/consumers/{group}/instances/{name}`), binary
 *   embedded format (base64 keys and values); a commit names the record's own offset too (the
 *   proxy adds one). Strimzi's bridge, which does not, is not offered.
 */
import { randomUUID } from 'node:crypto';
import type { ChannelConnectionConfig, ChannelDialectName } from './channel.js';
import type { ChannelRequest } from './channel-client.js';

export interface ChannelRecord {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  /** The record value's bytes (null for a tombstone). */
  payload: Buffer | null;
  headers: Record<string, string>;
}

export interface ConsumerSettings {
  group: string;
  offset: 'latest' | 'earliest' | 'none';
  sessionTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  extra: Record<string, string>;
}

/** What a created consumer is called on the service. */
export type ConsumerHandle = string;

export interface OutgoingRecord {
  topic: string;
  key: string | null;
  payload: Buffer;
  headers: Readonly<Record<string, string>>;
}

export interface ChannelDialect {
  create(settings: ConsumerSettings): { request: ChannelRequest; handle: (body: unknown) => ConsumerHandle };
  subscribe(handle: ConsumerHandle, topics: readonly string[]): ChannelRequest;
  records(handle: ConsumerHandle): { request: ChannelRequest; parse: (body: unknown) => ChannelRecord[] };
  /** `offsets`: per partition, the offset of the last confirmed record. */
  commit(handle: ConsumerHandle, offsets: { topic: string; partition: number; offset: bigint }[]): ChannelRequest;
  remove(handle: ConsumerHandle): ChannelRequest;
  /** One request per call for opendxl; one per topic for confluent-v2. */
  produce(records: readonly OutgoingRecord[]): ChannelRequest[];
}

const b64 = (text: unknown): Buffer | null => (typeof text === 'string' ? Buffer.from(text, 'base64') : null);

function bad(what: string, body: unknown): Error {
  return new Error(`unexpected answer to ${what}: ${JSON.stringify(body)?.slice(0, 200)}`);
}

function configsOf(s: ConsumerSettings): Record<string, string> {
  return {
    ...s.extra,
    'auto.offset.reset': s.offset,
    'enable.auto.commit': 'false',
    ...(s.sessionTimeoutMs === undefined ? {} : { 'session.timeout.ms': String(s.sessionTimeoutMs) }),
    ...(s.requestTimeoutMs === undefined ? {} : { 'request.timeout.ms': String(s.requestTimeoutMs) }),
  };
}

function openDxl(consumerPath: string, producerPath: string): ChannelDialect {
  const consumer = (handle: string) => `${consumerPath}/consumers/${encodeURIComponent(handle)}`;
  return {
    create: (s) => ({
      request: {
        method: 'POST',
        path: `${consumerPath}/consumers`,
        body: { consumerGroup: s.group, configs: configsOf(s) },
      },
      handle: (body) => {
        const id = (body as { consumerInstanceId?: unknown } | null)?.consumerInstanceId;
        if (typeof id !== 'string' || id === '') throw bad('create consumer', body);
        return id;
      },
    }),
    subscribe: (handle, topics) => ({ method: 'POST', path: `${consumer(handle)}/subscription`, body: { topics } }),
    records: (handle) => ({
      request: { method: 'GET', path: `${consumer(handle)}/records` },
      parse: (body) => {
        const records = (body as { records?: unknown } | null)?.records;
        if (!Array.isArray(records)) throw bad('records', body);
        return records.map((r: Record<string, unknown>) => {
          const routing = (r.routingData ?? {}) as { topic?: string; shardingKey?: string };
          const message = (r.message ?? {}) as { payload?: string; headers?: Record<string, unknown> };
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          if (typeof routing.topic !== 'string' || typeof r.partition !== 'number') throw bad('records', r);
          return {
            topic: routing.topic,
            partition: r.partition,
            offset: BigInt(r.offset as number | string),
            key: routing.shardingKey ? routing.shardingKey : null,
            payload: b64(message.payload),
            headers,
          };
        });
      },
    }),
    commit: (handle, offsets) => ({
      method: 'POST',
      path: `${consumer(handle)}/offsets`,
      body: { offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) })) },
    }),
    remove: (handle) => ({ method: 'DELETE', path: consumer(handle) }),
    produce: (records) => [
      {
        method: 'POST',
        path: `${producerPath}/produce`,
        body: {
          records: records.map((r) => ({
            routingData: { topic: r.topic, shardingKey: r.key ?? '' },
            message: { headers: r.headers, payload: r.payload.toString('base64') },
          })),
        },
      },
    ],
  };
}

const V2 = 'application/vnd.kafka.v2+json';
const V2_BINARY = 'application/vnd.kafka.binary.v2+json';

function confluentV2(consumerPath: string, producerPath: string): ChannelDialect {
  // The handle is "group/instance": v2 paths need both.
  const instance = (handle: string) => {
    const [group, name] = handle.split('\n') as [string, string];
    return `${consumerPath}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}`;
  };
  return {
    create: (s) => {
      const name = `tributary-${randomUUID()}`;
      const configs = configsOf(s);
      return {
        request: {
          method: 'POST',
          path: `${consumerPath}/consumers/${encodeURIComponent(s.group)}`,
          contentType: V2,
          body: {
            name,
            format: 'binary',
            'auto.offset.reset': configs['auto.offset.reset'],
            'auto.commit.enable': 'false',
            ...(s.requestTimeoutMs === undefined ? {} : { 'consumer.request.timeout.ms': String(s.requestTimeoutMs) }),
          },
        },
        handle: (body) => {
          const id = (body as { instance_id?: unknown } | null)?.instance_id;
          return `${s.group}\n${typeof id === 'string' && id !== '' ? id : name}`;
        },
      };
    },
    subscribe: (handle, topics) => ({
      method: 'POST',
      path: `${instance(handle)}/subscription`,
      contentType: V2,
      body: { topics },
    }),
    records: (handle) => ({
      request: { method: 'GET', path: `${instance(handle)}/records`, accept: V2_BINARY },
      parse: (body) => {
        if (!Array.isArray(body)) throw bad('records', body);
        return body.map((r: Record<string, unknown>) => ({
          topic: String(r.topic),
          partition: Number(r.partition),
          offset: BigInt(r.offset as number | string),
          key: r.key === null || r.key === undefined ? null : b64(r.key)!.toString('utf8'),
          payload: b64(r.value),
          headers: {},
        }));
      },
    }),
    commit: (handle, offsets) => ({
      method: 'POST',
      path: `${instance(handle)}/offsets`,
      contentType: V2,
      body: { offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) })) },
    }),
    remove: (handle) => ({ method: 'DELETE', path: instance(handle), contentType: V2 }),
    produce: (records) => {
      const byTopic = new Map<string, OutgoingRecord[]>();
      for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      return [...byTopic].map(([topic, list]) => ({
        method: 'POST' as const,
        path: `${producerPath}/topics/${encodeURIComponent(topic)}`,
        contentType: V2_BINARY,
        body: {
          records: list.map((r) => ({
            ...(r.key === null ? {} : { key: Buffer.from(r.key).toString('base64') }),
            value: r.payload.toString('base64'),
          })),
        },
      }));
    },
  };
}

const DEFAULT_PATHS: Record<ChannelDialectName, { consumer: string; producer: string }> = {
  opendxl: { consumer: '/databus/consumer-service/v1', producer: '/databus/cloudproxy/v1' },
  'confluent-v2': { consumer: '', producer: '' },
};

export function dialectFor(connection: ChannelConnectionConfig): ChannelDialect {
  const paths = DEFAULT_PATHS[connection.dialect];
  const consumerPath = connection.consumerPath ?? paths.consumer;
  const producerPath = connection.producerPath ?? paths.producer;
  return connection.dialect === 'opendxl'
    ? openDxl(consumerPath, producerPath)
    : confluentV2(consumerPath, producerPath);
}
