import type { ConnectionTypes } from './secrets.js';
import type {
  FlowLogEntry,
  FlowRunState,
  FlowStatsSnapshot,
  NodeDefinition,
  NodeErrorEvent,
  EdgeTapEvent,
  KeyValueStore,
  NodeEndpoints,
} from '@tributary/shared';

/** Opens a flow-scoped store `name` in folder `dir` (the runtime passes LMDB; tests may pass memory). */
export type StoreOpener = (dir: string, name: string) => KeyValueStore & { close(): Promise<void> | void };

/** Node types the engine can run, by type id (built from @tributary/nodes/runtime, or a subset in tests). */
export type NodeRegistry = ReadonlyMap<string, NodeDefinition>;

export interface StartFlowOptions {
  /** Connection types, for which fields of a connection's config are secret (where references resolve). */
  connectionTypes?: ConnectionTypes;
  registry: NodeRegistry;
  /** Folder this flow's nodes may write to (file sink, embedded cache). Created if missing. */
  dataDir: string;
  /** Resolves `${env:NAME}` and `${cred:NAME}` references in connection and node configs. */
  resolveSecret?: (ref: { kind: 'env' | 'cred'; name: string }) => string | undefined;
  onLog?: (entry: FlowLogEntry) => void;
  /** Rate-limited by the engine (repeats folded into `count`). */
  onNodeError?: (event: NodeErrorEvent) => void;
  onStateChange?: (state: FlowRunState, reason?: string) => void;
  /**
   * Optional shared cell for a watchdog on another thread: the engine stores (index of the node in
   * `flow.nodes`) + 1 while that node's code runs, and 0 otherwise; `[1]` is bumped on every batch.
   */
  activity?: Int32Array;
  /**
   * Endpoints the flow's nodes may serve (webhook, event streams, WebSockets), scoped to this flow.
   * Without it, a node that opens one fails to start with a message saying how to serve endpoints.
   */
  endpoints?: NodeEndpoints;
}

export interface StopOptions {
  /** How long to wait for in-flight messages to drain before abandoning them (default: flow setting or 10 s). */
  drainTimeoutMs?: number;
}

export interface RunResult {
  state: 'finished' | 'stopped' | 'failed';
  reason?: string;
  /** Messages left in queues when a stop timed out (they were not acked, so a Kafka source replays them). */
  abandoned: number;
}

export interface FlowRun {
  readonly flowId: string;
  readonly state: FlowRunState;
  /** A stats snapshot computed now; call it about once a second. */
  stats(): FlowStatsSnapshot;
  /** Stops sources, drains queues within the timeout, closes nodes. Idempotent. */
  stop(options?: StopOptions): Promise<RunResult>;
  /** Settles when every source ended and the queues drained, or after stop/failure. Never rejects. */
  readonly done: Promise<RunResult>;
  /**
   * Samples messages crossing an edge, at most `perSecond` (default 10) per listener, each sample
   * counting the messages skipped since the last; returns an unsubscribe function.
   */
  tap(edgeId: string, listener: (event: EdgeTapEvent) => void, perSecond?: number): () => void;
}
