import {
  lazyNodeState,
  nodeStateStoreName,
  unavailableEndpoints,
  type FlowDocument,
  type KeyValueStore,
  type LogLevel,
  type NodeContext,
  type SourceContext,
} from '@tributary/shared';
import { FlowStartError, type RunNode } from './run-graph.js';
import type { Router } from './router.js';
import { connectionSecretPolicy, resolveSecrets, type SecretResolver } from './secrets.js';
import type { StartFlowOptions } from './types.js';

export interface ContextDeps {
  readonly flow: FlowDocument;
  readonly options: StartFlowOptions;
  readonly signal: AbortSignal;
  readonly resolveSecret: SecretResolver;
  readonly router: Router;
  readonly openStore: (name: string) => KeyValueStore;
}

/** The context a node's code sees: its logger, stats, stores, connections, and the router's emit calls. */
export function makeContext(node: RunNode, deps: ContextDeps): NodeContext {
  const { flow, options, router } = deps;
  const flowId = flow.id;
  const connections = new Map((flow.connections ?? []).map((c) => [c.id, c]));
  const log = (level: LogLevel) => (message: string, data?: unknown) =>
    options.onLog?.({ flowId, at: Date.now(), level, nodeId: node.id, message, data });
  const custom = node.counters.custom;
  const state = lazyNodeState(() => deps.openStore(nodeStateStoreName(node.id)));
  const ctx: NodeContext = {
    flowId,
    nodeId: node.id,
    signal: deps.signal,
    dataDir: options.dataDir,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    stats: {
      set: (name, value) => {
        custom[name] = value;
      },
      add: (name, by = 1) => {
        const current = custom[name];
        custom[name] = (typeof current === 'number' ? current : 0) + by;
      },
    },
    openStore: deps.openStore,
    state,
    keepStateIn: (transactional) => state.keepIn(transactional),
    endpoints:
      options.endpoints ??
      unavailableEndpoints(
        `node "${node.id}" serves an endpoint, but this run serves none: give \`tributary run\` a --port (or deploy the flow to \`tributary serve\`)`,
      ),
    connection: (id) => {
      const connection = connections.get(id);
      if (!connection) throw new FlowStartError(`connection "${id}" is not defined in this flow`, node.id);
      return resolveSecrets(
        connection.config,
        deps.resolveSecret,
        `/connections/${id}/config`,
        connectionSecretPolicy(options.connectionTypes, connection.type),
      );
    },
    emitFrom: (messages, from, port, onAck) => router.emitFrom(node, messages, from, port, onAck),
    release: (holds, ok) => router.releaseHolds(holds, ok),
  };
  if (!node.isSource) return ctx;
  const batchSize = flow.settings?.batchSize;
  const sourceCtx: SourceContext = {
    ...ctx,
    ...(batchSize === undefined ? {} : { batchSize }),
    emit: (messages, onAck) => router.emitFromSource(node, messages, onAck),
    emitError: (error, message, onAck) => router.emitError(node, error, message, onAck),
  };
  return sourceCtx;
}
