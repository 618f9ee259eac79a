import { defineNode, type NodeDefinition, type NodeManifest } from '@tributary/shared';

/**
 * A node type whose runtime module loads when a flow first creates one. The connector families
 * bring client libraries that cost 10–55 MB of memory each in every process that imports them
 * (Kafka's two clients, the AWS SDK, ioredis, pg, undici, avsc); a flow process pays only for the
 * ones its flow uses. A module that fails to load fails that node's start, with the reason.
 *
 * @example
 * export const kafkaSinkNode = lazyNode(kafkaSinkManifest, async () => (await import('./kafka-sink/runtime.js')).kafkaSinkNode);
 */
export function lazyNode<M extends NodeManifest>(
  manifest: M,
  load: () => Promise<NodeDefinition<M>>,
): NodeDefinition<M> {
  let loading: Promise<NodeDefinition<M>> | null = null;
  return defineNode(manifest, async (config, ctx) => {
    const definition = await (loading ??= load());
    return definition.create(config, ctx);
  });
}
