import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_OUTPUT,
  ERROR_PORT,
  type AckCallback,
  type EdgeStats,
  type EdgeTapEvent,
  type FlowDocument,
  type FlowMessage,
  type FlowRunState,
  type FlowStatsSnapshot,
  type EmitResult,
  type Hold,
  type KeyValueStore,
  type LogLevel,
  type NodeContext,
  type NodeInstance,
  type NodeManifest,
  type NodeStats,
  type Output,
  type ProcessorInstance,
  type SourceContext,
  type SourceInstance,
  topologicalOrder,
} from '@tributary/shared';
import { BatchQueue, type AckGroup, type Batch } from './batch-queue.js';
import { NodeCounters } from './node-stats.js';
import { RateWindow } from './rate-window.js';
import { envResolver, resolveSecrets, type SecretResolver } from './secrets.js';
import type { FlowRun, NodeRegistry, RunResult, StartFlowOptions, StopOptions } from './types.js';

/** Defaults that keep memory bounded without starving throughput. */
export const DEFAULT_QUEUE_CAPACITY = 8_192;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
/**
 * A chain of resolved promises never lets timers or I/O run, so processor loops yield to the event
 * loop this often. Sources never see it: a promise from `emit` always means a full queue.
 */
const YIELD_EVERY_MS = 8;
/** `node:error` events per node are folded into one per this many ms. */
const ERROR_EVENT_INTERVAL_MS = 200;
/** A tap samples at most ten messages a second per edge: enough for any viewer, free for the flow. */
const TAP_INTERVAL_MS = 100;

export type StoreOpener = (dir: string, name: string) => KeyValueStore & { close(): Promise<void> | void };

export interface FlowRunInternals {
  openStore: StoreOpener;
}

interface RunEdge {
  readonly id: string;
  readonly target: RunNode;
  readonly targetPort: string;
  readonly queue: BatchQueue;
  total: number;
  readonly rates: RateWindow;
  readonly taps: Set<(event: EdgeTapEvent) => void>;
  /** Tap sampling: events are built at most every TAP_INTERVAL_MS; the rest is counted as skipped. */
  tapLastAt: number;
  tapSkipped: number;
}

interface RunNode {
  readonly index: number;
  readonly id: string;
  readonly manifest: NodeManifest;
  readonly isSource: boolean;
  instance: NodeInstance | null;
  ctx: NodeContext | null;
  readonly inEdges: RunEdge[];
  /** Output edges by port. */
  readonly outEdges: Map<string, RunEdge[]>;
  readonly defaultPort: string;
  readonly counters: NodeCounters;
  readonly output: NodeOutput;
  rr: number;
  wake: (() => void) | null;
  /** Error-event folding (rate limit). */
  lastErrorAt: number;
  foldedErrors: number;
  foldedError: { code: string; message: string } | null;
}

/** A stop or start failure that names the node at fault. */
export class FlowStartError extends Error {
  constructor(
    message: string,
    readonly nodeId?: string,
  ) {
    super(message);
    this.name = 'FlowStartError';
  }
}

/**
 * Collects what one `process` call emits. Arrays are handed downstream as batches, so a fresh array
 * is made per port per call; nothing is copied.
 */
class NodeOutput implements Output {
  main: FlowMessage[] | null = null;
  other: Map<string, FlowMessage[]> | null = null;
  errors: FlowMessage[] | null = null;
  dropped = 0;
  errorCount = 0;
  /** The ack group of the batch being processed (what `hold()` claims). */
  ack: AckGroup | null = null;

  constructor(
    private readonly node: { id: string; defaultPort: string },
    private readonly onError: (code: string, message: string) => void,
  ) {}

  begin(ack: AckGroup | null = this.ack): void {
    this.ack = ack;
    this.main = null;
    this.other = null;
    this.errors = null;
    this.dropped = 0;
    this.errorCount = 0;
  }

  push(message: FlowMessage, port?: string): void {
    if (port === undefined || port === this.node.defaultPort) {
      (this.main ??= []).push(message);
      return;
    }
    if (port === ERROR_PORT) {
      (this.errors ??= []).push(message);
      return;
    }
    const other = (this.other ??= new Map<string, FlowMessage[]>());
    const list = other.get(port);
    if (list) list.push(message);
    else other.set(port, [message]);
  }

