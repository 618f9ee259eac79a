import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type {
  EdgeTapEvent,
  FlowDocument,
  FlowLogEntry,
  FlowProblem,
  FlowRunState,
  FlowStatsSnapshot,
  FlowStatusEvent,
  NodeErrorEvent,
} from '@tributary/shared';
import { backoffDelay } from '@tributary/shared';
import type { EndpointHub } from '@tributary/nodes/runtime';
import { RuntimeError, notFound } from '../errors.js';
import type { CredentialStore } from '../store/credential-store.js';
import type { FlowStore } from '../store/flow-store.js';
import { FlowHost, FlowStartFailure, type HostExit } from './flow-host.js';

/** A restarted flow that stays up this long has its backoff reset. */
const RESTART_RESET_MS = 60_000;
const DEFAULT_INITIAL_BACKOFF_MS = 1_000;
const DEFAULT_MAX_BACKOFF_MS = 60_000;

export type FlowCheck = (
  doc: unknown,
) => Promise<{ ok: true; flow: FlowDocument } | { ok: false; problems: FlowProblem[]; problemsOmitted?: number }>;

export interface FlowManagerOptions {
  store: FlowStore;
  credentials: CredentialStore;
  /** Parent of each flow's own data folder (`<dataDir>/<flow id>`). */
  flowDataDir: string;
  /** Full validation against the installed node types. */
  check: FlowCheck;
  watchdogMs: number;
  /** Resident memory a flow's process may use, in MB. */
  memoryLimitMb?: number;
  startTimeoutMs?: number;
  stopGraceMs?: number;
  /** Folder names replaced by a placeholder in reasons a client sees (the server's absolute paths). */
  redactPaths?: readonly string[];
  statsIntervalMs: number;
  tapRate: number;
  logRate: number;
  /** The server's endpoint hub: flows serve webhooks, event streams and WebSockets through it. */
  endpoints?: EndpointHub;
}

export interface FlowLastError {
  message: string;
  nodeId?: string;
  at: number;
}

/** What the manager knows about a flow's run, for records and `flow:status`. */
export interface FlowRuntimeStatus {
  state: FlowRunState;
  reason?: string;
  nodeId?: string;
  restarts: number;
  lastError?: FlowLastError;
}

interface Entry {
  readonly id: string;
  state: FlowRunState;
  reason?: string;
  nodeId?: string;
  /** The host whose run is the flow's current run. */
  host: FlowHost | null;
  /** The host whose stats go out: the current one, or the one being stopped. */
  reporting: FlowHost | null;
  /** The version `host` runs. */
  flow: FlowDocument | null;
  /** Consecutive restarts after failures (drives the backoff). */
  restarts: number;
  restartTimer: NodeJS.Timeout | null;
  stableTimer: NodeJS.Timeout | null;
  lastError?: FlowLastError;
  /** Tapped edges, with how many clients tap each. */
  readonly taps: Map<string, number>;
  lock: Promise<void>;
}

export type FlowManagerEvents = {
  status: [FlowStatusEvent];
  stats: [FlowStatsSnapshot];
  log: [FlowLogEntry];
  nodeError: [NodeErrorEvent];
  tap: [EdgeTapEvent];
};

/**
 * Runs deployed flows, one child process each (FlowHost): deploy, redeploy without losing work
 * (the new version starts, then the old one drains), stop, restart after failures with exponential
 * backoff when the flow's `settings.restart.mode` is `on-failure`, and stats once a second.
 */
