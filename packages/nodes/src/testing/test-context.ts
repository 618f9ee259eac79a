import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  lazyNodeState,
  nodeStateStoreName,
  unavailableEndpoints,
  type KeyValueStore,
  type NodeContext,
  type NodeEndpoints,
  type NodeLogger,
} from '@tributary/shared';
import { openLmdbStore, type LmdbStore } from '../lib/lmdb-store.js';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  level: LogLevelName;
  message: string;
  data?: unknown;
}

export type StatValue = number | Readonly<Record<string, number>>;

export interface TestContextOptions {
  nodeId?: string;
  flowId?: string;
  /** Folder for files and stores; a fresh temp folder (removed on close) when left out. */
  dataDir?: string;
  /** Keep a temp data folder after close (to look at it when a test fails). */
  keepDataDir?: boolean;
  /** Resolved connection configs by id, as `ctx.connection(id)` returns them. */
  connections?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** What `ctx.endpoints` serves on (an `EndpointHub`'s `forFlow`); none when left out. */
  endpoints?: NodeEndpoints;
  /** Aborts `ctx.signal`; the harness makes its own when left out. */
  signal?: AbortSignal;
}

export interface TestContext {
  readonly ctx: NodeContext;
  readonly logs: LogRecord[];
  /** What the node reported through `ctx.stats`. */
  readonly stats: Record<string, StatValue>;
  readonly dataDir: string;
  /** Stores opened through `ctx.openStore`, by name (real LMDB, in `dataDir/stores`). */
  readonly stores: Map<string, LmdbStore>;
  /** Closes the stores and removes a temp data folder; idempotent. */
  close(): Promise<void>;
}

/**
 * A real NodeContext for tests: a temp data folder, real LMDB stores (the ones the engine uses),
 * and logs and stats captured in arrays.
 *
 * @example
 * const test = createTestContext({ nodeId: 'n1' });
 * const instance = await someNode.create(config, test.ctx);
 * // … then
 * await test.close();
 */
export function createTestContext(options: TestContextOptions = {}): TestContext {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-node-test-'));
  const logs: LogRecord[] = [];
  const stats: Record<string, StatValue> = {};
  const stores = new Map<string, LmdbStore>();
  const signal = options.signal ?? new AbortController().signal;
  const logAt =
    (level: LogLevelName) =>
    (message: string, data?: unknown): void => {
      logs.push(data === undefined ? { level, message } : { level, message, data });
    };
  const log: NodeLogger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };
  let closed = false;
  const state = lazyNodeState(() => ctx.openStore(nodeStateStoreName(ctx.nodeId)));
  const ctx: NodeContext = {
    flowId: options.flowId ?? 'test-flow',
    nodeId: options.nodeId ?? 'node',
    log,
    stats: {
      set(name, value) {
        stats[name] = value;
      },
      add(name, by = 1) {
        const current = stats[name];
        stats[name] = (typeof current === 'number' ? current : 0) + by;
      },
    },
    signal,
    dataDir,
    openStore(name: string): KeyValueStore {
      if (closed) throw new Error('the test context is closed');
      let store = stores.get(name);
      if (!store) {
        store = openLmdbStore(join(dataDir, 'stores'), name);
        stores.set(name, store);
      }
      return store;
    },
    endpoints: options.endpoints ?? unavailableEndpoints('this test context serves no endpoints'),
    state,
    keepStateIn: (transactional) => state.keepIn(transactional),
    connection(id: string) {
      const connection = options.connections?.[id];
      if (!connection) throw new Error(`connection "${id}" is not defined in this flow`);
      return connection;
    },
    // Holds need the engine's ack groups; runNode drives nodes that use them through the engine.
    emitFrom() {
      throw new Error('emitFrom needs the engine: test this node with runNode');
    },
    release() {
      throw new Error('release needs the engine: test this node with runNode');
    },
  };
  return {
    ctx,
    logs,
    stats,
    dataDir,
    stores,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...stores.values()].map((store) => store.close()));
      stores.clear();
      if (ownDir && !options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
