import type { EndpointToFlow, EndpointToHost } from '@tributary/nodes/runtime';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  EdgeTapEvent,
  FlowDocument,
  FlowLogEntry,
  FlowProblem,
  FlowStatsSnapshot,
  NodeErrorEvent,
} from '@tributary/shared';
import {
  ACTIVITY_CELLS,
  CELL_ACTIVE_NODE,
  CELL_HEARTBEAT,
  type MainToWorker,
  type RunOutcome,
  type WorkerInit,
  type WorkerToMain,
} from './worker-protocol.js';

/** Extra time a stopping flow gets beyond its drain timeout to close its nodes (engine: 5 s per step). */
const STOP_GRACE_MS = 15_000;
/** A worker that has not even loaded its modules by then is given up. */
const BOOT_TIMEOUT_MS = 60_000;

export interface FlowThreadEvents {
  stats(snapshot: FlowStatsSnapshot): void;
  log(entry: FlowLogEntry): void;
  nodeError(event: NodeErrorEvent): void;
  tap(event: EdgeTapEvent): void;
  /** What the flow's endpoints send to the server's hub (relayed as is). */
  endpoint(message: EndpointToHost): void;
}

export interface FlowThreadOptions {
  flow: FlowDocument;
  dataDir: string;
  credentials: Record<string, string>;
  taps: Iterable<string>;
  /** A flow whose thread stays blocked this long is terminated. */
  watchdogMs: number;
  tapRate: number;
  logRate: number;
  /** Heap limit of the worker (V8 old generation), in MB; none when undefined. */
  heapLimitMb?: number;
  /** Extra time a stopping flow gets beyond its drain timeout before it is terminated. */
  stopGraceMs?: number;
  events: FlowThreadEvents;
}

export interface HostExit extends RunOutcome {
  /** The final stats of the run, when the worker could still send them. */
  snapshot?: FlowStatsSnapshot;
  /** The watchdog terminated the worker. */
  hung?: boolean;
}

export class FlowStartFailure extends Error {
  constructor(
    message: string,
    readonly nodeId?: string,
    readonly problems?: FlowProblem[],
  ) {
    super(message);
    this.name = 'FlowStartFailure';
  }
}

/**
 * A script of the flow host (`flow-worker.js`, `flow-process.js`). Under vitest this module runs from
 * src/ (TypeScript), where no .js exists, so it falls back to the build output: tests need
 * `pnpm build` first (turbo's test task does it).
 */
