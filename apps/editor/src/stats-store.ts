import { create } from 'zustand';
import type { EdgeStats, FlowRunState, FlowStatsSnapshot, NodeStats } from '@tributary/shared';

/**
 * Live figures, apart from the document store: a stats tick re-renders only the nodes and edges
 * whose selectors read them, never the canvas structure.
 */
export interface StatsState {
  flowId: string | undefined;
  nodes: Record<string, NodeStats>;
  edges: Record<string, EdgeStats>;
  state: FlowRunState | undefined;
  reason: string | undefined;
  /** The node the runtime blamed for the last failure (watchdog, start error), with why. */
  failedNode: { id: string; reason: string } | undefined;
  /** The flow ran while open here: only then is "stopped" news worth a line on each node. */
  ranHere: boolean;
  connected: boolean;
  /** Bumped to subscribe again (a flow that now exists on the server). */
  epoch: number;
  resubscribe: () => void;
  apply: (snapshot: FlowStatsSnapshot) => void;
  setStatus: (state: FlowRunState, reason?: string, nodeId?: string) => void;
  reset: (flowId: string | undefined) => void;
  setConnected: (connected: boolean) => void;
}

const EMPTY_NODES: Record<string, NodeStats> = {};
const EMPTY_EDGES: Record<string, EdgeStats> = {};

/** States in which a flow's figures mean something (a run, or one being replaced or drained). */
export function isLive(state: FlowRunState | undefined): boolean {
  return state === 'running' || state === 'deploying' || state === 'stopping';
}

export const useStats = create<StatsState>()((set, get) => ({
  flowId: undefined,
  nodes: {},
  edges: {},
  state: undefined,
  reason: undefined,
  failedNode: undefined,
  ranHere: false,
  connected: false,
  epoch: 0,
  resubscribe() {
    set({ epoch: get().epoch + 1 });
  },
  apply(snapshot) {
    const s = get();
    // A last snapshot can arrive after the flow stopped (the drain's figures): it must not bring
    // rates back onto a stopped flow.
    if (snapshot.flowId !== s.flowId || (s.state !== undefined && !isLive(s.state))) return;
    set({ nodes: snapshot.nodes, edges: snapshot.edges });
  },
  setStatus(state, reason, nodeId) {
    const live = isLive(state);
    const failedNode =
      state === 'failed' && nodeId ? { id: nodeId, reason: reason ?? 'failed' } : live ? undefined : get().failedNode;
    // Not running: no rates, no queue colours — what is shown must be what runs.
    if (live) set({ state, reason, failedNode, ranHere: true });
    else set({ state, reason, failedNode, nodes: EMPTY_NODES, edges: EMPTY_EDGES });
  },
  reset(flowId) {
    set({
      flowId,
      nodes: EMPTY_NODES,
      edges: EMPTY_EDGES,
      state: undefined,
      reason: undefined,
      failedNode: undefined,
      ranHere: false,
    });
  },
  setConnected(connected) {
    set({ connected });
  },
}));

/** Queue fill as a colour: green (empty) → amber (half) → red (full). */
export function fillColour(fill: number): string {
  const f = Math.min(1, Math.max(0, fill));
  // Hue 130 (green) down to 0 (red), through ~40 (amber) at one half.
  const hue = f < 0.5 ? 130 - (130 - 40) * (f / 0.5) : 40 - 40 * ((f - 0.5) / 0.5);
  return `hsl(${Math.round(hue)} 75% 45%)`;
}

/** Edge stroke width from its rate: 1.5 px idle, growing with log10 of msgs/s up to 7 px. */
export function rateWidth(rate: number): number {
  if (rate <= 0) return 1.5;
  return Math.min(7, 1.5 + Math.log10(1 + rate) * 1.1);
}
