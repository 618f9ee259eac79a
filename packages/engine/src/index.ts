/**
 * `@tributary/engine`: runs one validated flow in the current thread. No server, no sockets, no
 * node types of its own: the runtime (`apps/runtime`) and the node test harness
 * (`@tributary/nodes/testing`) both drive nodes through it, so what node tests see is what runs.
 *
 * @example
 * const run = await startFlow(doc, { registry, dataDir, openStore, connectionTypes });
 * setInterval(() => console.log(run.stats()), 1000);
 * const result = await run.done; // finite sources: resolves when everything drained
 *
 * @packageDocumentation
 */
import {
  validateFlow,
  type ConnectionTypeManifest,
  type FlowDocument,
  type FlowProblem,
  type NodeManifest,
} from '@tributary/shared';
import { FlowRunImpl } from './flow-run.js';
import type { FlowRun, NodeRegistry, StartFlowOptions, StoreOpener } from './types.js';

export type { FlowRun, NodeRegistry, RunResult, StartFlowOptions, StopOptions, StoreOpener } from './types.js';
export { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_QUEUE_CAPACITY } from './flow-run.js';
export { FlowStartError } from './run-graph.js';
export { describeError } from './node-output.js';
export { TapSampler, DEFAULT_TAP_PER_SECOND } from './taps.js';
export {
  resolveSecrets,
  envResolver,
  ownValue,
  credentialsUsedBy,
  nodeSecretPolicy,
  connectionSecretPolicy,
  UnresolvedSecretError,
  type SecretResolver,
  type ConnectionTypes,
} from './secrets.js';

/** The flow document did not pass validation; `problems` lists every one, with its JSON pointer. */
export class FlowValidationError extends Error {
  constructor(readonly problems: FlowProblem[]) {
    super(
      `the flow has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  ${p.path || '/'}: ${p.message} [${p.code}]`).join('\n'),
    );
    this.name = 'FlowValidationError';
  }
}

export interface CheckOptions {
  /** Connection types the flow's connections may use (validated like node configs). */
  connectionTypes?: readonly ConnectionTypeManifest[] | ReadonlyMap<string, ConnectionTypeManifest>;
}

/** Validates a flow document against the registry's node types, as the engine will run it. */
export function checkFlow(doc: unknown, registry: NodeRegistry, options: CheckOptions = {}) {
  const nodeTypes = new Map<string, NodeManifest>();
  for (const [type, definition] of registry) nodeTypes.set(type, definition.manifest);
  return validateFlow(doc, {
    nodeTypes,
    ...(options.connectionTypes === undefined ? {} : { connectionTypes: options.connectionTypes }),
  });
}

/**
 * Builds and starts an already validated flow (configs parsed). Resolves once every node started;
 * rejects with `FlowStartError` (which names the node) otherwise.
 */
export async function runFlow(flow: FlowDocument, options: StartFlowOptions, openStore: StoreOpener): Promise<FlowRun> {
  const run = new FlowRunImpl(flow, options, openStore);
  await run.start(options.registry);
  return run;
}

/**
 * Validates, builds and starts a flow. Resolves once every node started (sources are running);
 * rejects with `FlowValidationError` or `FlowStartError` (which names the node) otherwise.
 */
export async function startFlow(
  doc: unknown,
  options: StartFlowOptions & CheckOptions,
  openStore: StoreOpener,
): Promise<FlowRun> {
  const checked = checkFlow(doc, options.registry, options);
  if (!checked.ok) throw new FlowValidationError(checked.problems);
  return runFlow(checked.flow, options, openStore);
}
