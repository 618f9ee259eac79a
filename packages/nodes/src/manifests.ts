/**
 * Browser-safe entry (`@tributary/nodes/manifests`): every node type's manifest and every
 * connection type. Imports only zod, @tributary/shared and the manifest halves: no `node:*`, no
 * lmdb, kafkajs, ioredis or pg (registry.test.ts checks the built import graph).
 */
import type { ConnectionTypeManifest, NodeManifest } from '@tributary/shared';
import { cacheManifest } from './cache/manifest.js';
import { counterManifest } from './counter/manifest.js';
import { fileManifest } from './file/manifest.js';
import { filterManifest } from './filter/manifest.js';
import { functionManifest } from './function/manifest.js';
import { inlineManifest } from './inline/manifest.js';
import { debugManifest } from './debug/manifest.js';
import { logManifest } from './log/manifest.js';
import { mapManifest } from './map/manifest.js';
import { sequenceManifest } from './sequence/manifest.js';
import { timerManifest } from './timer/manifest.js';
import { postgresSinkManifest } from './postgres-sink/manifest.js';
import { postgresSourceManifest } from './postgres-source/manifest.js';
import { cacheUpdatesManifest } from './cache-updates/manifest.js';
import { postgresConnection } from './connections/postgres.js';
import { redisConnection } from './connections/redis.js';
import { sqsConnection } from './connections/sqs.js';
import { channelConnection } from './connections/channel.js';
import { channelSourceManifest } from './channel-source/manifest.js';
import { channelSinkManifest } from './channel-sink/manifest.js';
import { sqsSourceManifest } from './sqs-source/manifest.js';
import { sqsSinkManifest } from './sqs-sink/manifest.js';
import { windowManifest } from './window/manifest.js';
import { checkpointManifest } from './checkpoint/manifest.js';
import { schemaRegistryConnection } from './connections/schema-registry.js';
// Kafka (another engineer's part): its connection type and nodes.
import { kafkaConnection } from './connections/kafka.js';
import { kafkaSourceManifest } from './kafka-source/manifest.js';
import { kafkaSinkManifest } from './kafka-sink/manifest.js';
// Web I/O.
import { sseSourceManifest } from './sse-source/manifest.js';
import { sseEndpointManifest } from './sse-endpoint/manifest.js';
import { webhookManifest } from './webhook/manifest.js';
import { websocketSourceManifest } from './websocket-source/manifest.js';
import { websocketSinkManifest } from './websocket-sink/manifest.js';
import { httpRequestManifest } from './http-request/manifest.js';

export {
  cacheManifest,
  counterManifest,
  debugManifest,
  fileManifest,
  filterManifest,
  functionManifest,
  inlineManifest,
  logManifest,
  mapManifest,
  sequenceManifest,
  timerManifest,
  postgresSinkManifest,
  postgresSourceManifest,
  cacheUpdatesManifest,
  windowManifest,
  checkpointManifest,
};
export {
  postgresConnection,
  redisConnection,
  schemaRegistryConnection,
  sqsConnection,
  sqsSourceManifest,
  sqsSinkManifest,
};
export { channelConnection, channelSourceManifest, channelSinkManifest };

/**
 * Every installed node type, in palette order (sources, handlers, caches, sinks).
 *
 * @example
 * const byType = new Map(nodeManifests.map((m) => [m.type, m]));
 */
export const nodeManifests: readonly NodeManifest[] = [
  sequenceManifest,
  timerManifest,
  inlineManifest,
  kafkaSourceManifest,
  sseSourceManifest,
  webhookManifest,
  websocketSourceManifest,
  postgresSourceManifest,
  cacheUpdatesManifest,
  sqsSourceManifest,
  channelSourceManifest,
  functionManifest,
  filterManifest,
  mapManifest,
  windowManifest,
  checkpointManifest,
  cacheManifest,
  logManifest,
  debugManifest,
  fileManifest,
  counterManifest,
  kafkaSinkManifest,
  sseEndpointManifest,
  postgresSinkManifest,
  sqsSinkManifest,
  channelSinkManifest,
  websocketSinkManifest,
  httpRequestManifest,
];

/**
 * Every connection type nodes can reference (`flow.connections[].type`).
 *
 * @example
 * connectionTypes.map((c) => c.type) // ['kafka', 'redis', 'postgres']
 */
export const connectionTypes: readonly ConnectionTypeManifest[] = [
  kafkaConnection,
  redisConnection,
  postgresConnection,
  sqsConnection,
  channelConnection,
  schemaRegistryConnection,
];
