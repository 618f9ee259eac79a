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

/** Answer to a socket request that takes an acknowledgement callback. */
export type SocketAck = { ok: true } | { ok: false; error: { code: string; message: string } };

export interface FlowSubscription {
  flowId: string;
}

export interface EdgeTapRequest {
  flowId: string;
  edgeId: string;
}

/**
 * Events the runtime sends (socket.io, typed on both ends). Stats go to the flow's room once a
 * second; a client receives a flow's events after `flow:subscribe`, and `edge:tap` after `tap:start`.
 *
 * @example
 * const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { token } });
 * socket.on('flow:stats', (snapshot) => render(snapshot));
 * const ack = await socket.emitWithAck('flow:subscribe', { flowId: 'demo' });
 */
export interface ServerToClientEvents {
  /** Sent on every state change, and once right after `flow:subscribe` with the current state. */
  'flow:status': (event: FlowStatusEvent) => void;
  'flow:stats': (event: FlowStatsEvent) => void;
  /** At most about five per second per node; repeats are folded into `count`. */
  'node:error': (event: NodeErrorEvent) => void;
  'flow:log': (entry: FlowLogEntry) => void;
  /** At most five per second per edge, whatever the flow's rate. */
  'edge:tap': (event: EdgeTapEvent) => void;
}

export interface ClientToServerEvents {
  'flow:subscribe': (payload: FlowSubscription, ack: (result: SocketAck) => void) => void;
  'flow:unsubscribe': (payload: FlowSubscription) => void;
  'tap:start': (payload: EdgeTapRequest, ack: (result: SocketAck) => void) => void;
  'tap:stop': (payload: EdgeTapRequest) => void;
}
