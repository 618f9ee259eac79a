import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  EdgeTapEvent,
  FlowDocument,
  FlowRunState,
  FlowStatsSnapshot,
  KeyValueStore,
  ProcessorInstance,
  SourceContext,
  SourceInstance,
} from '@tributary/shared';
import { topologicalOrder } from '@tributary/shared';
import { ErrorFolder } from './error-folding.js';
import { makeContext } from './node-context.js';
import { Router } from './router.js';
import { buildGraph, FlowStartError, type RunGraph, type RunNode } from './run-graph.js';
import { snapshotStats } from './run-stats.js';
import { envResolver, nodeSecretPolicy, resolveSecrets, type SecretResolver } from './secrets.js';
import type { FlowRun, NodeRegistry, RunResult, StartFlowOptions, StopOptions, StoreOpener } from './types.js';

/**
 * Defaults that keep memory bounded without starving throughput. 1,024 messages per edge (one
 * default source batch): the in-memory engine moves as much as with 8,192, while fewer messages in
 * flight die young in the heap (measured: a Kafka pipeline spends ~10 % less CPU per message, and a
 * 10M-message burst peaks at ~100 MB instead of ~128 MB).
 */
export const DEFAULT_QUEUE_CAPACITY = 1_024;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
/**
 * A chain of resolved promises never lets timers or I/O run, so processor loops yield to the event
 * loop this often. Sources never see it: a promise from `emit` always means a full queue.
 */
const YIELD_EVERY_MS = 8;

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
 * One running flow: its lifecycle (start, one loop per node, drain, stop). The graph comes from
 * `run-graph.ts`, the hot path is `router.ts`, contexts `node-context.ts`. See README.md.
 */
export class FlowRunImpl implements FlowRun {
  readonly flowId: string;
  state: FlowRunState = 'deploying';
  readonly done: Promise<RunResult>;

  private resolveDone!: (result: RunResult) => void;
  private graph: RunGraph = { nodes: [], edges: new Map() };
  private readonly router: Router;
  private readonly errors: ErrorFolder;
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();
  private readonly stores = new Map<string, KeyValueStore & { close(): Promise<void> | void }>();
  private readonly resolveSecret: SecretResolver;
  private readonly drainTimeoutMs: number;

  private sourcesRunning = 0;
  private idleWaiters: (() => void)[] = [];
  private stopPromise: Promise<RunResult> | null = null;
  private failure: { reason: string; nodeId?: string } | null = null;
  private lastYield = performance.now();
  private readonly processorLoops: Promise<void>[] = [];
  /** End of input: `endOfInput` of the processors runs once before a finished flow shuts down. */
  private flushed: 'no' | 'running' | 'done' = 'no';

  constructor(
    private readonly flow: FlowDocument,
    private readonly options: StartFlowOptions,
    private readonly openStoreAt: StoreOpener,
  ) {
    this.flowId = flow.id;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.resolveSecret = options.resolveSecret ?? envResolver;
    this.drainTimeoutMs = flow.settings?.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.errors = new ErrorFolder(flow.id, options.onNodeError, options.onLog);
    this.router = new Router(
      () => this.checkIdle(),
      (error) => this.log('error', `ack callback threw: ${(error as Error).message}`),
    );
  }

  async start(registry: NodeRegistry): Promise<void> {
    this.setState('deploying');
    mkdirSync(this.options.dataDir, { recursive: true });
    try {
      this.graph = buildGraph(
        this.flow,
        registry,
        this.flow.settings?.queueCapacity ?? DEFAULT_QUEUE_CAPACITY,
        (node, code, message) => this.errors.report(node, code, message),
        this.router.openHolds,
      );
      for (const node of this.graph.nodes) await this.create(node, registry);
    } catch (error) {
      await this.closeInstances();
      this.closeStores();
      this.errors.close();
      this.setState('failed', (error as Error).message);
      this.resolveDone({ state: 'failed', reason: (error as Error).message, abandoned: 0 });
      throw error;
    }

    this.setState('running');
    for (const node of this.graph.nodes) {
      node.counters.state = 'running';
      if (node.instance?.kind === 'processor') this.processorLoops.push(this.runProcessor(node, node.instance));
    }
    for (const node of this.graph.nodes) {
      if (node.instance?.kind === 'source') {
        this.sourcesRunning++;
        void this.runSource(node, node.instance);
      }
    }
    if (this.sourcesRunning === 0) this.checkIdle();
  }

  private async create(node: RunNode, registry: NodeRegistry): Promise<void> {
    const doc = this.flow.nodes[node.index]!;
    const definition = registry.get(doc.type)!;
    let config: unknown;
    try {
      config = resolveSecrets(
        doc.config,
        this.resolveSecret,
        `/nodes/${node.index}/config`,
        nodeSecretPolicy(definition.manifest),
      );
    } catch (error) {
      throw new FlowStartError(`node "${node.id}": ${(error as Error).message}`, node.id);
    }
    node.ctx = makeContext(node, {
      flow: this.flow,
      options: this.options,
      signal: this.abort.signal,
      resolveSecret: this.resolveSecret,
      router: this.router,
      openStore: (name) => this.openStore(name),
    });
    try {
      node.instance = await definition.create(config, node.ctx);
    } catch (error) {
      throw new FlowStartError(
        `node "${node.id}" (${doc.type}) failed to start: ${(error as Error).message}`,
        node.id,
        { cause: error },
      );
    }
  }

  private openStore(name: string): KeyValueStore {
    let store = this.stores.get(name);
    if (!store) {
      store = this.openStoreAt(join(this.options.dataDir, 'stores'), name);
      this.stores.set(name, store);
    }
    return store;
  }

  // ------------------------------------------------------------------------------------------
  // The node loops
  // ------------------------------------------------------------------------------------------