  error(error: unknown, message: FlowMessage): void {
    const { code, text } = describeError(error);
    this.errorCount++;
    (this.errors ??= []).push({
      key: message.key,
      value: message.value,
      headers: message.headers,
      timestamp: message.timestamp,
      meta: { ...message.meta, error: { code, message: text, nodeId: this.node.id } },
    });
    this.onError(code, text);
  }

  drop(count = 1): void {
    this.dropped += count;
  }

  hold(): Hold {
    const group = this.ack;
    if (group !== null) group.pending++;
    return toHold({ group, spent: false });
  }
}

/** What a `Hold` is inside the engine: one reference on an input batch's ack group. */
interface HoldRef {
  readonly group: AckGroup | null;
  spent: boolean;
}
const toHold = (ref: HoldRef): Hold => ref as unknown as Hold;
const fromHold = (hold: Hold): HoldRef => hold as unknown as HoldRef;

function describeError(error: unknown): { code: string; text: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'E_HANDLER_THREW', text: error.message };
  }
  return { code: 'E_HANDLER_THREW', text: String(error) };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One running flow: nodes connected by bounded queues, one async loop per processor, acks counted by
 * reference. See engine/README.md for the model.
 */
export class FlowRunImpl implements FlowRun {
  readonly flowId: string;
  state: FlowRunState = 'deploying';
  readonly done: Promise<RunResult>;

  private resolveDone!: (result: RunResult) => void;
  private readonly nodes: RunNode[] = [];
  private readonly edges = new Map<string, RunEdge>();
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();
  private readonly stores = new Map<string, KeyValueStore & { close(): Promise<void> | void }>();
  private readonly resolveSecret: SecretResolver;
  private readonly activity: Int32Array | undefined;
  private readonly queueCapacity: number;
  private readonly drainTimeoutMs: number;
  private readonly errorFlushTimer: NodeJS.Timeout;

  /** Batches queued or being processed. */
  private inflight = 0;
  private sourcesRunning = 0;
  private idleWaiters: (() => void)[] = [];
  private closing = false;
  private stopPromise: Promise<RunResult> | null = null;
  private failure: { reason: string; nodeId?: string } | null = null;
  private lastYield = performance.now();
  private readonly processorLoops: Promise<void>[] = [];
  /** End of input: `flush` of the processors runs once before a finished flow shuts down. */
  private flushed: 'no' | 'running' | 'done' = 'no';

  constructor(
    private readonly flow: FlowDocument,
    private readonly options: StartFlowOptions,
    private readonly internals: FlowRunInternals,
  ) {
    this.flowId = flow.id;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.resolveSecret = options.resolveSecret ?? envResolver;
    this.activity = options.activity;
    this.queueCapacity = flow.settings?.queueCapacity ?? DEFAULT_QUEUE_CAPACITY;
    this.drainTimeoutMs = flow.settings?.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.errorFlushTimer = setInterval(() => this.flushFoldedErrors(), ERROR_EVENT_INTERVAL_MS);
    this.errorFlushTimer.unref();
  }

  // ------------------------------------------------------------------------------------------
  // Building and starting
  // ------------------------------------------------------------------------------------------

