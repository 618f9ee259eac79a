import type { z } from 'zod';
import type { FlowMessage } from './message.js';

/** The four kinds of node. */
export const NODE_KINDS = ['source', 'handler', 'cache', 'sink'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** Every node has this output port implicitly; it is not listed in `outputs`. */
export const ERROR_PORT = 'error';
export const DEFAULT_INPUT = 'in';
export const DEFAULT_OUTPUT = 'out';

export interface PortDefinition {
  /** Stable id used in edges (`sourcePort` / `targetPort`). */
  name: string;
  label?: string;
  description?: string;
}

/**
 * How a config field is drawn in the editor, and what the validator checks about it. Attached
 * with zod's `.meta({ ui: hints })`; it shows up as a `ui` key in the config's JSON Schema, where
 * the editor (`NodeTypeInfo.configSchema`) and `validateFlow` (`compileHints`) read it.
 *
 * @example
 * z.string().meta({ ui: { widget: 'connection', connectionType: 'kafka', label: 'Cluster' } })
 */
/** Units a numeric duration field may be kept in (see `FieldUiHints.unit`). */
export type DurationUnit = 'ms' | 's';

export interface FieldUiHints {
  label?: string;
  help?: string;
  placeholder?: string;
  /**
   * `code` opens a code editor; `secret` masks the value and stores it as a credential; `duration`:
   * a length of time — a number in `unit`, or (no `unit`) a text carrying its own ("30s").
   */
  widget?: 'text' | 'textarea' | 'code' | 'secret' | 'connection' | 'select' | 'json' | 'duration';
  /**
   * For a number that is a duration: what one means (`ms`: milliseconds, `s`: seconds). Declared,
   * never guessed from the field's name: the form converts what the user types (2 min) into it.
   */
  unit?: DurationUnit;
  /** For `code`: the language of the editor. */
  language?: 'javascript' | 'json' | 'sql';
  /** For `connection`: the connection type to pick from (`kafka`, `redis`, `postgres`). */
  connectionType?: string;
  /** Fields that hold secrets must be `${env:NAME}` or `${cred:NAME}` references in a saved flow. */
  secret?: boolean;
  /** Order in the form (ascending); fields without one keep schema order. */
  order?: number;
  /** Shown only in the "advanced" part of the form. */
  advanced?: boolean;
}

// Types `.meta({ ui })` everywhere this package is imported: a misspelt hint (say `scret: true`,
// which would let a password be saved in clear) fails to compile instead of being ignored.
declare module 'zod' {
  interface GlobalMeta {
    /** Editor hints of a config field (see `FieldUiHints`). */
    ui?: FieldUiHints;
  }
}

/** A migration of one node type's config from `typeVersion` N to N + 1. */
export type ConfigMigration = (config: Record<string, unknown>) => Record<string, unknown>;

/**
 * The browser-safe half of a node type: everything the palette, the forms and the validator need.
 *
 * @example
 * const manifest = defineManifest({
 *   type: 'filter', typeVersion: 1, kind: 'handler', label: 'Filter', category: 'transform',
 *   description: 'Keeps the messages for which an expression is true',
 *   inputs: [{ name: 'in' }], outputs: [{ name: 'out' }],
 *   config: z.object({ expression: z.string().min(1) }),
 * });
 */
export interface NodeManifest<Config extends z.ZodType = z.ZodType> {
  /** Stable kebab-case id, never renamed. */
  type: string;
  /** Current version of the config shape; older configs are migrated with `migrations`. */
  typeVersion: number;
  kind: NodeKind;
  label: string;
  description: string;
  /** Palette group inside the kind, e.g. `kafka`, `transform`, `storage`, `testing`. */
  category: string;
  inputs: readonly PortDefinition[];
  outputs: readonly PortDefinition[];
  /** zod schema of the config, with defaults; the runtime parses config with it before a node starts. */
  config: Config;
  /** `migrations[n]` turns a version-n config into a version-(n+1) config. */
  migrations?: Readonly<Record<number, ConfigMigration>>;
  /** Markdown shown in the editor's help panel. */
  docs?: string;
  /**
   * Nodes that keep inputs unconfirmed (a window): the most input messages one may hold, from its
   * parsed config (typed loosely: manifests are spread onto other configs in tests). Checked at deploy against `maxUnconfirmed` of the sources upstream.
   */
  maxHeld?(config: Readonly<Record<string, unknown>>): number;
  /**
   * Sources that stop reading while this many of their messages are unconfirmed (a queue's
   * in-flight limit); undefined when they do not stop. A node downstream that holds as many would
   * wait for input that never comes, so the flow is refused at deploy.
   */
  maxUnconfirmed?(config: Readonly<Record<string, unknown>>): number | undefined;
}

export function defineManifest<Config extends z.ZodType>(manifest: NodeManifest<Config>): NodeManifest<Config> {
  return manifest;
}

/** Parsed config type of a manifest. */
export type ConfigOf<M extends NodeManifest> = z.output<M['config']>;

// ---------------------------------------------------------------------------------------------
// Runtime half (types only: the implementations live in @tributary/nodes/runtime, node-only).
// ---------------------------------------------------------------------------------------------

export interface NodeLogger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

/** Custom figures a node reports beyond what the engine measures (lag, cache hits, pending writes). */
export interface NodeStatsReporter {
  /** Sets a gauge, e.g. `set('lag', 120)` or `set('lag', { 'orders-0': 12, 'orders-1': 3 })`. */
  set(name: string, value: number | Readonly<Record<string, number>>): void;
  /** Adds to a counter, e.g. `add('hits', 1)`. */
  add(name: string, by?: number): void;
}

/** A durable key-value store (embedded LMDB, or Redis), opened through the context. */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Number of entries (may be approximate for remote stores). */
  size(): Promise<number>;
}

