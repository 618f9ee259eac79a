/**
 * Node-only entry (`@tributary/nodes/runtime`): the runtime half of every node type, the registry
 * the engine runs from, and the helpers it shares with nodes (the embedded LMDB store).
 */
import type { NodeDefinition } from '@tributary/shared';
import { lazyNode } from './lib/lazy-node.js';
import { cacheManifest } from './cache/manifest.js';
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
import { postgresSinkManifest } from './postgres-sink/manifest.js';
import { postgresSourceManifest } from './postgres-source/manifest.js';
import { cacheUpdatesManifest } from './cache-updates/manifest.js';
import { kafkaSourceManifest } from './kafka-source/manifest.js';
import { kafkaSinkManifest } from './kafka-sink/manifest.js';
import { sseSourceManifest } from './sse-source/manifest.js';
import { sseEndpointNode } from './sse-endpoint/runtime.js';
import { webhookNode } from './webhook/runtime.js';
import { websocketSourceManifest } from './websocket-source/manifest.js';
import { sqsSourceManifest } from './sqs-source/manifest.js';
import { sqsSinkManifest } from './sqs-sink/manifest.js';
import { channelSourceManifest } from './channel-source/manifest.js';
import { channelSinkManifest } from './channel-sink/manifest.js';
import { websocketSinkManifest } from './websocket-sink/manifest.js';
import { httpRequestManifest } from './http-request/manifest.js';

// The connector families load their client libraries on a flow's first use (see lazyNode).
const kafkaSourceNode = lazyNode(
  kafkaSourceManifest,
  async () => (await import('./kafka-source/runtime.js')).kafkaSourceNode,
);
const kafkaSinkNode = lazyNode(kafkaSinkManifest, async () => (await import('./kafka-sink/runtime.js')).kafkaSinkNode);
const cacheNode = lazyNode(cacheManifest, async () => (await import('./cache/runtime.js')).cacheNode);
const cacheUpdatesNode = lazyNode(
  cacheUpdatesManifest,
  async () => (await import('./cache-updates/runtime.js')).cacheUpdatesNode,
);
const channelSourceNode = lazyNode(
  channelSourceManifest,
  async () => (await import('./channel-source/runtime.js')).channelSourceNode,
);
const channelSinkNode = lazyNode(
  channelSinkManifest,
  async () => (await import('./channel-sink/runtime.js')).channelSinkNode,
);
const sseSourceNode = lazyNode(sseSourceManifest, async () => (await import('./sse-source/runtime.js')).sseSourceNode);
const sqsSourceNode = lazyNode(sqsSourceManifest, async () => (await import('./sqs-source/runtime.js')).sqsSourceNode);
const sqsSinkNode = lazyNode(sqsSinkManifest, async () => (await import('./sqs-sink/runtime.js')).sqsSinkNode);
const httpRequestNode = lazyNode(
  httpRequestManifest,
  async () => (await import('./http-request/runtime.js')).httpRequestNode,
);
const websocketSinkNode = lazyNode(
  websocketSinkManifest,
  async () => (await import('./websocket-sink/runtime.js')).websocketSinkNode,
);
const websocketSourceNode = lazyNode(
  websocketSourceManifest,
  async () => (await import('./websocket-source/runtime.js')).websocketSourceNode,
);
const postgresSourceNode = lazyNode(
  postgresSourceManifest,
  async () => (await import('./postgres-source/runtime.js')).postgresSourceNode,
);
const postgresSinkNode = lazyNode(
  postgresSinkManifest,
  async () => (await import('./postgres-sink/runtime.js')).postgresSinkNode,
);

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
