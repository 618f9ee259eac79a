/**
 * The engine as the runtime uses it: `@tributary/engine` with the installed node types' connection
 * types and LMDB stores. The engine itself lives in packages/engine (see its README).
 */
import {
  checkFlow as checkWith,
  startFlow as startWith,
  type FlowRun,
  type NodeRegistry,
  type StartFlowOptions,
  type StoreOpener,
} from '@tributary/engine';
import { connectionTypes } from '@tributary/nodes/manifests';
import { openLmdbStore } from '@tributary/nodes/runtime';

export {
  FlowStartError,
  FlowValidationError,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_QUEUE_CAPACITY,
  resolveSecrets,
  envResolver,
  UnresolvedSecretError,
  type FlowRun,
  type NodeRegistry,
  type RunResult,
  type StartFlowOptions,
  type StopOptions,
  type SecretResolver,
} from '@tributary/engine';

/** Validates a flow document against the registry's node types, as the engine will run it. */
export function checkFlow(doc: unknown, registry: NodeRegistry) {
  return checkWith(doc, registry, { connectionTypes });
}

/**
 * Validates, builds and starts a flow. Resolves once every node started (sources are running);
 * rejects with `FlowValidationError` or `FlowStartError` (which names the node) otherwise.
 *
 * @example
 * const run = await startFlow(doc, { registry: createNodeRegistry(), dataDir: '.tributary/data/demo' });
 * setInterval(() => console.log(run.stats()), 1000);
 * const result = await run.done; // finite sources: resolves when everything drained
 */
export function startFlow(
  doc: unknown,
  options: StartFlowOptions,
  openStore: StoreOpener = openLmdbStore,
): Promise<FlowRun> {
  return startWith(doc, { ...options, connectionTypes }, openStore);
}
