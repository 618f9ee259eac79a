import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  EdgeTapEvent,
  FlowDocument,
  FlowLogEntry,
  FlowProblem,
  FlowStatsSnapshot,
  NodeErrorEvent,
} from '@tributary/shared';
import { serveEndpointChannel, type FlowEndpoints } from '@tributary/nodes/runtime';
import { processChannel, type Channel } from './channel.js';
import { workerScript } from './flow-thread.js';
import type { MainToProcess, MainToWorker, ProcessExit, ProcessToMain, RunOutcome } from './worker-protocol.js';

export const DEFAULT_STOP_GRACE_MS = 15_000;
export const DEFAULT_START_TIMEOUT_MS = 60_000;
export const DEFAULT_FLOW_MEMORY_MB = 1024;
/** Time the flow's process gets, beyond its own stop deadline, before it is killed from here. */
const PROCESS_GRACE_MS = 5_000;

export interface FlowHostEvents {
  stats(snapshot: FlowStatsSnapshot): void;
  log(entry: FlowLogEntry): void;
  nodeError(event: NodeErrorEvent): void;
  tap(event: EdgeTapEvent): void;
}

export interface FlowHostOptions {
  flow: FlowDocument;
  dataDir: string;
  credentials: Record<string, string>;
  taps: Iterable<string>;
  /** A flow whose thread stays blocked this long is terminated. */
  watchdogMs: number;
  tapRate: number;
  logRate: number;
  /** Resident memory (and heap) a flow's process may use, in MB. */
  memoryLimitMb?: number;
  /** A flow whose nodes have not all started by then is killed and marked failed. */
  startTimeoutMs?: number;
  /** A stopping flow gets its drain timeout plus this much, then it is killed and marked failed. */
  stopGraceMs?: number;
  events: FlowHostEvents;
  /** Where the flow's endpoints are served (the server's hub); without it, nodes that open one fail. */
  endpoints?: FlowEndpoints;
}

export type HostExit = ProcessExit;

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
 * One run of one flow in a child process of its own (host/flow-process.ts, which runs the flow in a
 * worker thread under a watchdog). Whatever the flow does — kill its process, exhaust its memory,
 * block a file-system call forever — the server only sees the process end, and marks the run
 * failed with the reason. Start and stop have deadlines; past them the process is killed.
 */
export class FlowHost {
  readonly flowId: string;
  /** Resolves once every node started; rejects with `FlowStartFailure`. */
  readonly started: Promise<void>;
  /** Settles once the process is gone. Never rejects. */
  readonly exited: Promise<HostExit>;

  private readonly child: ChildProcess;
  private readonly channel: Channel<MainToProcess, ProcessToMain>;
  private readonly taps = new Set<string>();
  private resolveStarted!: () => void;
  private rejectStarted!: (error: FlowStartFailure) => void;
  private resolveExited!: (exit: HostExit) => void;
  private isStarted = false;
  private isGone = false;
  /** What the run ended with: said by the process, or decided here before killing it. */
  private outcome: HostExit | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  private readonly endpoints: ReturnType<typeof serveEndpointChannel> | null;