  async start(registry: NodeRegistry): Promise<void> {
    this.setState('deploying');
    mkdirSync(this.options.dataDir, { recursive: true });
    const byId = new Map<string, RunNode>();
    this.flow.nodes.forEach((doc, index) => {
      if (doc.disabled) return;
      const definition = registry.get(doc.type);
      if (!definition) throw new FlowStartError(`node type "${doc.type}" is not installed`, doc.id);
      const manifest = definition.manifest;
      const defaultPort = manifest.outputs[0]?.name ?? DEFAULT_OUTPUT;
      const node: RunNode = {
        index,
        id: doc.id,
        manifest,
        isSource: manifest.kind === 'source',
        instance: null,
        ctx: null,
        inEdges: [],
        outEdges: new Map(),
        defaultPort,
        counters: new NodeCounters(),
        output: undefined as unknown as NodeOutput,
        rr: 0,
        wake: null,
        lastErrorAt: 0,
        foldedErrors: 0,
        foldedError: null,
      };
      (node as { output: NodeOutput }).output = new NodeOutput(node, (code, message) =>
        this.reportError(node, code, message),
      );
      byId.set(doc.id, node);
      this.nodes.push(node);
    });

    for (const edge of this.flow.edges) {
      const source = byId.get(edge.source);
      const target = byId.get(edge.target);
      if (!source || !target) continue; // an edge through a disabled node is ignored
      const runEdge: RunEdge = {
        id: edge.id,
        target,
        targetPort: edge.targetPort,
        queue: new BatchQueue(this.queueCapacity, () => {
          const wake = target.wake;
          if (wake) {
            target.wake = null;
            wake();
          }
        }),
        total: 0,
        rates: new RateWindow(),
        taps: new Set(),
        tapLastAt: 0,
        tapSkipped: 0,
      };
      this.edges.set(edge.id, runEdge);
      target.inEdges.push(runEdge);
      const list = source.outEdges.get(edge.sourcePort);
      if (list) list.push(runEdge);
      else source.outEdges.set(edge.sourcePort, [runEdge]);
    }

    const connections = new Map((this.flow.connections ?? []).map((c) => [c.id, c]));
    try {
      for (const node of this.nodes) {
        const doc = this.flow.nodes[node.index]!;
        const definition = registry.get(doc.type)!;
        let config: unknown;
        try {
          config = resolveSecrets(doc.config, this.resolveSecret, `/nodes/${node.index}/config`);
        } catch (error) {
          throw new FlowStartError(`node "${node.id}": ${(error as Error).message}`, node.id);
        }
        const ctx = this.makeContext(node, connections);
        node.ctx = ctx;
        try {
          node.instance = await definition.create(config, ctx);
        } catch (error) {
          throw new FlowStartError(
            `node "${node.id}" (${doc.type}) failed to start: ${(error as Error).message}`,
            node.id,
          );
        }
      }
    } catch (error) {
      await this.closeInstances();
      this.closeStores();
      clearInterval(this.errorFlushTimer);
      this.setState('failed', (error as Error).message);
      this.resolveDone({ state: 'failed', reason: (error as Error).message, abandoned: 0 });
      throw error;
    }

    this.setState('running');
    for (const node of this.nodes) {
      node.counters.state = 'running';
      if (node.instance?.kind === 'processor') this.processorLoops.push(this.runProcessor(node, node.instance));
    }
    for (const node of this.nodes) {
      if (node.instance?.kind === 'source') {
        this.sourcesRunning++;
        void this.runSource(node, node.instance);
      }
    }
    if (this.sourcesRunning === 0) this.checkIdle();
  }

  private makeContext(node: RunNode, connections: Map<string, { type: string; config: Record<string, unknown> }>) {
    const flowId = this.flowId;
    const log = (level: LogLevel) => (message: string, data?: unknown) =>
      this.options.onLog?.({ flowId, at: Date.now(), level, nodeId: node.id, message, data });
    const ctx: NodeContext = {
      flowId,
      nodeId: node.id,
      signal: this.abort.signal,
      dataDir: this.options.dataDir,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      stats: {
        set: (name, value) => {
          node.counters.custom[name] = value;
        },
        add: (name, by = 1) => {
          const current = node.counters.custom[name];
          node.counters.custom[name] = (typeof current === 'number' ? current : 0) + by;
        },
      },
      openStore: (name) => this.openStore(name),
      connection: (id) => {
        const connection = connections.get(id);
        if (!connection) throw new FlowStartError(`connection "${id}" is not defined in this flow`, node.id);
        return resolveSecrets(connection.config, this.resolveSecret, `/connections/${id}/config`);
      },
      emitFrom: (messages, from, port, onAck) => this.emitFrom(node, messages, from, port, onAck),
      release: (holds, ok) => this.releaseHolds(holds, ok),
    };
    if (!node.isSource) return ctx;
    const sourceCtx: SourceContext = {
      ...ctx,
      ...(this.flow.settings?.batchSize === undefined ? {} : { batchSize: this.flow.settings.batchSize }),
      emit: (messages, onAck) => this.emitFromSource(node, messages, onAck),
      emitError: (error, message, onAck) => {
        const output = node.output;
        output.begin();
        const { code, text } = describeError(error);
        const failed: FlowMessage = message ?? {
          key: null,
          value: null,
          headers: {},
          timestamp: Date.now(),
          meta: {},
        };
        output.error(
          Object.assign(new Error(text), { code: code === 'E_HANDLER_THREW' ? 'E_SOURCE_READ' : code }),
          failed,
        );
        const ack: AckGroup | null = onAck ? { pending: 1, ok: true, callback: onAck } : null;
        output.ack = ack;
        const wait = this.deliver(node, output, ack, performance.now());
        this.release(ack);
        return wait;
      },
    };
    return sourceCtx;
  }