export class FlowManager extends EventEmitter<FlowManagerEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly ticker: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly options: FlowManagerOptions) {
    super();
    this.ticker = setInterval(() => {
      for (const entry of this.entries.values()) entry.host?.requestStats();
    }, options.statsIntervalMs);
    this.ticker.unref();
  }

  status(id: string): FlowRuntimeStatus {
    const entry = this.entries.get(id);
    if (!entry) return { state: 'stopped', restarts: 0 };
    return {
      state: entry.state,
      restarts: entry.restarts,
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      ...(entry.nodeId !== undefined ? { nodeId: entry.nodeId } : {}),
      ...(entry.lastError ? { lastError: entry.lastError } : {}),
    };
  }

  statusEvent(id: string): FlowStatusEvent {
    const status = this.status(id);
    return {
      flowId: id,
      state: status.state,
      at: Date.now(),
      restarts: status.restarts,
      ...(status.reason !== undefined ? { reason: status.reason } : {}),
      ...(status.nodeId !== undefined ? { nodeId: status.nodeId } : {}),
    };
  }

  /** The process id of the flow's current run, if it has one. */
  pidOf(id: string): number | undefined {
    return this.entries.get(id)?.host?.pid;
  }

  counts(): { running: number; failed: number } {
    let running = 0;
    let failed = 0;
    for (const entry of this.entries.values()) {
      if (entry.state === 'running') running++;
      else if (entry.state === 'failed') failed++;
    }
    return { running, failed };
  }

  /** Starts every flow that was deployed when the server last stopped. Failures are reported per flow. */
  async boot(onStarting?: (flowId: string) => Promise<void>): Promise<void> {
    for (const stored of this.options.store.list()) {
      const flow = this.options.store.deployedFlow(stored.flow.id);
      if (flow === undefined) continue;
      await onStarting?.(stored.flow.id);
      await this.exclusive(stored.flow.id, async (entry) => {
        const checked = await this.options.check(flow);
        if (!checked.ok) {
          const first = checked.problems[0];
          this.fail(
            entry,
            `the deployed version is not valid any more: ${first ? `${first.path || '/'} ${first.message}` : ''}`,
          );
          return;
        }
        await this.startRun(entry, flow).catch(() => undefined);
      });
    }
  }

  /** Safe start: the deployed flows stay deployed (a later start runs them) but do not start now. */
  skipBoot(reason: string): string[] {
    const skipped: string[] = [];
    for (const stored of this.options.store.list()) {
      if (this.options.store.deployedFlow(stored.flow.id) === undefined) continue;
      const entry = this.entry(stored.flow.id);
      entry.lastError = { message: `not started: ${reason}`, at: Date.now() };
      this.setStatus(entry, 'stopped', `not started: ${reason}`);
      skipped.push(stored.flow.id);
    }
    return skipped;
  }

  /** Validates and deploys the saved version of flow `id`; a running version is replaced without losing work. */
  async deploy(id: string): Promise<void> {
    if (this.closing)
      throw new RuntimeError('E_SHUTTING_DOWN', 'the server is shutting down; deploy after it restarts', 503);
    await this.exclusive(id, async (entry) => {
      const stored = this.options.store.require(id);
      const checked = await this.options.check(stored.flow);
      if (!checked.ok) {
        throw new RuntimeError(
          'E_FLOW_INVALID',
          `flow "${id}" has ${checked.problems.length + (checked.problemsOmitted ?? 0)} problem(s) and was not deployed`,
          400,
          {
            problems: checked.problems,
            ...(checked.problemsOmitted ? { problemsOmitted: checked.problemsOmitted } : {}),
          },
        );
      }
      this.cancelRestart(entry);
      entry.restarts = 0;
      // A deliberate deploy starts a new history: the last run's failure is not this version's.
      delete entry.lastError;
      // The saved document runs (the worker fills in defaults again), so `deployedRev` equals its rev.
      const flow = stored.flow;
      const old = entry.host;
      if (old === null) {
        await this.options.store.setDeployed(id, flow);
        await this.startRun(entry, flow);
        return;
      }
      // Redeploy: start the new version first, so that the flow keeps working, then drain the old one.
      this.setStatus(entry, 'deploying');
      let host = this.spawn(entry, flow);
      let retired = false;
      try {
        await host.started;
      } catch {
        // The old version may hold what the new one needs (a listening port): free it, try once more.
        await this.retire(entry, old);
        retired = true;
        host = this.spawn(entry, flow);
        try {
          await host.started;
        } catch (error) {
          const exit = await host.exited;
          entry.lastError = { message: exit.reason ?? (error as Error).message, at: Date.now() };
          if (exit.nodeId !== undefined) entry.lastError.nodeId = exit.nodeId;
          await this.rollback(entry);
          throw startFailed(id, error, (m) => this.redact(m));
        }
      }
      await this.options.store.setDeployed(id, flow);
      this.adopt(entry, host, flow);
      // The old version drains in the background: nothing it acknowledged is lost, and the answer is not held up.
      if (!retired) void this.retire(entry, old);
    });
  }

  /** Stops the flow with drain; it stays stopped after a server restart. */
  async stop(id: string): Promise<void> {
    await this.exclusive(id, async (entry) => {
      this.options.store.require(id);
      this.cancelRestart(entry);
      await this.stopRun(entry);
      if (this.options.store.get(id)?.meta.deployed) await this.options.store.setDeployed(id, null);
    });
  }

  /** Stops the flow and forgets it (the flow was deleted). */
  async remove(id: string): Promise<void> {
    await this.exclusive(id, async (entry) => {
      this.cancelRestart(entry);
      await this.stopRun(entry);
      this.entries.delete(id);
    });
  }

  tapStart(flowId: string, edgeId: string): void {
    const existing = this.entries.get(flowId);
    const flow = existing?.flow ?? this.options.store.get(flowId)?.flow;
    if (!flow) throw notFound(flowId);
    const entry = existing ?? this.entry(flowId);
    if (!flow.edges.some((edge) => edge.id === edgeId)) {
      throw new RuntimeError('E_EDGE_NOT_FOUND', `flow "${flowId}" has no edge "${edgeId}"`, 404);
    }
    const count = entry.taps.get(edgeId) ?? 0;
    entry.taps.set(edgeId, count + 1);
    if (count === 0) entry.host?.tapStart(edgeId);
  }

  tapStop(flowId: string, edgeId: string): void {
    const entry = this.entries.get(flowId);
    const count = entry?.taps.get(edgeId);
    if (!entry || count === undefined) return;
    if (count > 1) {
      entry.taps.set(edgeId, count - 1);
      return;
    }
    entry.taps.delete(edgeId);
    entry.host?.tapStop(edgeId);
  }

  /** Server shutdown: every flow stops with drain, and stays deployed so it comes back on the next start. */
  async shutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.ticker);
    await Promise.all(
      [...this.entries.values()].map((entry) =>
        this.exclusive(entry.id, async () => {
          this.cancelRestart(entry);
          await this.stopRun(entry);
        }),
      ),
    );
  }

  // ------------------------------------------------------------------------------------------

  private entry(id: string): Entry {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = {
        id,
        state: 'stopped',
        host: null,
        reporting: null,
        flow: null,
        restarts: 0,
        restartTimer: null,
        stableTimer: null,
        taps: new Map(),
        lock: Promise.resolve(),
      };
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Runs operations on one flow one at a time, in call order. */
  private exclusive(id: string, task: (entry: Entry) => Promise<void>): Promise<void> {
    const entry = this.entry(id);
    const run = () => task(entry);
    const result = entry.lock.then(run, run);
    entry.lock = result.catch(() => undefined);
    return result;
  }

  private spawn(entry: Entry, flow: FlowDocument): FlowHost {
    const host: FlowHost = new FlowHost({
      flow,
      dataDir: join(this.options.flowDataDir, flow.id),
      credentials: this.options.credentials.valuesFor(flow),
      taps: entry.taps.keys(),
      watchdogMs: this.options.watchdogMs,
      ...(this.options.memoryLimitMb !== undefined ? { memoryLimitMb: this.options.memoryLimitMb } : {}),
      ...(this.options.startTimeoutMs !== undefined ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
      ...(this.options.stopGraceMs !== undefined ? { stopGraceMs: this.options.stopGraceMs } : {}),
      tapRate: this.options.tapRate,
      logRate: this.options.logRate,
      ...(this.options.endpoints === undefined ? {} : { endpoints: this.options.endpoints.forFlow(flow.id) }),
      events: {
        stats: (snapshot) => {
          if (entry.reporting === host) this.emit('stats', snapshot);
        },
        log: (line) => this.emit('log', line),
        nodeError: (event) => this.emit('nodeError', event),
        tap: (event) => {
          if (entry.host === host) this.emit('tap', event);
        },
      },
    });
    void host.exited.then((exit) => this.onExit(entry, host, exit));
    return host;
  }

  /** Starts `flow` as the flow's run (nothing else is running); throws a RuntimeError if it cannot start. */
  private async startRun(entry: Entry, flow: FlowDocument): Promise<void> {
    this.setStatus(entry, 'deploying');
    const host = this.spawn(entry, flow);
    entry.flow = flow;
    try {
      await host.started;
    } catch (error) {
      const exit = await host.exited;
      this.fail(entry, exit.reason ?? (error as Error).message, exit.nodeId, flow);
      throw startFailed(entry.id, error, (m) => this.redact(m));
    }
    this.adopt(entry, host, flow);
  }

  private adopt(entry: Entry, host: FlowHost, flow: FlowDocument): void {
    entry.host = host;
    entry.reporting = host;
    entry.flow = flow;
    this.setStatus(entry, 'running');
    if (entry.stableTimer !== null) clearTimeout(entry.stableTimer);
    if (entry.restarts > 0) {
      entry.stableTimer = setTimeout(() => {
        entry.restarts = 0;
        entry.stableTimer = null;
      }, RESTART_RESET_MS);
      entry.stableTimer.unref();
    }
  }

  /** Drains a run that is being replaced; its exit is not the flow's. */
  private async retire(entry: Entry, host: FlowHost): Promise<void> {
    if (entry.host === host) entry.host = null;
    if (entry.reporting === host) entry.reporting = null;
    await host.stop();
  }

  /** After a failed redeploy: bring the version that was running back. */
  private async rollback(entry: Entry): Promise<void> {
    const previous = entry.flow;
    if (previous === null) return;
    const host = this.spawn(entry, previous);
    try {
      await host.started;
      this.adopt(entry, host, previous);
    } catch {
      const exit = await host.exited;
      this.fail(entry, exit.reason ?? 'the flow did not start', exit.nodeId, previous);
    }
  }

  private async stopRun(entry: Entry): Promise<void> {
    const host = entry.host;
    entry.host = null;
    if (entry.stableTimer !== null) clearTimeout(entry.stableTimer);
    if (host === null) {
      if (entry.state !== 'stopped' && entry.state !== 'finished') this.setStatus(entry, 'stopped');
      return;
    }
    this.setStatus(entry, 'stopping');
    const exit = await host.stop();
    if (entry.reporting === host) entry.reporting = null;
    if (exit.state === 'failed') {
      // The stop did not finish in time (or the flow crashed while stopping): say so, do not pretend.
      entry.lastError = { message: exit.reason ?? 'the flow failed while stopping', at: Date.now() };
      this.setStatus(entry, 'failed', exit.reason, exit.nodeId);
      return;
    }
    this.setStatus(entry, 'stopped', exit.state === 'stopped' ? undefined : exit.reason, exit.nodeId);
  }

  /** The current run ended by itself: finished, or failed (crash, hang, source error). */
  private onExit(entry: Entry, host: FlowHost, exit: HostExit): void {
    if (entry.host !== host) return; // replaced or stopped on purpose: handled there
    entry.host = null;
    if (this.entries.get(entry.id) !== entry) return;
    if (exit.state === 'finished') {
      this.setStatus(entry, 'finished');
      // A finite flow that ran to its end does not start again at the next server start.
      void this.exclusive(entry.id, async () => {
        if (entry.host === null && this.options.store.get(entry.id)?.meta.deployed) {
          await this.options.store.setDeployed(entry.id, null);
        }
      }).catch(() => undefined);
      return;
    }
    if (exit.state === 'stopped') {
      this.setStatus(entry, 'stopped', exit.reason);
      return;
    }
    this.fail(entry, exit.reason ?? 'the flow failed', exit.nodeId, entry.flow ?? undefined);
  }

  /** Marks the flow failed and, if its policy says so, schedules a restart with exponential backoff. */
  private fail(entry: Entry, reason: string, nodeId?: string, flow?: FlowDocument): void {
    entry.lastError = { message: reason, at: Date.now(), ...(nodeId !== undefined ? { nodeId } : {}) };
    const policy = flow?.settings?.restart;
    const max = policy?.maxRestarts ?? Number.POSITIVE_INFINITY;
    if (this.closing || flow === undefined || policy?.mode !== 'on-failure' || entry.restarts >= max) {
      const gaveUp =
        policy?.mode === 'on-failure' && entry.restarts >= max ? ` (gave up after ${entry.restarts} restarts)` : '';
      this.setStatus(entry, 'failed', reason + gaveUp, nodeId);
      return;
    }
    const initial = policy.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    // No jitter: the status line tells the user when the restart happens.
    const delay = backoffDelay(entry.restarts, {
      initialMs: initial,
      maxMs: policy.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      jitter: 0,
    });
    entry.restarts++;
    this.setStatus(entry, 'failed', `${reason}; restart ${entry.restarts} in ${formatDelay(delay)}`, nodeId);
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = null;
      void this.exclusive(entry.id, async () => {
        // A stop, a redeploy or the deletion of the flow in the meantime cancelled this restart.
        if (this.closing || entry.host !== null || entry.state !== 'failed' || this.entries.get(entry.id) !== entry)
          return;
        await this.startRun(entry, flow);
      }).catch(() => undefined);
    }, delay);
    entry.restartTimer.unref();
  }

  /** The server's own folders out of a message a client sees (a node's error may quote a full path). */
  private redact(message: string): string {
    let out = message;
    for (const path of this.options.redactPaths ?? []) if (path.length > 1) out = out.split(path).join('<data-dir>');
    return out;
  }

  private cancelRestart(entry: Entry): void {
    if (entry.restartTimer !== null) clearTimeout(entry.restartTimer);
    entry.restartTimer = null;
  }

  private setStatus(entry: Entry, state: FlowRunState, reason?: string, nodeId?: string): void {
    entry.state = state;
    entry.reason = reason === undefined ? undefined : this.redact(reason);
    if (entry.lastError) entry.lastError.message = this.redact(entry.lastError.message);
    entry.nodeId = nodeId;
    this.emit('status', this.statusEvent(entry.id));
  }
}

function startFailed(id: string, error: unknown, redact: (message: string) => string): RuntimeError {
  const failure = error instanceof FlowStartFailure ? error : undefined;
  const message = redact(`flow "${id}" could not start: ${(error as Error).message}`);
  return new RuntimeError('E_FLOW_START_FAILED', message, 400, {
    ...(failure?.nodeId !== undefined ? { nodeId: failure.nodeId } : {}),
    ...(failure?.problems !== undefined
      ? { problems: failure.problems.map((p) => ({ ...p, message: redact(p.message) })) }
      : {}),
  });
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