/**
 * What `emit` answers. `undefined`: accepted, emit more at once. A promise: a queue downstream is
 * full; emit nothing more until it resolves (a Kafka source pauses its partitions, a webhook answers
 * 429). The engine never returns a promise for any other reason: yielding to the event loop is its
 * own business (see packages/engine/README.md), so a promise always means real backpressure.
 */
export type EmitResult = Promise<void> | undefined;

/**
 * A claim on the delivery of one input batch, kept beyond `process` (many-to-one lineage). Taken
 * with `Output.hold()`; the held input is confirmed to its source only once every message emitted
 * `from` it (with `NodeContext.emitFrom`) was confirmed, or the hold was released with `ok: true`.
 * Opaque: pass it back to the engine, never inspect it.
 */
export interface Hold {
  readonly __hold: unique symbol;
}

// ---------------------------------------------------------------------------------------------
// Endpoints: HTTP, event streams and WebSockets a node serves on the runtime's own server.
// The flow runs apart from the server (a worker thread or a child process), so these are plain
// data in and out: the host owns the sockets and forwards requests, frames and events as messages.
// ---------------------------------------------------------------------------------------------

/** One HTTP request to a node's endpoint; the body was read within the endpoint's size limit. */
export interface EndpointRequest {
  readonly method: string;
  /** The path below the endpoint's mount point ('' for the mount point itself). */
  readonly subPath: string;
  readonly query: Readonly<Record<string, string>>;
  /** Header names in lower case; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface EndpointResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string or bytes as is; anything else is sent as JSON. */
  body?: unknown;
}

export interface HttpEndpointOptions {
  /** Methods accepted (default POST); others get 405. */
  methods?: readonly string[];
  /** Larger bodies get 413 before the node sees them (default 1 MB). */
  maxBodyBytes?: number;
  /** Requests waiting for the node's answer at most; more get 503 with Retry-After (default 1000). */
  maxPending?: number;
  /** An answer that takes longer gets 504 (default 30 s). */
  timeoutMs?: number;
}