export function workerScript(name = 'flow-worker.js'): URL {
  const beside = new URL(`./${name}`, import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(`../../dist/host/${name}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`cannot find the flow host script (${fileURLToPath(built)}): build @tributary/runtime first`);
}

/**
 * One run of one flow in its own worker thread (inside the flow's own process, see flow-process.ts),
 * watched from that process's main thread: if the worker's event
 * loop stays blocked longer than `watchdogMs` (a handler in `while (true) {}`), the worker is
 * terminated and the run ends `failed`, naming the node whose code was running.
 */
export class FlowThread {
  readonly flowId: string;
  /** Resolves once every node started; rejects with `FlowStartFailure`. */
  readonly started: Promise<void>;
  /** Settles once the worker is gone. Never rejects. */
  readonly exited: Promise<HostExit>;

  private readonly worker: Worker;
  private readonly cells: Int32Array;
  private readonly taps = new Set<string>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly createdAt = performance.now();
  private resolveStarted!: () => void;
  private rejectStarted!: (error: FlowStartFailure) => void;
  private resolveExited!: (exit: HostExit) => void;
  private isStarted = false;
  private isGone = false;
  /** What the run ended with, decided before the worker is terminated. */
  private outcome: HostExit | null = null;
  private lastBeat = 0;
  private lastBeatAt = 0;
  private stopTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: FlowThreadOptions) {
    this.flowId = options.flow.id;
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined); // the caller may only look at `exited`
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const buffer = new SharedArrayBuffer(ACTIVITY_CELLS * Int32Array.BYTES_PER_ELEMENT);
    this.cells = new Int32Array(buffer);
    for (const edgeId of options.taps) this.taps.add(edgeId);
    const init: WorkerInit = {
      flow: options.flow,
      dataDir: options.dataDir,
      credentials: options.credentials,
      activity: buffer,
      taps: [...this.taps],
      tapRate: options.tapRate,
      logRate: options.logRate,
    };
    this.worker = new Worker(workerScript('flow-worker.js'), {
      workerData: init,
      ...(options.heapLimitMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: options.heapLimitMb } } : {}),
    });
    this.worker.on('message', (message: WorkerToMain) => this.onMessage(message));
    this.worker.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the flow ran out of memory (its limit is ${options.heapLimitMb ?? '?'} MB of heap) and was stopped`
          : `the flow crashed: ${error.message}`;
      this.outcome ??= { state: 'failed', reason, abandoned: 0 };
    });
    this.worker.on('exit', (code) => this.onExit(code));
    const every = Math.max(20, Math.min(250, Math.floor(options.watchdogMs / 4)));
    this.watchdog = setInterval(() => this.check(), every);
    this.watchdog.unref();
  }

  get running(): boolean {
    return this.isStarted && !this.isGone;
  }

  requestStats(): void {
    if (this.running) this.post({ type: 'stats' });
  }

  tapStart(edgeId: string): void {
    this.taps.add(edgeId);
    this.post({ type: 'tap:start', edgeId });
  }

  tapStop(edgeId: string): void {
    this.taps.delete(edgeId);
    this.post({ type: 'tap:stop', edgeId });
  }

  /** Stops with drain; a worker that does not finish in time is terminated. */
  stop(drainTimeoutMs?: number): Promise<HostExit> {
    if (!this.isGone && this.stopTimer === null) {
      this.post(drainTimeoutMs === undefined ? { type: 'stop' } : { type: 'stop', drainTimeoutMs });
      const drain = drainTimeoutMs ?? this.options.flow.settings?.drainTimeoutMs ?? 10_000;
      const limit = drain + (this.options.stopGraceMs ?? STOP_GRACE_MS);
      this.stopTimer = setTimeout(() => {
        this.terminate({
          state: 'failed',
          reason: `the flow did not stop within ${limit / 1000} s and was terminated`,
          abandoned: 0,
        });
      }, limit);
      this.stopTimer.unref();
    }
    return this.exited;
  }

  /** Ends the worker at once (nothing drains). */
  kill(reason: string, state: HostExit['state'] = 'stopped'): Promise<HostExit> {
    this.terminate({ state, reason, abandoned: 0 });
    return this.exited;
  }

  /** Hands the worker what the server's hub says to the flow's endpoints. */
  endpointMessage(message: EndpointToFlow): void {
    this.post({ type: 'endpoint', message });
  }

  /** The node whose code runs right now, if any (for a report made from outside the worker). */
  activeNodeId(): string | undefined {
    const active = Atomics.load(this.cells, CELL_ACTIVE_NODE);
    return active > 0 ? this.options.flow.nodes[active - 1]?.id : undefined;
  }

  private post(message: MainToWorker): void {
    if (this.isGone) return;
    try {
      this.worker.postMessage(message);
    } catch {
      // The worker is exiting; its 'exit' event settles everything.
    }
  }

  private onMessage(message: WorkerToMain): void {
    switch (message.type) {
      case 'started':
        this.isStarted = true;
        this.resolveStarted();
        break;
      case 'start-failed':
        this.outcome ??= {
          state: 'failed',
          reason: message.message,
          abandoned: 0,
          ...(message.nodeId ? { nodeId: message.nodeId } : {}),
        };
        this.rejectStarted(new FlowStartFailure(message.message, message.nodeId, message.problems));
        this.terminate(this.outcome);
        break;
      case 'stats':
        this.options.events.stats(message.snapshot);
        break;
      case 'log':
        this.options.events.log(message.entry);
        break;
      case 'node-error':
        this.options.events.nodeError(message.event);
        break;
      case 'tap':
        this.options.events.tap(message.event);
        break;
      case 'endpoint':
        this.options.events.endpoint(message.message);
        break;
      case 'done':
        if (message.snapshot) this.options.events.stats(message.snapshot);
        this.terminate({ ...message.outcome, ...(message.snapshot ? { snapshot: message.snapshot } : {}) });
        break;
    }
  }

  /** Watchdog tick: has the worker's heartbeat moved since the last one? */
  private check(): void {
    if (this.isGone) return;
    const now = performance.now();
    const beat = Atomics.load(this.cells, CELL_HEARTBEAT);
    if (beat === 0) {
      if (now - this.createdAt > BOOT_TIMEOUT_MS) {
        this.terminate({
          state: 'failed',
          reason: `the flow's worker did not start within ${BOOT_TIMEOUT_MS / 1000} s`,
          abandoned: 0,
        });
      }
      return;
    }
    if (beat !== this.lastBeat) {
      this.lastBeat = beat;
      this.lastBeatAt = now;
      return;
    }
    if (now - this.lastBeatAt <= this.options.watchdogMs) return;
    const active = Atomics.load(this.cells, CELL_ACTIVE_NODE);
    const node = active > 0 ? this.options.flow.nodes[active - 1] : undefined;
    const seconds = this.options.watchdogMs / 1000;
    const reason = node
      ? `node "${node.id}" (${node.type}) blocked the flow for more than ${seconds} s (an endless loop?); its worker was terminated`
      : `the flow blocked its thread for more than ${seconds} s outside any handler (a source or a timer callback?); its worker was terminated`;
    this.terminate({ state: 'failed', reason, abandoned: 0, hung: true, ...(node ? { nodeId: node.id } : {}) });
  }

  private terminate(outcome: HostExit): void {
    this.outcome ??= outcome;
    if (this.isGone) return;
    void this.worker.terminate();
  }

  private onExit(code: number): void {
    this.isGone = true;
    clearInterval(this.watchdog);
    if (this.stopTimer !== null) clearTimeout(this.stopTimer);
    const exit = this.outcome ?? {
      state: 'failed' as const,
      reason: `the flow's worker exited unexpectedly (code ${code})`,
      abandoned: 0,
    };
    if (!this.isStarted) this.rejectStarted(new FlowStartFailure(exit.reason ?? 'the flow did not start', exit.nodeId));
    this.resolveExited(exit);
  }
}
