/**
 * `@tributary/shared`: the contracts between the editor, the runtime and the node types. Browser
 * safe (its only dependency is zod).
 *
 * - the flow document (`FlowDocumentSchema`, `serializeFlow` / `parseFlowJson`, `migrateDocument`, `flow.schema.json`);
 * - checking it (`validateFlow`, `validateFlowText`, `parseFlowDocument`, `PROBLEM_CODES`);
 * - graph rules (`canConnect`, `topologicalOrder`, `findCycles`, `downstreamOf`);
 * - the node contract (`defineManifest`, `defineNode`, `defineConnectionType`) and UI hints;
 * - messages, live stats and socket events; HTTP DTOs (`FlowRecord`, `toNodeTypeInfo`);
 * - one retry rule (`backoffDelay`, `sleep`) for reconnects and restarts.
 *
 * @example
 * import { validateFlowText, serializeFlow } from '@tributary/shared';
 * const result = validateFlowText(text, { nodeTypes: nodeManifests, connectionTypes });
 * if (result.ok) await writeFile(file, serializeFlow(result.flow));
 * else for (const p of result.problems) console.error(`${p.path}: ${p.message} [${p.code}]`);
 *
 * @packageDocumentation
 */
export * from './message.js';
export * from './node-contract.js';
export * from './flow-document.js';
export * from './stats.js';
export * from './events.js';
export * from './problems.js';
export * from './secrets.js';
export * from './field-hints.js';
export * from './graph.js';
export * from './migrations.js';
export * from './serialize.js';
export * from './json-text.js';
export * from './validate-flow.js';
export * from './api.js';
export * from './backoff.js';
export * from './flow-json-schema.js';