/** One event of an event stream; the endpoint numbers them (ids increase, also across restarts). */
export interface StreamEvent {
  event?: string;
  data: string;
}

export interface EventStreamOptions {
  /** Events kept for clients that reconnect with Last-Event-ID (default 1000). */
  replay?: number;
  /** The `retry:` sent to each client on connect, in ms (default 2000). */
  retryMs?: number;
  /** A `: ping` comment this often, in ms (default 15000). */
  pingMs?: number;
  /** A client with more than this many bytes not yet taken by its socket is dropped (default 1 MB). */
  maxClientBufferBytes?: number;
}

export interface EventStreamEndpoint {
  /** Where clients connect, relative to the server (`/streams/<flow>/<path>`). */
  readonly path: string;
  /** Clients connected now, and clients dropped so far because they could not keep up. */
  readonly clients: number;
  readonly droppedClients: number;
  /** Appends to the replay buffer and writes to every client; resolves once the events are in the buffer. */
  publish(events: readonly StreamEvent[]): Promise<void>;
  close(): void;
}

/** One WebSocket connection to a node's endpoint. */
export interface EndpointSocket {
  /** Unique within the runtime; carried in messages as `meta.session` for replies. */
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  send(data: string | Uint8Array): void;
  /** Stops reading the socket (the peer's writes back up in TCP), until `resume`. */
  pause(): void;
  resume(): void;
  close(code?: number, reason?: string): void;
  onMessage(listener: (data: string | Uint8Array) => void): void;
  onClose(listener: (code: number) => void): void;
}

export interface WebSocketEndpoint {
  /** Where clients connect (`/ws/<flow>/<path>`). */
  readonly path: string;
  /** The open connections. */
  sessions(): Iterable<EndpointSocket>;
  close(): void;
}

/**
 * Endpoints a node serves on the runtime's server (under its token, with body limits and JSON
 * errors). Each path is confined to the flow: `http` mounts at `/hooks/<flow>/<path>`,
 * `eventStream` at `/streams/<flow>/<path>`, `webSocket` at `/ws/<flow>/<path>`. Everything a node
 * opens is closed when the flow stops. Rejects when the path is taken or when the runtime serves no
 * endpoints (`tributary run` without `--port`).
 *
 * @example
 * await ctx.endpoints.http('orders', async (req) => ({ status: 202, body: { ok: true } }));
 */
export interface NodeEndpoints {
  http(
    path: string,
    handler: (request: EndpointRequest) => Promise<EndpointResponse>,
    options?: HttpEndpointOptions,
  ): Promise<{ readonly path: string; close(): void }>;
  eventStream(path: string, options?: EventStreamOptions): Promise<EventStreamEndpoint>;
  webSocket(
    path: string,
    onSession: (socket: EndpointSocket) => void,
    options?: { maxPayloadBytes?: number },
  ): Promise<WebSocketEndpoint>;
}

/**
 * A node's own durable state (Dataiku's `checkpoint(state)` / `get_state()`): small JSON values by
 * key that survive restarts of the flow, e.g. the position a polling source has confirmed.
 *
 * Where it is kept depends on the node:
 * - By default in the flow's data folder (embedded store `node-state:<node id>`), one per node,
 *   written when `set` resolves.
 * - A sink that writes in transactions keeps it in them (see `TransactionalState`): then `set` and
 *   `delete` only stage a change, and the change commits in the sink's next transaction, with its
 *   rows and source offsets — after a crash, the state is never ahead of nor behind the data.
 *   postgres-sink does this (table `tributary_state`).
 *
 * @example
 * const position = (await ctx.state.get('position')) ?? 0;
 * // … after the flow confirmed everything up to `next`:
 * await ctx.state.set('position', next);
 */
