import type { EndpointToFlow, EndpointToHost } from '@tributary/nodes/runtime';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FlowDocument } from '@tributary/shared';
import { IsolatedRun, isRunMessage, type FlowReports, type RunExit } from './isolated-run.js';
import {
  ACTIVITY_CELLS,
  CELL_ACTIVE_NODE,
  CELL_HEARTBEAT,
  type MainToWorker,
  type WorkerInit,
  type WorkerToMain,
} from './worker-protocol.js';

/** Extra time a stopping flow gets beyond its drain timeout to close its nodes (engine: 5 s per step). */
const STOP_GRACE_MS = 15_000;
/** A worker that has not even loaded its modules by then is given up. */
const BOOT_TIMEOUT_MS = 60_000;

export interface FlowThreadEvents extends FlowReports {
  /** The worker loaded its code: the flow's own start begins. */
  booted(): void;
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
  /**
   * Resident memory this process may use, in MB (Buffers, typed arrays and native allocations,
   * which the heap limit does not count); none when undefined.
   */
  memoryLimitMb?: number;
  /** Extra time a stopping flow gets beyond its drain timeout before it is terminated. */
  stopGraceMs?: number;
  events: FlowThreadEvents;
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
export class FlowThread extends IsolatedRun {
  private readonly worker: Worker;
  private readonly cells: Int32Array;
  private readonly watchdog: NodeJS.Timeout;
  private readonly createdAt = performance.now();
  private lastBeat = 0;
  private lastBeatAt = 0;

  constructor(private readonly options: FlowThreadOptions) {
    super(options.flow, options.taps, options.events);
    const buffer = new SharedArrayBuffer(ACTIVITY_CELLS * Int32Array.BYTES_PER_ELEMENT);
    this.cells = new Int32Array(buffer);
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

  /** Ends the worker at once (nothing drains). */
  kill(reason: string, state: RunExit['state'] = 'stopped'): Promise<RunExit> {
    this.end({ state, reason, abandoned: 0 });
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

  protected post(message: MainToWorker): void {
    if (this.isGone) return;
    try {
      this.worker.postMessage(message);
    } catch {
      // The worker is exiting; its 'exit' event settles everything.
    }
  }

  protected stopGraceMs(): number {
    return this.options.stopGraceMs ?? STOP_GRACE_MS;
  }

  protected stopTimeoutReason(seconds: number): string {
    return `the flow did not stop within ${seconds} s and was terminated`;
  }

  private onMessage(message: WorkerToMain): void {
    if (isRunMessage(message)) {
      this.receive(message);
      // Nothing is left to run: end the worker (its exit settles `exited`).
      if (message.type === 'start-failed') this.end(this.outcome!);
      return;
    }
    switch (message.type) {
      case 'booted':
        this.options.events.booted();
        break;
      case 'endpoint':
        this.options.events.endpoint(message.message);
        break;
      case 'done':
        if (message.snapshot) this.options.events.stats(message.snapshot);
        this.end({ ...message.outcome, ...(message.snapshot ? { snapshot: message.snapshot } : {}) });
        break;
    }
  }

  /**
   * Watchdog tick: is the process within its memory, has the worker's heartbeat moved since the
   * last tick? Memory first, in the same tick: a handler that piles up Buffers in one long batch
   * also blocks its thread, and on a busy machine both show at once; the memory is the cause.
   */
  private check(): void {
    if (this.isGone) return;
    const limitMb = this.options.memoryLimitMb;
    if (limitMb !== undefined) {
      const rss = process.memoryUsage.rss();
      if (rss > limitMb * 1024 * 1024) {
        const node = this.activeNodeId();
        this.end({
          state: 'failed',
          reason:
            `the flow used ${Math.round(rss / (1024 * 1024))} MB of memory, more than its limit of ${limitMb} MB, and was stopped` +
            (node !== undefined ? ` (node "${node}" was running)` : ''),
          abandoned: 0,
        });
        return;
      }
    }
    const now = performance.now();
    const beat = Atomics.load(this.cells, CELL_HEARTBEAT);
    if (beat === 0) {
      if (now - this.createdAt > BOOT_TIMEOUT_MS) {
        this.end({
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
    this.end({ state: 'failed', reason, abandoned: 0, hung: true, ...(node ? { nodeId: node.id } : {}) });
  }

  protected end(outcome: RunExit): void {
    this.outcome ??= outcome;
    if (this.isGone) return;
    void this.worker.terminate();
  }

  private onExit(code: number): void {
    clearInterval(this.watchdog);
    this.gone({ state: 'failed', reason: `the flow's worker exited unexpectedly (code ${code})`, abandoned: 0 });
  }
}
