import type { FlowStatsSnapshot } from './stats.js';

export type FlowRunState = 'stopped' | 'deploying' | 'running' | 'finished' | 'stopping' | 'failed';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface FlowLogEntry {
  flowId: string;
  at: number;
  level: LogLevel;
  /** The node the line concerns, when there is one. */
  nodeId?: string;
  message: string;
  data?: unknown;
}

export interface NodeErrorEvent {
  flowId: string;
  nodeId: string;
  /** Catalogue code, e.g. `E_HANDLER_THREW`, `E_DECODE`, `E_SINK_WRITE`. */
  code: string;
  message: string;
  at: number;
  /** How many errors this event stands for (rate-limited events fold repeats). */
  count: number;
}

export interface FlowStatusEvent {
  flowId: string;
  state: FlowRunState;
  at: number;
  /** Why a flow failed or stopped, in words; names the node where one is to blame. */
  reason?: string;
  nodeId?: string;
  restarts?: number;
}

/** A sampled live message on an edge (message tap). */
export interface EdgeTapEvent {
  flowId: string;
  edgeId: string;
  at: number;
  message: { key: string | null; value: unknown; headers: Record<string, string>; timestamp: number };
  /** Messages that passed the edge since the previous sample but were not sent (rate limit). */
  skipped: number;
}

export type FlowStatsEvent = FlowStatsSnapshot;