  private openStore(name: string): KeyValueStore {
    let store = this.stores.get(name);
    if (!store) {
      store = this.internals.openStore(join(this.options.dataDir, 'stores'), name);
      this.stores.set(name, store);
    }
    return store;
  }

  // ------------------------------------------------------------------------------------------
  // Hot path: emit, deliver, process
  // ------------------------------------------------------------------------------------------

  private emitFromSource(node: RunNode, messages: readonly FlowMessage[], onAck?: AckCallback): EmitResult {
    if (this.closing) throw new Error('flow is stopping; the source must stop emitting');
    const count = messages.length;
    const counters = node.counters;
    counters.in += count;
    counters.out += count;
    const t0 = performance.now();
    const ack: AckGroup | null = onAck ? { pending: 1, ok: true, callback: onAck } : null;
    let wait: Promise<void> | undefined;
    if (count > 0) {
      const edges = node.outEdges.get(node.defaultPort);
      if (edges !== undefined && edges.length > 0) {
        const batch: Batch = { messages, ack, t0 };
        if (ack !== null) ack.pending += edges.length;
        wait = this.pushAll(edges, batch);
      }
    }
    this.release(ack);
    return wait;
  }

  /** Messages derived from held inputs (many-to-one): their ack releases every hold in `from`. */
  private emitFrom(
    node: RunNode,
    messages: readonly FlowMessage[],
    from: readonly Hold[],
    port?: string,
    onAck?: AckCallback,
  ): EmitResult {
    const groups: AckGroup[] = [];
    for (const hold of from) {
      const ref = fromHold(hold);
      if (ref.spent) throw new Error('a hold was passed to emitFrom or release twice');
      ref.spent = true;
      if (ref.group !== null) groups.push(ref.group);
    }
    const ack: AckGroup | null =
      groups.length === 0 && onAck === undefined
        ? null
        : {
            pending: 1,
            ok: true,
            callback: (ok) => {
              onAck?.(ok);
              for (const group of groups) {
                if (!ok) group.ok = false;
                this.release(group);
              }
            },
          };
    let wait: Promise<void> | undefined;
    const edges = node.outEdges.get(port ?? node.defaultPort);
    if (port === ERROR_PORT) node.counters.errors += messages.length;
    else node.counters.out += messages.length;
    if (messages.length > 0 && edges !== undefined && edges.length > 0 && !this.closing) {
      if (ack !== null) ack.pending += edges.length;
      wait = this.pushAll(edges, { messages, ack, t0: performance.now() });
    } else if (ack !== null && this.closing) {
      ack.ok = false; // nowhere to deliver while stopping: the inputs are replayed after a restart
    }
    this.release(ack);
    return wait;
  }

  private releaseHolds(holds: readonly Hold[], ok: boolean): void {
    for (const hold of holds) {
      const ref = fromHold(hold);
      if (ref.spent) throw new Error('a hold was passed to emitFrom or release twice');
      ref.spent = true;
      if (ref.group === null) continue;
      if (!ok) ref.group.ok = false;
      this.release(ref.group);
    }
  }

