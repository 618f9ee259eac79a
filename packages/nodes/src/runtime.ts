/**
 * Node-only entry (`@tributary/nodes/runtime`): the runtime half of every node type, the registry
 * the engine runs from, and the helpers it shares with nodes (the embedded LMDB store).
 */
import type { NodeDefinition } from '@tributary/shared';
import { cacheNode } from './cache/runtime.js';
import { counterNode } from './counter/runtime.js';
import { fileNode } from './file/runtime.js';
import { filterNode } from './filter/runtime.js';
import { functionNode } from './function/runtime.js';
import { inlineNode } from './inline/runtime.js';
import { debugNode } from './debug/runtime.js';
import { logNode } from './log/runtime.js';
import { mapNode } from './map/runtime.js';
import { windowNode } from './window/runtime.js';
import { checkpointNode } from './checkpoint/runtime.js';
import { sequenceNode } from './sequence/runtime.js';
import { timerNode } from './timer/runtime.js';
import { postgresSinkNode } from './postgres-sink/runtime.js';
import { postgresSourceNode } from './postgres-source/runtime.js';
import { cacheUpdatesNode } from './cache-updates/runtime.js';
import { kafkaSourceNode } from './kafka-source/runtime.js';
import { kafkaSinkNode } from './kafka-sink/runtime.js';
import { sseSourceNode } from './sse-source/runtime.js';
import { sseEndpointNode } from './sse-endpoint/runtime.js';
import { webhookNode } from './webhook/runtime.js';
import { websocketSourceNode } from './websocket-source/runtime.js';
import { sqsSourceNode } from './sqs-source/runtime.js';
import { sqsSinkNode } from './sqs-sink/runtime.js';
import { channelSourceNode } from './channel-source/runtime.js';
import { channelSinkNode } from './channel-sink/runtime.js';
import { websocketSinkNode } from './websocket-sink/runtime.js';
import { httpRequestNode } from './http-request/runtime.js';

export {
  cacheNode,
  counterNode,
  debugNode,
  fileNode,
  filterNode,
  functionNode,
  inlineNode,
  logNode,
  mapNode,
  sequenceNode,
  timerNode,
  postgresSinkNode,
  postgresSourceNode,
  cacheUpdatesNode,
  windowNode,
  checkpointNode,
};
export { openLmdbStore, isLmdbStore, storeFileName, type LmdbStore } from './lib/lmdb-store.js';
export { NodeConfigError, UserCodeError } from './lib/compile.js';
export { resolveInside } from './lib/safe-path.js';
export {
  codecFromSettings,
  isAsyncCodec,
  avroSchemaCodec,
  registryCodec,
  registryClient,
  type AnyCodec,
  type AsyncCodec,
  type CodecTarget,
} from './lib/avro-codec.js';
export { RatePacer, sleep } from './lib/pacing.js';
export {
  provideSourceControl,
  sourceControlOf,
  sourceControlsIn,
  type SourceControl,
  type TopicPartition,
} from './lib/positions.js';
export { toMessage, MessageResultError, type MessageLike } from './lib/message-like.js';
export type { FunctionContext } from './function/runtime.js';
export { connectionOf } from './connections/connection-of.js';
export { connectRedis, describeRedis, redisConnectionOf, redisOptions } from './connections/redis-client.js';
export {
  connectPostgres,
  describePostgres,
  postgresConnectionOf,
  postgresPoolConfig,
} from './connections/postgres-client.js';
export { createSqsClient, resolveQueueUrl, sqsConnectionOf } from './connections/sqs-client.js';
export { sqsSourceNode, sqsSinkNode, channelSourceNode, channelSinkNode };
export type { TimerTick } from './timer/runtime.js';
export { EndpointHub, type EndpointHubOptions, type FlowEndpoints, type Refusal } from './endpoints/hub.js';
export {
  endpointsOverChannel,
  serveEndpointChannel,
  type BridgeChannel,
  type EndpointToFlow,
  type EndpointToHost,
} from './endpoints/bridge.js';

/**
 * The runtime half of every installed node type, in the same order as `nodeManifests`.
 *
 * @example
 * const engineRegistry = createNodeRegistry(); // all of them
 */
export const nodeDefinitions: readonly NodeDefinition[] = [
  sequenceNode,
  timerNode,
  inlineNode,
  kafkaSourceNode,
  sseSourceNode,
  webhookNode,
  websocketSourceNode,
  postgresSourceNode,
  cacheUpdatesNode,
  sqsSourceNode,
  channelSourceNode,
  functionNode,
  filterNode,
  mapNode,
  windowNode,
  checkpointNode,
  cacheNode,
  logNode,
  debugNode,
  fileNode,
  counterNode,
  kafkaSinkNode,
  sseEndpointNode,
  postgresSinkNode,
  sqsSinkNode,
  channelSinkNode,
  websocketSinkNode,
  httpRequestNode,
];

/**
 * Node types by type id, for the engine. Pass a subset (or extra test nodes) to scope a registry.
 * Throws on a duplicate type id.
 *
 * @example
 * const registry = createNodeRegistry();
 * registry.get('function')?.manifest.label // 'Function'
 */
export function createNodeRegistry(
  definitions: readonly NodeDefinition[] = nodeDefinitions,
): ReadonlyMap<string, NodeDefinition> {
  const registry = new Map<string, NodeDefinition>();
  for (const definition of definitions) {
    const type = definition.manifest.type;
    if (registry.has(type)) throw new Error(`node type "${type}" is defined twice`);
    registry.set(type, definition);
  }
  return registry;
}
