import { create } from 'zustand';
import type { FlowLogEntry } from '@tributary/shared';

/** Messages kept, newest first: a fast flow must not grow the page without end. */
export const DEBUG_CAP = 200;

export interface DebugEntry {
  seq: number;
  at: number;
  nodeId: string;
  /** What the debug node sent: `{ value }` or `{ key, value, headers, timestamp }`. */
  payload: Record<string, unknown>;
}

export interface DebugState {
  flowId: string | undefined;
  entries: DebugEntry[];
  /** Received in all, and dropped from the end (over the cap). */
  received: number;
  nodeId: string | undefined;
  /** Paused: new messages are counted, not listed (the list holds still to be read). */
  paused: boolean;
  setPaused: (paused: boolean) => void;
  add: (entry: FlowLogEntry) => void;
  reset: (flowId: string | undefined) => void;
  clear: () => void;
  setNodeFilter: (nodeId: string | undefined) => void;
}

/** A `flow:log` line from a debug node (packages/nodes/src/debug): its data holds the message. */
export function debugPayload(entry: FlowLogEntry): Record<string, unknown> | undefined {
  const data = entry.data as { debug?: unknown } | undefined;
  if (!entry.nodeId || typeof data !== 'object' || data === null) return undefined;
  const payload = data.debug;
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
    ? (payload as Record<string, unknown>)
    : undefined;
}

let seq = 0;

export function createDebugStore(cap = DEBUG_CAP) {
  return create<DebugState>()((set, get) => ({
    flowId: undefined,
    entries: [],
    received: 0,
    nodeId: undefined,
    paused: false,
    setPaused(paused) {
      set({ paused });
    },
    add(entry) {
      const payload = debugPayload(entry);
      if (!payload || entry.flowId !== get().flowId) return;
      if (get().paused) return set({ received: get().received + 1 });
      const next: DebugEntry = { seq: ++seq, at: entry.at, nodeId: entry.nodeId!, payload };
      set({ entries: [next, ...get().entries.slice(0, cap - 1)], received: get().received + 1 });
    },
    reset(flowId) {
      set({ flowId, entries: [], received: 0, nodeId: undefined });
    },
    clear() {
      set({ entries: [], received: 0 });
    },
    setNodeFilter(nodeId) {
      set({ nodeId });
    },
  }));
}

export const useDebug = createDebugStore();