  /** Pushes one batch to every edge; returns a promise only when one of them is full. */
  private pushAll(edges: RunEdge[], batch: Batch): Promise<void> | undefined {
    let full: RunEdge[] | undefined;
    const count = batch.messages.length;
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i]!;
      edge.total += count;
      this.inflight++;
      edge.queue.push(batch);
      if (edge.taps.size > 0) this.tapBatch(edge, batch);
      if (edge.queue.isFull) (full ??= []).push(edge);
    }
    if (full === undefined) return undefined;
    if (full.length === 1) return full[0]!.queue.space();
    return Promise.all(full.map((e) => e.queue.space())).then(() => undefined);
  }

  /** Routes everything a processor emitted; the caller still holds (and later releases) its ack reference. */
  private deliver(node: RunNode, output: NodeOutput, ack: AckGroup | null, t0: number): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    const route = (port: string, messages: FlowMessage[]) => {
      const edges = node.outEdges.get(port);
      if (edges === undefined || edges.length === 0) return;
      if (ack !== null) ack.pending += edges.length;
      const wait = this.pushAll(edges, { messages, ack, t0 });
      if (wait !== undefined) (waits ??= []).push(wait);
    };
    if (output.main !== null) {
      node.counters.out += output.main.length;
      route(node.defaultPort, output.main);
    }
    if (output.other !== null) {
      for (const [port, messages] of output.other) {
        node.counters.out += messages.length;
        route(port, messages);
      }
    }
    if (output.errors !== null) {
      node.counters.errors += output.errorCount;
      route(ERROR_PORT, output.errors);
    }
    if (output.dropped > 0) node.counters.dropped += output.dropped;
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  private release(ack: AckGroup | null): void {
    if (ack === null) return;
    if (--ack.pending === 0) {
      try {
        ack.callback(ack.ok);
      } catch (error) {
        this.options.onLog?.({
          flowId: this.flowId,
          at: Date.now(),
          level: 'error',
          message: `ack callback threw: ${(error as Error).message}`,
        });
      }
    }
  }

  private take(node: RunNode): RunEdge | undefined {
    const edges = node.inEdges;
    const n = edges.length;
    for (let i = 0; i < n; i++) {
      const index = (node.rr + i) % n;
      const edge = edges[index]!;
      if (edge.queue.length > 0) {
        node.rr = index + 1;
        return edge;
      }
    }
    return undefined;
  }

  private async runProcessor(node: RunNode, instance: ProcessorInstance): Promise<void> {
    const output = node.output;
    const counters = node.counters;
    const activity = this.activity;
    const marker = node.index + 1;
    for (;;) {
      const edge = this.take(node);
      if (edge === undefined) {
        if (this.closing) return;
        await new Promise<void>((resolve) => (node.wake = resolve));
        continue;
      }
      const batch = edge.queue.shift()!;
      const messages = batch.messages;
      output.begin(batch.ack);
      if (activity !== undefined) {
        activity[0] = marker;
        activity[1] = (activity[1]! + 1) | 0;
      }
      try {
        const result = instance.process(messages, output, edge.targetPort);
        if (result !== undefined) await result;
      } catch (error) {
        // A whole-batch failure: partial output is discarded (a retry would duplicate it) and every
        // message of the batch goes to the error port.
        output.begin(batch.ack);
        for (let i = 0; i < messages.length; i++) output.error(error, messages[i]!);
      }
      if (activity !== undefined) activity[0] = 0;
      counters.in += messages.length;
      counters.recordLatency(performance.now() - batch.t0, messages.length);
      const wait = this.deliver(node, output, batch.ack, batch.t0);
      this.release(batch.ack);
      if (--this.inflight === 0) this.checkIdle();
      if (wait !== undefined) await wait;
      const now = performance.now();
      if (now - this.lastYield > YIELD_EVERY_MS) {
        this.lastYield = now;
        await settle();
      }
    }
  }

  private async runSource(node: RunNode, instance: SourceInstance): Promise<void> {
    try {
      await instance.run(node.ctx as SourceContext);
      node.counters.state = this.abort.signal.aborted ? 'stopped' : 'finished';
    } catch (error) {
      if (this.abort.signal.aborted) {
        node.counters.state = 'stopped';
      } else {
        node.counters.state = 'failed';
        const message = (error as Error).message ?? String(error);
        this.failure ??= { reason: `source "${node.id}" failed: ${message}`, nodeId: node.id };
        this.reportError(node, 'E_SOURCE_FAILED', message);
      }
    }
    this.sourcesRunning--;
    this.checkIdle();
  }

  // ------------------------------------------------------------------------------------------
  // Errors, taps, stats
  // ------------------------------------------------------------------------------------------

  private reportError(node: RunNode, code: string, message: string): void {
    const now = Date.now();
    if (now - node.lastErrorAt < ERROR_EVENT_INTERVAL_MS) {
      node.foldedErrors++;
      node.foldedError = { code, message };
      return;
    }
    node.lastErrorAt = now;
    this.publishError(node, code, message, 1, now);
  }

  /** Publishes folded repeats once their window passed (or at once, when the flow ends). */
  private flushFoldedErrors(force = false): void {
    const now = Date.now();
    for (const node of this.nodes) {
      if (node.foldedErrors > 0 && node.foldedError && (force || now - node.lastErrorAt >= ERROR_EVENT_INTERVAL_MS)) {
        const { code, message } = node.foldedError;
        this.publishError(node, code, message, node.foldedErrors, now);
        node.foldedErrors = 0;
        node.foldedError = null;
        node.lastErrorAt = now;
      }
    }
  }

  private publishError(node: RunNode, code: string, message: string, count: number, at: number): void {
    this.options.onNodeError?.({ flowId: this.flowId, nodeId: node.id, code, message, at, count });
    // Errors that reach no error port would otherwise vanish: log them (rate-limited as above).
    if (!node.outEdges.get(ERROR_PORT)?.length) {
      this.options.onLog?.({
        flowId: this.flowId,
        at,
        level: 'error',
        nodeId: node.id,
        message: count > 1 ? `${code}: ${message} (×${count})` : `${code}: ${message}`,
      });
    }
  }

  private tapBatch(edge: RunEdge, batch: Batch): void {
    const first = batch.messages[0];
    if (first === undefined) return;
    const now = Date.now();
    if (now - edge.tapLastAt < TAP_INTERVAL_MS) {
      edge.tapSkipped += batch.messages.length;
      return;
    }
    edge.tapLastAt = now;
    const event: EdgeTapEvent = {
      flowId: this.flowId,
      edgeId: edge.id,
      at: now,
      message: { key: first.key, value: first.value, headers: { ...first.headers }, timestamp: first.timestamp },
      skipped: edge.tapSkipped + batch.messages.length - 1,
    };
    edge.tapSkipped = 0;
    for (const listener of edge.taps) listener(event);
  }

  tap(edgeId: string, listener: (event: EdgeTapEvent) => void): () => void {
    const edge = this.edges.get(edgeId);
    if (!edge) throw new Error(`edge "${edgeId}" is not part of the running flow`);
    edge.taps.add(listener);
    return () => edge.taps.delete(listener);
  }

  stats(): FlowStatsSnapshot {
    const nodes: Record<string, NodeStats> = {};
    for (const node of this.nodes) {
      const queues: NodeStats['queues'] = {};
      for (const edge of node.inEdges) {
        const q = (queues[edge.targetPort] ??= { size: 0, capacity: 0, fill: 0 });
        q.size += edge.queue.size;
        q.capacity += edge.queue.capacity;
      }
      for (const q of Object.values(queues)) q.fill = q.capacity > 0 ? Math.min(1, q.size / q.capacity) : 0;
      nodes[node.id] = node.counters.snapshot(node.isSource, queues);
    }
    const edges: Record<string, EdgeStats> = {};
    const now = performance.now();
    for (const edge of this.edges.values()) {
      edges[edge.id] = {
        total: edge.total,
        rate1s: edge.rates.rate(edge.total, now, 1000),
        queueFill: Math.min(1, edge.queue.size / edge.queue.capacity),
      };
    }
    return { flowId: this.flowId, at: Date.now(), uptimeMs: Date.now() - this.startedAt, nodes, edges };
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle
  // ------------------------------------------------------------------------------------------

  private setState(state: FlowRunState, reason?: string): void {
    this.state = state;
    this.options.onStateChange?.(state, reason);
  }

  private checkIdle(): void {
    if (this.inflight !== 0) return;
    if (this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
    if (this.sourcesRunning === 0 && this.stopPromise === null && this.state === 'running') {
      if (this.flushed === 'no') void this.flushAtEnd();
      else if (this.flushed === 'done') this.stopPromise = this.shutdown(this.failure ? 'failed' : 'finished', 0);
    }
  }

  /**
   * Every source finished and the queues drained: processors that keep messages back (windows)
   * flush, upstream first, each one's output drained before the next flushes.
   */
  private async flushAtEnd(): Promise<void> {
    this.flushed = 'running';
    const ids = this.nodes.map((n) => n.id);
    const byId = new Map(this.nodes.map((n) => [n.id, n]));
    const { order } = topologicalOrder(ids, this.flow.edges);
    for (const id of order) {
      const node = byId.get(id)!;
      const instance = node.instance;
      if (instance?.kind !== 'processor' || instance.flush === undefined || this.stopPromise !== null) continue;
      try {
        await instance.flush();
      } catch (error) {
        this.reportError(node, 'E_FLUSH_FAILED', (error as Error).message);
      }
      await this.whenIdle();
    }
    this.flushed = 'done';
    this.checkIdle();
  }

  private whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(options: StopOptions = {}): Promise<RunResult> {
    if (this.stopPromise !== null) return this.stopPromise;
    this.stopPromise = this.stopNow(options.drainTimeoutMs ?? this.drainTimeoutMs);
    return this.stopPromise;
  }

  private async stopNow(drainTimeoutMs: number): Promise<RunResult> {
    this.setState('stopping');
    const deadline = performance.now() + drainTimeoutMs;
    this.abort.abort();
    // Sources see the abort and return; then what they sent drains through the flow.
    const sourcesDone = new Promise<void>((resolve) => {
      const poll = () => (this.sourcesRunning === 0 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    await withTimeout(sourcesDone, Math.max(0, deadline - performance.now()));
    let abandoned = 0;
    if ((await withTimeout(this.whenIdle(), Math.max(0, deadline - performance.now()))) === 'timeout') {
      abandoned = this.abandonQueues();
    }
    return this.shutdown(this.failure ? 'failed' : 'stopped', abandoned);
  }

  /** Drops what is still queued after a drain timeout; those messages are not acked (ok: false). */
  private abandonQueues(): number {
    let abandoned = 0;
    for (const edge of this.edges.values()) {
      for (const batch of edge.queue.drainAll()) {
        abandoned += batch.messages.length;
        this.inflight--;
        if (batch.ack) {
          batch.ack.ok = false;
          this.release(batch.ack);
        }
      }
    }
    return abandoned;
  }

  private async shutdown(state: RunResult['state'], abandoned: number): Promise<RunResult> {
    this.closing = true;
    if (!this.abort.signal.aborted) this.abort.abort();
    for (const node of this.nodes) {
      const wake = node.wake;
      node.wake = null;
      wake?.();
      if (node.counters.state === 'running') node.counters.state = 'stopping';
    }
    await withTimeout(Promise.all(this.processorLoops), CLOSE_TIMEOUT_MS);
    await this.closeInstances();
    this.closeStores();
    clearInterval(this.errorFlushTimer);
    this.flushFoldedErrors(true);
    const end = state === 'finished' ? 'finished' : 'stopped';
    for (const node of this.nodes) {
      if (node.counters.state !== 'failed' && node.counters.state !== 'finished') node.counters.state = end;
    }
    const result: RunResult = { state, abandoned, ...(this.failure ? { reason: this.failure.reason } : {}) };
    this.setState(state, this.failure?.reason);
    this.resolveDone(result);
    return result;
  }

  private async closeInstances(): Promise<void> {
    // Processors first (flush sinks), sources last (a Kafka source commits what the sinks confirmed).
    const ordered = [...this.nodes.filter((n) => !n.isSource), ...this.nodes.filter((n) => n.isSource)];
    for (const node of ordered) {
      const instance = node.instance;
      if (!instance?.close) continue;
      try {
        const closing = Promise.resolve(instance.close());
        if ((await withTimeout(closing, CLOSE_TIMEOUT_MS)) === 'timeout') {
          this.options.onLog?.({
            flowId: this.flowId,
            at: Date.now(),
            level: 'warn',
            nodeId: node.id,
            message: `close did not finish within ${CLOSE_TIMEOUT_MS} ms`,
          });
        }
      } catch (error) {
        this.options.onLog?.({
          flowId: this.flowId,
          at: Date.now(),
          level: 'error',
          nodeId: node.id,
          message: `close failed: ${(error as Error).message}`,
        });
      }
    }
  }

  private closeStores(): void {
    for (const store of this.stores.values()) {
      try {
        void Promise.resolve(store.close()).catch(() => undefined);
      } catch {
        // a store that fails to close has nothing left to lose: the flow is over
      }
    }
    this.stores.clear();
  }
}
