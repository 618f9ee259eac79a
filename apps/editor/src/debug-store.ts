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

/**
 * Which debug nodes' messages are listed (Node-RED's debug filter): every one, those selected on
 * the canvas, or the ones picked from the list.
 */
export type DebugFilter = { mode: 'all' } | { mode: 'selected' } | { mode: 'pick'; picked: readonly string[] };

export interface DebugState {
  flowId: string | undefined;
  entries: DebugEntry[];
  /** Received in all (dropped over the cap and while paused included). */
  received: number;
  /** Received while paused, not listed. */
  missed: number;
  filter: DebugFilter;
  /** Paused: new messages are counted, not listed (the list holds still to be read). */
  paused: boolean;
  /** Keep the newest message in view; off once the user scrolls up to read. */
  autoscroll: boolean;
  setPaused: (paused: boolean) => void;
  setAutoscroll: (on: boolean) => void;
  add: (entry: FlowLogEntry) => void;
  reset: (flowId: string | undefined) => void;
  clear: () => void;
  setFilter: (filter: DebugFilter) => void;
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

/** The entries the filter lets through; `selected`: the ids selected on the canvas. */
export function visibleDebug(
  entries: readonly DebugEntry[],
  filter: DebugFilter,
  selected: ReadonlySet<string>,
): DebugEntry[] {
  if (filter.mode === 'all') return [...entries];
  const keep = filter.mode === 'selected' ? selected : new Set(filter.picked);
  return entries.filter((e) => keep.has(e.nodeId));
}

let seq = 0;

export function createDebugStore(cap = DEBUG_CAP) {
  return create<DebugState>()((set, get) => ({
    flowId: undefined,
    entries: [],
    received: 0,
    missed: 0,
    filter: { mode: 'all' },
    paused: false,
    autoscroll: true,
    setPaused(paused) {
      set(paused ? { paused } : { paused, missed: 0 });
    },
    setAutoscroll(autoscroll) {
      set({ autoscroll });
    },
    add(entry) {
      const payload = debugPayload(entry);
      if (!payload || entry.flowId !== get().flowId) return;
      const { paused, received, missed, entries } = get();
      if (paused) return set({ received: received + 1, missed: missed + 1 });
      const next: DebugEntry = { seq: ++seq, at: entry.at, nodeId: entry.nodeId!, payload };
      set({ entries: [next, ...entries.slice(0, cap - 1)], received: received + 1 });
    },
    reset(flowId) {
      set({ flowId, entries: [], received: 0, missed: 0, filter: { mode: 'all' } });
    },
    clear() {
      // Nothing left to read: follow the newest again.
      set({ entries: [], received: 0, missed: 0, autoscroll: true });
    },
    setFilter(filter) {
      set({ filter });
    },
  }));
}

export const useDebug = createDebugStore();
