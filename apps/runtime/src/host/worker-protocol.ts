import type {
  EdgeTapEvent,
  FlowDocument,
  FlowLogEntry,
  FlowProblem,
  FlowStatsSnapshot,
  NodeErrorEvent,
} from '@tributary/shared';
import type { EndpointToFlow, EndpointToHost } from '@tributary/nodes/runtime';

/**
 * Cells of the shared activity buffer. The engine writes ACTIVE_NODE (index of the node in
 * `flow.nodes` + 1 while that node's code runs, else 0) and BATCHES (bumped per batch); the worker
 * bumps HEARTBEAT from a timer, so a heartbeat that stops moving means its event loop is blocked.
 */
export const CELL_ACTIVE_NODE = 0;
export const CELL_BATCHES = 1;
export const CELL_HEARTBEAT = 2;
export const ACTIVITY_CELLS = 4;
/** How often the worker bumps its heartbeat. */
export const HEARTBEAT_MS = 100;

export interface WorkerInit {
  flow: FlowDocument;
  dataDir: string;
  /** Only the credentials this flow references. */
  credentials: Record<string, string>;
  /** Buffer of ACTIVITY_CELLS Int32 cells. */
  activity: SharedArrayBuffer;
  /** Edges tapped at start (taps survive restarts). */
  taps: string[];
  /** At most this many samples per second per tapped edge. */
  tapRate: number;
  /** At most this many log lines per second; the rest are counted and reported once a second. */
  logRate: number;
}

export type MainToWorker =
  | { type: 'stats' }
  | { type: 'stop'; drainTimeoutMs?: number }
  | { type: 'tap:start'; edgeId: string }
  | { type: 'tap:stop'; edgeId: string }
  /** Requests, frames and figures of the endpoints the flow serves (nodes/src/endpoints/bridge.ts). */
  | { type: 'endpoint'; message: EndpointToFlow };

export interface RunOutcome {
  state: 'finished' | 'stopped' | 'failed';
  reason?: string;
  nodeId?: string;
  abandoned: number;
}

export type WorkerToMain =
  /** The worker loaded its code (every node type): the flow's start begins, and its timeout. */
  | { type: 'booted' }
  | { type: 'started' }
  | { type: 'start-failed'; message: string; nodeId?: string; problems?: FlowProblem[] }
  | { type: 'stats'; snapshot: FlowStatsSnapshot }
  | { type: 'log'; entry: FlowLogEntry }
  | { type: 'node-error'; event: NodeErrorEvent }
  | { type: 'tap'; event: EdgeTapEvent }
  | { type: 'done'; outcome: RunOutcome; snapshot?: FlowStatsSnapshot }
  /** Endpoints the flow opens, its answers, events and frames. */
  | { type: 'endpoint'; message: EndpointToHost };

/**
 * The flow's process (flow-process.ts) between the server and the worker: the server sends `init`
 * once, then the worker's own commands; the process relays the worker's messages (`done` excepted)
 * and ends with `exited`, the run's outcome as its watchdog saw it.
 */
export interface ProcessInit {
  flow: FlowDocument;
  dataDir: string;
  credentials: Record<string, string>;
  taps: string[];
  watchdogMs: number;
  tapRate: number;
  logRate: number;
  /** The flow's process is stopped (and the flow failed) when its resident memory passes this. */
  memoryLimitMb: number;
  stopGraceMs: number;
}

export type MainToProcess =
  | { type: 'init'; init: ProcessInit }
  | MainToWorker
  /** Ends the run now with this outcome (nothing drains). */
  | { type: 'kill'; reason: string; state: RunOutcome['state'] };

export interface ProcessExit extends RunOutcome {
  snapshot?: FlowStatsSnapshot;
  hung?: boolean;
}

export type ProcessToMain = Exclude<WorkerToMain, { type: 'done' }> | { type: 'exited'; exit: ProcessExit };