  private async runProcessor(node: RunNode, instance: ProcessorInstance): Promise<void> {
    const router = this.router;
    const output = node.output;
    const counters = node.counters;
    const activity = this.options.activity;
    const marker = node.index + 1;
    for (;;) {
      const edge = router.take(node);
      if (edge === undefined) {
        if (router.closing) return;
        await new Promise<void>((resolve) => (node.wake = resolve));
        continue;
      }
      const batch = edge.queue.shift()!;
      const messages = batch.messages;
      node.current = batch;
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
      if (node.current !== batch) return; // the flow stopped without us (see failHungBatches): too late to route
      node.current = null;
      const wait = router.deliver(node, output, batch.ack, batch.t0);
      router.release(batch.ack);
      router.done();
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
        this.errors.report(node, 'E_SOURCE_FAILED', message);
      }
    }
    this.sourcesRunning--;
    this.checkIdle();
  }

  // ------------------------------------------------------------------------------------------
  // Observing
  // ------------------------------------------------------------------------------------------

  tap(edgeId: string, listener: (event: EdgeTapEvent) => void, perSecond?: number): () => void {
    const edge = this.graph.edges.get(edgeId);
    if (!edge) throw new Error(`edge "${edgeId}" is not part of the running flow`);
    return edge.taps.add(listener, perSecond);
  }

  stats(): FlowStatsSnapshot {
    return snapshotStats(this.flowId, this.startedAt, this.graph);
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle
  // ------------------------------------------------------------------------------------------

  private log(level: 'warn' | 'error', message: string, nodeId?: string): void {
    this.options.onLog?.({ flowId: this.flowId, at: Date.now(), level, message, ...(nodeId ? { nodeId } : {}) });
  }

  private setState(state: FlowRunState, reason?: string): void {
    this.state = state;
    this.options.onStateChange?.(state, reason);
  }

  private checkIdle(): void {
    if (this.router.inflight !== 0) return;
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
   * flush (`endOfInput`), upstream first, each one's output drained before the next flushes.
   */
  private async flushAtEnd(): Promise<void> {
    this.flushed = 'running';
    const byId = new Map(this.graph.nodes.map((n) => [n.id, n]));
    const { order } = topologicalOrder([...byId.keys()], this.flow.edges);
    for (const id of order) {
      const instance = byId.get(id)!.instance;
      if (instance?.kind !== 'processor' || instance.endOfInput === undefined || this.stopPromise !== null) continue;
      try {
        await instance.endOfInput();
      } catch (error) {
        this.log('error', `flush at the end of input failed: ${(error as Error).message}`, id);
      }
      await this.whenIdle();
    }
    this.flushed = 'done';
    this.checkIdle();
  }

  private whenIdle(): Promise<void> {
    if (this.router.inflight === 0) return Promise.resolve();
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
      abandoned = this.router.abandon(this.graph.edges.values());
    }
    return this.shutdown(this.failure ? 'failed' : 'stopped', abandoned);
  }

  private async shutdown(state: RunResult['state'], abandoned: number): Promise<RunResult> {
    this.router.closing = true;
    if (!this.abort.signal.aborted) this.abort.abort();
    for (const node of this.graph.nodes) {
      const wake = node.wake;
      node.wake = null;
      wake?.();
      if (node.counters.state === 'running') node.counters.state = 'stopping';
    }
    if ((await withTimeout(Promise.all(this.processorLoops), CLOSE_TIMEOUT_MS)) === 'timeout') this.failHungBatches();
    // Inputs a node still held (an open window, an unflushed batch) were never confirmed: fail them,
    // so their sources hear onAck(false) and replay them, instead of waiting for ever. After the
    // processors closed (which may still release some), before the sources close (and commit).
    await this.closeInstances(() => this.router.revokeHolds());
    this.closeStores();
    this.errors.close();
    const end = state === 'finished' ? 'finished' : 'stopped';
    for (const node of this.graph.nodes) {
      if (node.counters.state !== 'failed' && node.counters.state !== 'finished') node.counters.state = end;
    }
    const result: RunResult = { state, abandoned, ...(this.failure ? { reason: this.failure.reason } : {}) };
    this.setState(state, this.failure?.reason);
    this.resolveDone(result);
    return result;
  }

  /**
   * A `process` call that never returned holds its batch for ever: fail it (onAck(false), so the
   * source replays it) rather than leave its source waiting.
   */
  private failHungBatches(): void {
    for (const node of this.graph.nodes) {
      const batch = node.current;
      if (batch === null) continue;
      node.current = null;
      this.log(
        'warn',
        `process did not return within ${CLOSE_TIMEOUT_MS} ms of the stop; its batch is failed`,
        node.id,
      );
      if (batch.ack !== null) batch.ack.ok = false;
      this.router.release(batch.ack);
    }
  }

  private async closeInstances(afterProcessors?: () => void): Promise<void> {
    // Processors first (flush sinks), sources last (a Kafka source commits what the sinks confirmed).
    const nodes = this.graph.nodes;
    await this.closeEach(nodes.filter((n) => !n.isSource));
    afterProcessors?.();
    await this.closeEach(nodes.filter((n) => n.isSource));
  }

  private async closeEach(nodes: RunNode[]): Promise<void> {
    for (const node of nodes) {
      const instance = node.instance;
      if (!instance?.close) continue;
      try {
        const closing = Promise.resolve(instance.close());
        if ((await withTimeout(closing, CLOSE_TIMEOUT_MS)) === 'timeout') {
          this.log('warn', `close did not finish within ${CLOSE_TIMEOUT_MS} ms`, node.id);
        }
      } catch (error) {
        this.log('error', `close failed: ${(error as Error).message}`, node.id);
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
