import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FlowDocument } from '@tributary/shared';
import { serveEndpointChannel, type FlowEndpoints } from '@tributary/nodes/runtime';
import { processChannel, type Channel } from './channel.js';
import { workerScript } from './flow-thread.js';
import { IsolatedRun, isRunMessage, type FlowReports, type RunExit } from './isolated-run.js';
import type { MainToProcess, MainToWorker, ProcessToMain, RunOutcome } from './worker-protocol.js';

export const DEFAULT_STOP_GRACE_MS = 15_000;
export const DEFAULT_START_TIMEOUT_MS = 60_000;
export const DEFAULT_FLOW_MEMORY_MB = 1024;
/** Time the flow's process gets, beyond its own stop deadline, before it is killed from here. */
const PROCESS_GRACE_MS = 5_000;
/**
 * Loading the flow's code (a new process, a worker, every node type) before its nodes start: not
 * counted in the start timeout, which is about the nodes (seconds on a busy machine).
 */
const BOOT_TIMEOUT_MS = 60_000;

export type FlowHostEvents = FlowReports;

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
  /** A flow whose nodes have not all started by then (counted once its code is loaded) is killed and marked failed. */
  startTimeoutMs?: number;
  /** A stopping flow gets its drain timeout plus this much, then it is killed and marked failed. */
  stopGraceMs?: number;
  events: FlowHostEvents;
  /** Where the flow's endpoints are served (the server's hub); without it, nodes that open one fail. */
  endpoints?: FlowEndpoints;
}

export type HostExit = RunExit;
export { FlowStartFailure } from './isolated-run.js';

/**
 * One run of one flow in a child process of its own (host/flow-process.ts, which runs the flow in a
 * worker thread under a watchdog). Whatever the flow does — kill its process, exhaust its memory,
 * block a file-system call forever — the server only sees the process end, and marks the run
 * failed with the reason. Start and stop have deadlines; past them the process is killed.
 */
export class FlowHost extends IsolatedRun {
  private readonly child: ChildProcess;
  private readonly channel: Channel<MainToProcess, ProcessToMain>;
  private startTimer: NodeJS.Timeout | null = null;
  private readonly endpoints: ReturnType<typeof serveEndpointChannel> | null;

  constructor(private readonly options: FlowHostOptions) {
    super(options.flow, options.taps, options.events);
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
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      this.end({
        state: 'failed',
        reason: `the flow's process did not load its code within ${BOOT_TIMEOUT_MS / 1000} s; it was killed`,
        abandoned: 0,
      });
    }, BOOT_TIMEOUT_MS);
    this.startTimer.unref();
  }

  /** The flow's code is loaded: from now on its nodes have `startTimeoutMs` to start. */
  private onBooted(): void {
    if (this.startTimer === null) return; // started, failed or timed out already
    clearTimeout(this.startTimer);
    const startTimeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      this.end({
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

  /** Ends the run at once (nothing drains). */
  kill(reason: string): Promise<HostExit> {
    this.end({ state: 'stopped', reason, abandoned: 0 });
    return this.exited;
  }

  protected post(message: MainToWorker): void {
    if (!this.isGone) this.channel.send(message);
  }

  protected stopGraceMs(): number {
    return (this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS) + PROCESS_GRACE_MS;
  }

  protected stopTimeoutReason(seconds: number): string {
    return `the flow did not stop within ${seconds} s; its process was killed`;
  }

  private onMessage(message: ProcessToMain): void {
    if (isRunMessage(message)) {
      if (message.type === 'started' || message.type === 'start-failed') this.clearStartTimer();
      return this.receive(message);
    }
    switch (message.type) {
      case 'booted':
        this.onBooted();
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

  protected end(outcome: RunExit): void {
    this.outcome ??= outcome;
    if (this.isGone) return;
    // SIGKILL: a process stuck in a system call (a FIFO nobody reads) ignores anything gentler.
    this.child.kill('SIGKILL');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    // Before `exited` settles: a redeploy may open the same paths at once.
    this.endpoints?.close();
    this.clearStartTimer();
    const how = signal !== null ? `was killed (${signal})` : `exited with code ${code}`;
    this.gone({ state: 'failed', reason: `the flow's process ${how} (did a node end its own process?)`, abandoned: 0 });
  }
}

export type { RunOutcome };
