import type {
  EdgeTapEvent,
  FlowDocument,
  FlowLogEntry,
  FlowProblem,
  FlowStatsSnapshot,
  NodeErrorEvent,
} from '@tributary/shared';
import type { MainToWorker, ProcessExit, WorkerToMain } from './worker-protocol.js';

/** The messages a flow's worker sends, and its process relays, that a run handles the same either way. */
export type RunMessage = Extract<WorkerToMain, { type: (typeof RUN_MESSAGES)[number] }>;
const RUN_MESSAGES = ['started', 'start-failed', 'stats', 'log', 'node-error', 'tap'] as const;
const runMessageTypes: ReadonlySet<string> = new Set(RUN_MESSAGES);

/** Whether `receive` handles `message` (the rest is the caller's: endpoint traffic, the run's end). */
export function isRunMessage<M extends { type: string }>(message: M): message is Extract<M, RunMessage> {
  return runMessageTypes.has(message.type);
}

/** What a running flow reports, relayed as is from its worker (and its process) to the server. */
export interface FlowReports {
  stats(snapshot: FlowStatsSnapshot): void;
  log(entry: FlowLogEntry): void;
  nodeError(event: NodeErrorEvent): void;
  tap(event: EdgeTapEvent): void;
}

/** How a run ended: said by the flow, or decided from outside before it was ended. */
export type RunExit = ProcessExit;

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
 * One run of one flow, isolated from whoever drives it: what FlowHost (the flow in a child process)
 * and FlowThread (the flow in a worker thread of that process) have in common — the start and exit
 * promises, taps, a stop with a deadline, and one relay of the flow's messages.
 */
export abstract class IsolatedRun {
  readonly flowId: string;
  /** Resolves once every node started; rejects with `FlowStartFailure`. */
  readonly started: Promise<void>;
  /** Settles once the flow's thread or process is gone. Never rejects. */
  readonly exited: Promise<RunExit>;

  protected readonly taps = new Set<string>();
  protected isStarted = false;
  protected isGone = false;
  /** What the run ended with: said by the flow, or decided here before ending it. */
  protected outcome: RunExit | null = null;
  private resolveStarted!: () => void;
  private rejectStarted!: (error: FlowStartFailure) => void;
  private resolveExited!: (exit: RunExit) => void;
  private stopTimer: NodeJS.Timeout | null = null;

  constructor(
    protected readonly flow: FlowDocument,
    taps: Iterable<string>,
    private readonly reports: FlowReports,
  ) {
    this.flowId = flow.id;
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => undefined); // the caller may only look at `exited`
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    for (const edgeId of taps) this.taps.add(edgeId);
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

  /** Stops with drain; a flow that has not stopped by its deadline is ended and marked failed. */
  stop(drainTimeoutMs?: number): Promise<RunExit> {
    if (!this.isGone && this.stopTimer === null) {
      this.post(drainTimeoutMs === undefined ? { type: 'stop' } : { type: 'stop', drainTimeoutMs });
      const limit = (drainTimeoutMs ?? this.flow.settings?.drainTimeoutMs ?? 10_000) + this.stopGraceMs();
      this.stopTimer = setTimeout(
        () => this.end({ state: 'failed', reason: this.stopTimeoutReason(limit / 1000), abandoned: 0 }),
        limit,
      );
      this.stopTimer.unref();
    }
    return this.exited;
  }

  /** Sends a command to the flow (dropped once it is gone). */
  protected abstract post(message: MainToWorker): void;
  /** Ends the run now; `outcome` is what it ended with unless one was decided before. */
  protected abstract end(outcome: RunExit): void;
  /** Time a stop gets beyond the drain timeout. */
  protected abstract stopGraceMs(): number;
  protected abstract stopTimeoutReason(seconds: number): string;

  /** The start, its failure and the flow's reports (see isRunMessage). */
  protected receive(message: RunMessage): void {
    switch (message.type) {
      case 'started':
        this.isStarted = true;
        this.resolveStarted();
        return;
      case 'start-failed':
        this.outcome ??= {
          state: 'failed',
          reason: message.message,
          abandoned: 0,
          ...(message.nodeId ? { nodeId: message.nodeId } : {}),
        };
        this.rejectStarted(new FlowStartFailure(message.message, message.nodeId, message.problems));
        return;
      case 'stats':
        this.reports.stats(message.snapshot);
        return;
      case 'log':
        this.reports.log(message.entry);
        return;
      case 'node-error':
        this.reports.nodeError(message.event);
        return;
      case 'tap':
        this.reports.tap(message.event);
        return;
    }
  }

  /** The flow's thread or process is gone: settles both promises (`orElse` when nobody said why). */
  protected gone(orElse: RunExit): void {
    this.isGone = true;
    if (this.stopTimer !== null) clearTimeout(this.stopTimer);
    const exit = this.outcome ?? orElse;
    if (!this.isStarted) this.rejectStarted(new FlowStartFailure(exit.reason ?? 'the flow did not start', exit.nodeId));
    this.resolveExited(exit);
  }
}
