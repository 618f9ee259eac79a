/**
 * `@tributary/engine/testing`: small node types and an in-memory store for tests that run flows
 * through the engine (the engine's own tests and the runtime's stream node tests). Not part of the
 * engine's API: nothing in a running flow imports it.
 */
export * from './test-nodes.js';
export { memoryStore } from './memory-store.js';
