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
  connected: boolean;
  /** Bumped to subscribe again (a flow that now exists on the server). */
  epoch: number;
  resubscribe: () => void;
  apply: (snapshot: FlowStatsSnapshot) => void;
  setStatus: (state: FlowRunState, reason?: string) => void;
  reset: (flowId: string | undefined) => void;
  setConnected: (connected: boolean) => void;
}

export const useStats = create<StatsState>()((set, get) => ({
  flowId: undefined,
  nodes: {},
  edges: {},
  state: undefined,
  reason: undefined,
  connected: false,
  epoch: 0,
  resubscribe() {
    set({ epoch: get().epoch + 1 });
  },
  apply(snapshot) {
    if (snapshot.flowId !== get().flowId) return;
    set({ nodes: snapshot.nodes, edges: snapshot.edges });
  },
  setStatus(state, reason) {
    set({ state, reason });
  },
  reset(flowId) {
    set({ flowId, nodes: {}, edges: {}, state: undefined, reason: undefined });
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
