import { validateFlow, type FlowProblem, type NodeManifest } from '@tributary/shared';
import { connectionTypes } from '@tributary/nodes/manifests';
import { openLmdbStore } from '@tributary/nodes/runtime';
import { FlowRunImpl, type StoreOpener } from './flow-run.js';
import type { FlowRun, NodeRegistry, StartFlowOptions } from './types.js';

export type { FlowRun, NodeRegistry, RunResult, StartFlowOptions, StopOptions } from './types.js';
export { FlowStartError, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_QUEUE_CAPACITY } from './flow-run.js';
export { resolveSecrets, envResolver, UnresolvedSecretError, type SecretResolver } from './secrets.js';

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

/** Validates a flow document against the registry's node types, as the engine will run it. */
export function checkFlow(doc: unknown, registry: NodeRegistry) {
  const nodeTypes = new Map<string, NodeManifest>();
  for (const [type, definition] of registry) nodeTypes.set(type, definition.manifest);
  return validateFlow(doc, { nodeTypes, connectionTypes });
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
export async function startFlow(
  doc: unknown,
  options: StartFlowOptions,
  openStore: StoreOpener = openLmdbStore,
): Promise<FlowRun> {
  const checked = checkFlow(doc, options.registry);
  if (!checked.ok) throw new FlowValidationError(checked.problems);
  const run = new FlowRunImpl(checked.flow, options, { openStore });
  await run.start(options.registry);
  return run;
}