  constructor(private readonly options: FlowHostOptions) {
    this.flowId = options.flow.id;
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined); // the caller may only look at `exited`
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    for (const edgeId of options.taps) this.taps.add(edgeId);
    this.child = fork(fileURLToPath(workerScript('flow-process.js')), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Not the server's flags (a test runner's loaders, an inspector port).
      execArgv: [],
    });
    this.channel = processChannel(this.child);
    this.endpoints =
      options.endpoints === undefined
        ? null
        : serveEndpointChannel(options.endpoints, {
            send: (message) => this.post({ type: 'endpoint', message }),
            onMessage: () => undefined, // fed by onMessage below
          });
    this.channel.onMessage((message) => this.onMessage(message));
    this.child.on('error', (error) => {
      this.outcome ??= { state: 'failed', reason: `the flow's process failed: ${error.message}`, abandoned: 0 };
    });
    this.child.on('exit', (code, signal) => this.onExit(code, signal));
    this.channel.send({
      type: 'init',
      init: {
        flow: options.flow,
        dataDir: options.dataDir,
        credentials: options.credentials,
        taps: [...this.taps],
        watchdogMs: options.watchdogMs,
        tapRate: options.tapRate,
        logRate: options.logRate,
        memoryLimitMb: options.memoryLimitMb ?? DEFAULT_FLOW_MEMORY_MB,
        stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      },
    });
    const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      this.killNow({
        state: 'failed',
        reason: `the flow did not start within ${startTimeoutMs / 1000} s (a node's start never finished); its process was killed`,
        abandoned: 0,
      });
    }, startTimeoutMs);
    this.startTimer.unref();
  }

  /** The id of the flow's process (tests kill it to prove the server survives). */
  get pid(): number | undefined {
    return this.child.pid;
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

  /** Stops with drain; a flow that has not stopped by its deadline is killed and marked failed. */
  stop(drainTimeoutMs?: number): Promise<HostExit> {
    if (!this.isGone && this.stopTimer === null) {
      this.post(drainTimeoutMs === undefined ? { type: 'stop' } : { type: 'stop', drainTimeoutMs });
      const drain = drainTimeoutMs ?? this.options.flow.settings?.drainTimeoutMs ?? 10_000;
      const limit = drain + (this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS) + PROCESS_GRACE_MS;
      this.stopTimer = setTimeout(() => {
        this.killNow({
          state: 'failed',
          reason: `the flow did not stop within ${limit / 1000} s; its process was killed`,
          abandoned: 0,
        });
      }, limit);
      this.stopTimer.unref();
    }
    return this.exited;
  }

  /** Ends the run at once (nothing drains). */
  kill(reason: string): Promise<HostExit> {
    this.killNow({ state: 'stopped', reason, abandoned: 0 });
    return this.exited;
  }

  private post(message: MainToWorker): void {
    if (!this.isGone) this.channel.send(message);
  }

  private onMessage(message: ProcessToMain): void {
    switch (message.type) {
      case 'started':
        this.clearStartTimer();
        this.isStarted = true;
        this.resolveStarted();
        break;
      case 'start-failed':
        this.clearStartTimer();
        this.outcome ??= {
          state: 'failed',
          reason: message.message,
          abandoned: 0,
          ...(message.nodeId ? { nodeId: message.nodeId } : {}),
        };
        this.rejectStarted(new FlowStartFailure(message.message, message.nodeId, message.problems));
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
        if (this.endpoints) this.endpoints.handle(message.message);
        else if (message.message.t === 'open') {
          const reason = 'this runtime serves no endpoints';
          this.post({ type: 'endpoint', message: { t: 'open-failed', ref: message.message.ref, message: reason } });
        }
        break;
      case 'exited':
        this.outcome ??= message.exit;
        break;
    }
  }

  private clearStartTimer(): void {
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    this.startTimer = null;
  }

  private killNow(outcome: HostExit): void {
    this.outcome ??= outcome;
    if (this.isGone) return;
    // SIGKILL: a process stuck in a system call (a FIFO nobody reads) ignores anything gentler.
    this.child.kill('SIGKILL');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.isGone = true;
    // Before `exited` settles: a redeploy may open the same paths at once.
    this.endpoints?.close();
    this.clearStartTimer();
    if (this.stopTimer !== null) clearTimeout(this.stopTimer);
    const how = signal !== null ? `was killed (${signal})` : `exited with code ${code}`;
    const exit: HostExit = this.outcome ?? {
      state: 'failed',
      reason: `the flow's process ${how} (did a node end its own process?)`,
      abandoned: 0,
    };
    if (!this.isStarted) this.rejectStarted(new FlowStartFailure(exit.reason ?? 'the flow did not start', exit.nodeId));
    this.resolveExited(exit);
  }
}

export type { RunOutcome };
