import { create } from 'zustand';
import type { FlowLogEntry, FlowRunState, FlowStatusEvent, LogLevel, NodeErrorEvent } from '@tributary/shared';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** Lines kept; older ones go (the runtime's own log has them all). */
export const LOG_CAP = 500;
/** A repeat folds into an earlier line when it is among the newest few and this recent. */
const FOLD_LOOKBACK = 20;
const FOLD_WINDOW_MS = 60_000;

/** One line of the log panel: a `flow:log` line or a `node:error` event, repeats folded. */
export interface LogEntry {
  id: number;
  /** Newest occurrence (epoch ms). */
  at: number;
  firstAt: number;
  level: LogLevel;
  nodeId: string | undefined;
  /** The error's catalogue code (`node:error` only). */
  code: string | undefined;
  message: string;
  /** Occurrences this line stands for (the runtime's folded `count`s added up). */
  count: number;
  origin: 'log' | 'error' | 'status';
}

export type Incoming = Omit<LogEntry, 'id' | 'firstAt'>;

let nextId = 1;

function sameLine(a: Incoming, b: LogEntry): boolean {
  return (
    a.origin === b.origin &&
    a.level === b.level &&
    a.nodeId === b.nodeId &&
    a.code === b.code &&
    a.message === b.message
  );
}

/**
 * Adds a line, newest first. A repeat of a recent line (same node, level, code and text) is folded
 * into it and moved to the top with its count raised, so a node failing on every message takes
 * one line, not the whole panel.
 */
export function addEntry(entries: readonly LogEntry[], incoming: Incoming, cap = LOG_CAP): LogEntry[] {
  const limit = Math.min(entries.length, FOLD_LOOKBACK);
  for (let i = 0; i < limit; i++) {
    const existing = entries[i]!;
    if (!sameLine(incoming, existing) || incoming.at - existing.at > FOLD_WINDOW_MS) continue;
    const folded: LogEntry = {
      ...existing,
      at: Math.max(existing.at, incoming.at),
      count: existing.count + incoming.count,
    };
    return [folded, ...entries.slice(0, i), ...entries.slice(i + 1)];
  }
  const entry: LogEntry = { ...incoming, id: nextId++, firstAt: incoming.at };
  return [entry, ...entries.slice(0, cap - 1)];
}

export interface LogFilter {
  levels: Readonly<Record<LogLevel, boolean>>;
  /** Only this node's lines; undefined for all. */
  nodeId: string | undefined;
}

export function visibleEntries(entries: readonly LogEntry[], filter: LogFilter): LogEntry[] {
  return entries.filter((e) => filter.levels[e.level] && (filter.nodeId === undefined || e.nodeId === filter.nodeId));
}

export interface LogState extends LogFilter {
  flowId: string | undefined;
  entries: LogEntry[];
  open: boolean;
  /** Lines that arrived while the panel was closed (the badge), and whether any was a warning or error. */
  unseen: number;
  unseenSevere: boolean;
  reset: (flowId: string | undefined) => void;
  addLog: (entry: FlowLogEntry) => void;
  addError: (event: NodeErrorEvent) => void;
  /** Flow state changes (a flow that failed says why, e.g. a hung node the watchdog stopped). */
  addStatus: (event: FlowStatusEvent) => void;
  clear: () => void;
  setOpen: (open: boolean) => void;
  toggleLevel: (level: LogLevel) => void;
  setNodeFilter: (nodeId: string | undefined) => void;
}

const ALL_LEVELS: Record<LogLevel, boolean> = { debug: true, info: true, warn: true, error: true };

export function createLogStore() {
  /**
   * An error that reaches no error port comes twice: as `node:error` and as an error `flow:log`
   * line ("CODE: message") with the same node and time. The panel keeps the `node:error` one.
   */
  const errorKeys: string[] = [];
  const errorKey = (nodeId: string, at: number) => `${nodeId}@${at}`;
  /** The state last seen: the status sent right after subscribing is a baseline, not news. */
  let lastState: FlowRunState | undefined;
  const mirrors = (line: { level: LogLevel; nodeId?: string | undefined; at: number }) =>
    line.level === 'error' && line.nodeId !== undefined && errorKeys.includes(errorKey(line.nodeId, line.at));

  return create<LogState>()((set, get) => {
    const add = (incoming: Incoming, drop?: (e: LogEntry) => boolean) => {
      const s = get();
      const kept = drop ? s.entries.filter((e) => !drop(e)) : s.entries;
      const severe = incoming.level === 'warn' || incoming.level === 'error';
      set({
        entries: addEntry(kept, incoming),
        ...(s.open ? {} : { unseen: s.unseen + 1, unseenSevere: s.unseenSevere || severe }),
      });
    };
    return {
      flowId: undefined,
      entries: [],
      open: false,
      unseen: 0,
      unseenSevere: false,
      levels: ALL_LEVELS,
      nodeId: undefined,
      reset(flowId) {
        errorKeys.length = 0;
        lastState = undefined;
        set({ flowId, entries: [], unseen: 0, unseenSevere: false, nodeId: undefined });
      },
      addLog(entry) {
        if (entry.flowId !== get().flowId || mirrors(entry)) return;
        add({
          at: entry.at,
          level: entry.level,
          nodeId: entry.nodeId,
          code: undefined,
          message: entry.message,
          count: 1,
          origin: 'log',
        });
      },
      addError(event) {
        if (event.flowId !== get().flowId) return;
        const key = errorKey(event.nodeId, event.at);
        errorKeys.push(key);
        if (errorKeys.length > 100) errorKeys.shift();
        add(
          {
            at: event.at,
            level: 'error',
            nodeId: event.nodeId,
            code: event.code,
            message: event.message,
            count: event.count,
            origin: 'error',
          },
          // Its mirror line, should it have come first.
          (e) => e.origin === 'log' && e.level === 'error' && e.count === 1 && errorKey(e.nodeId ?? '', e.at) === key,
        );
      },
      addStatus(event) {
        if (event.flowId !== get().flowId) return;
        const previous = lastState;
        lastState = event.state;
        if (event.state === previous || (previous === undefined && event.state !== 'failed')) return;
        const restarts = event.restarts ? ` (restart ${event.restarts})` : '';
        add({
          at: event.at,
          level: event.state === 'failed' ? 'error' : 'info',
          nodeId: event.nodeId,
          code: undefined,
          // The row's node column says "flow": the message is the state.
          message: `${event.state}${event.reason ? `: ${event.reason}` : ''}${restarts}`,
          count: 1,
          origin: 'status',
        });
      },
      clear() {
        set({ entries: [], unseen: 0, unseenSevere: false });
      },
      setOpen(open) {
        set(open ? { open, unseen: 0, unseenSevere: false } : { open });
      },
      toggleLevel(level) {
        set({ levels: { ...get().levels, [level]: !get().levels[level] } });
      },
      setNodeFilter(nodeId) {
        set({ nodeId });
      },
    };
  });
}

export const useLogs = createLogStore();