export interface NodeState {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** Changes to a node's state, by key: the new value, or `undefined` for a delete. */
export type StateChanges = ReadonlyMap<string, unknown>;

/**
 * How a sink with its own transactions provides `ctx.state`: it builds one of these over its
 * database and hands it to `NodeContext.keepStateIn` in its factory. From then on `get` sees the
 * committed values plus the changes staged since; `set` / `delete` stage (resolving at once). For
 * each transaction the sink takes the staged changes (`take`), writes them in it, and settles them
 * after COMMIT (they become the committed values) or ROLLBACK (they are dropped: the sink's retry
 * runs again what staged them).
 *
 * @example
 * const state = new MyTableState(pool); // implements TransactionalState
 * ctx.keepStateIn(state);
 * // in a transaction: const changes = state.take(); write rows, write changes, COMMIT;
 * state.settle(changes, true);
 */
export interface TransactionalState extends NodeState {
  /** The changes staged since the last `take` (the staging area is emptied). */
  take(): StateChanges;
  /** After the transaction holding `changes` ended: `committed` true after COMMIT, false after ROLLBACK. */
  settle(changes: StateChanges, committed: boolean): void;
}

export interface NodeContext {
  readonly flowId: string;
  readonly nodeId: string;
  readonly log: NodeLogger;
  readonly stats: NodeStatsReporter;
  /** Aborted when the flow stops; long waits must listen to it. */
  readonly signal: AbortSignal;
  /** Folder this flow may write to; file paths in configs are confined to it. */
  readonly dataDir: string;
  /** This node's own durable state (see `NodeState`); opened on first use. */
  readonly state: NodeState;
  /**
   * For sinks that write in transactions, called in the factory: from then on `state` is
   * `transactional`, committed with the sink's own transactions instead of the flow's store.
   */
  keepStateIn(transactional: TransactionalState): void;
  /** A flow-scoped durable store, shared by every node of the flow that opens the same name. */
  openStore(name: string): KeyValueStore;
  /** HTTP, event-stream and WebSocket endpoints on the runtime's server (see `NodeEndpoints`). */
  readonly endpoints: NodeEndpoints;
  /** The resolved config of a connection (secrets substituted), by id. Throws if unknown. */
  connection(id: string): Readonly<Record<string, unknown>>;
  /**
   * Processors (handlers, caches): emits messages derived from held inputs, at any time (a window
   * closing on a timer, a batching sink's flush). The message's acks are the union of `from`: each
   * held input is confirmed when every message derived from it is. The holds passed here are
   * consumed (do not release them again). Answers like `SourceContext.emit`. `onAck` fires once the
   * messages were confirmed (ok) or the flow stopped first (not ok), before the held inputs are
   * confirmed — a window records there that its result is final.
   */
  emitFrom(messages: readonly FlowMessage[], from: readonly Hold[], port?: string, onAck?: AckCallback): EmitResult;
  /**
   * Gives holds up without output: `ok: true` confirms the inputs (aggregated away, deliberately
   * dropped), `ok: false` marks them failed (not committed, so a source replays them).
   */
  release(holds: readonly Hold[], ok: boolean): void;
}

/**
 * Called when every message derived from an emitted batch was confirmed by a sink or dropped on
 * purpose (`ok: true`), or when the flow stopped before that (`ok: false`: do not commit).
 */
export type AckCallback = (ok: boolean) => void;

export interface SourceContext extends NodeContext {
  /**
   * Messages per batch the flow asks sources to emit at most (flow `settings.batchSize`); a source
   * uses its own setting if it has one, else this, else its default.
   */
  readonly batchSize?: number;
  /**
   * Sends messages downstream. `undefined`: accepted. A promise: downstream is full, wait for it
   * before the next batch (see `EmitResult`). `onAck` fires once the batch is fully processed.
   */
  emit(messages: readonly FlowMessage[], onAck?: AckCallback): EmitResult;
  /** Routes a message that could not be read (e.g. undecodable) to the error port, counted. */
  emitError(error: unknown, message?: FlowMessage, onAck?: AckCallback): EmitResult;
}

/** A source runs until it is finished (finite sources) or until `ctx.signal` aborts. */
export interface SourceInstance {
  readonly kind: 'source';
  /** Resolves when the source has nothing more to send (finite) or has stopped. */
  run(ctx: SourceContext): Promise<void>;
  /** Frees resources after the flow drained (close consumers, commit offsets). */
  close?(): Promise<void> | void;
}

/** Collects what one call of `process` produces; the engine routes it downstream as batches. */
export interface Output {
  /** Emits on the default output port, or on `port`. */
  push(message: FlowMessage, port?: string): void;
  /** Sends `message` (the input that failed) to the error port with the error, counted as an error. */
  error(error: unknown, message: FlowMessage): void;
  /** Counts a message as deliberately dropped (a filter's "no"); it is acked. */
  drop(count?: number): void;
  /**
   * Keeps the batch being processed unconfirmed after `process` returns, until the hold is passed
   * to `ctx.emitFrom` (with the messages derived from it) or to `ctx.release`. One hold per batch
   * per result is enough: a window takes one for each window a batch contributed to.
   */
  hold(): Hold;
}

/**
 * Handlers, caches and sinks process batches. A sink's `process` resolves only once its writes
 * are durable: that is when the engine confirms the messages to their source.
 */
export interface ProcessorInstance {
  readonly kind: 'processor';
  process(batch: readonly FlowMessage[], out: Output, inputPort: string): void | Promise<void>;
  /**
   * End of input: called once, upstream nodes first, when every source of the flow has finished and
   * the queues drained (never on stop). A node that keeps messages back (a window) emits them here.
   */
  endOfInput?(): void | Promise<void>;
  /** Called on stop after the queues drained: flush producers, close files. */
  close?(): Promise<void> | void;
}

export type NodeInstance = SourceInstance | ProcessorInstance;

export type NodeFactory<Config> = (config: Config, ctx: NodeContext) => NodeInstance | Promise<NodeInstance>;

/** The node-only half of a node type. */
export interface NodeDefinition<M extends NodeManifest = NodeManifest> {
  manifest: M;
  create: NodeFactory<ConfigOf<M>>;
}

export function defineNode<M extends NodeManifest>(manifest: M, create: NodeFactory<ConfigOf<M>>): NodeDefinition<M> {
  return { manifest, create };
}

/** A shared settings type (a Kafka cluster, a Redis, a database) that nodes reference by id. */
export interface ConnectionTypeManifest<Config extends z.ZodType = z.ZodType> {
  type: string;
  label: string;
  description: string;
  config: Config;
}

export function defineConnectionType<Config extends z.ZodType>(
  manifest: ConnectionTypeManifest<Config>,
): ConnectionTypeManifest<Config> {
  return manifest;
}

/** Endpoints of a run that serves none: every call rejects with `reason` (what to do instead). */
export function unavailableEndpoints(reason: string): NodeEndpoints {
  const refuse = () => Promise.reject(new Error(reason));
  return { http: refuse, eventStream: refuse, webSocket: refuse };
}

/** The store name that holds a node's `ctx.state`. */
export function nodeStateStoreName(nodeId: string): string {
  return `node-state:${nodeId}`;
}

/** A node's `ctx.state`, which a transactional sink may replace with its own (`keepStateIn`). */
export interface SwitchableNodeState extends NodeState {
  keepIn(transactional: TransactionalState): void;
}

/**
 * A `NodeState` over the store that `open` gives, opened on first use (most nodes never touch
 * their state, and should not cost an open store each), until `keepIn` moves it into a sink's
 * transactions.
 */
export function lazyNodeState(open: () => KeyValueStore): SwitchableNodeState {
  let store: KeyValueStore | undefined;
  let kept: TransactionalState | undefined;
  const get = () => (store ??= open());
  return {
    get: (key) => (kept ? kept.get(key) : get().get(key)),
    set: (key, value) => (kept ? kept.set(key, value) : get().put(key, value)),
    delete: (key) => (kept ? kept.delete(key) : get().delete(key)),
    keepIn: (transactional) => {
      kept = transactional;
    },
  };
}
