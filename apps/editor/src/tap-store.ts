import { create } from 'zustand';
import type { EdgeTapEvent } from '@tributary/shared';

/** Samples kept in the panel, newest first. */
export const TAP_CAP = 100;

export interface TapMessage extends Pick<EdgeTapEvent['message'], 'key' | 'value' | 'headers' | 'timestamp'> {
  seq: number;
  /** When the runtime sampled it (epoch ms). */
  at: number;
  /** Messages that passed the edge since the previous sample and were not sent. */
  skipped: number;
}

export type TapStatus = 'off' | 'starting' | 'on' | 'error';

export interface TapState {
  flowId: string | undefined;
  edgeId: string | undefined;
  status: TapStatus;
  error: string | undefined;
  paused: boolean;
  messages: TapMessage[];
  /** Samples received since the tap started, and the messages the runtime skipped between them. */
  received: number;
  skipped: number;
  /** Samples that arrived while paused (not listed). */
  missed: number;
  starting: (flowId: string, edgeId: string) => void;
  started: () => void;
  failed: (message: string) => void;
  stopped: () => void;
  receive: (event: EdgeTapEvent) => void;
  setPaused: (paused: boolean) => void;
  clear: () => void;
}

let seq = 0;

export function createTapStore(cap = TAP_CAP) {
  return create<TapState>()((set, get) => ({
    flowId: undefined,
    edgeId: undefined,
    status: 'off',
    error: undefined,
    paused: false,
    messages: [],
    received: 0,
    skipped: 0,
    missed: 0,
    starting(flowId, edgeId) {
      const same = get().flowId === flowId && get().edgeId === edgeId;
      // Restarting the same edge keeps what was sampled so far; another edge starts empty.
      set({
        flowId,
        edgeId,
        status: 'starting',
        error: undefined,
        paused: false,
        ...(same ? {} : { messages: [], received: 0, skipped: 0, missed: 0 }),
      });
    },
    started() {
      if (get().status === 'starting') set({ status: 'on' });
    },
    failed(message) {
      set({ status: 'error', error: message });
    },
    stopped() {
      set({ status: 'off', paused: false });
    },
    receive(event) {
      const s = get();
      if (s.status === 'off' || s.status === 'error' || event.flowId !== s.flowId || event.edgeId !== s.edgeId) return;
      const counts = { received: s.received + 1, skipped: s.skipped + event.skipped };
      if (s.paused) {
        set({ ...counts, missed: s.missed + 1 });
        return;
      }
      const message: TapMessage = { seq: ++seq, at: event.at, skipped: event.skipped, ...event.message };
      set({ ...counts, status: 'on', messages: [message, ...s.messages.slice(0, cap - 1)] });
    },
    setPaused(paused) {
      set(paused ? { paused } : { paused, missed: 0 });
    },
    clear() {
      set({ messages: [], received: 0, skipped: 0, missed: 0 });
    },
  }));
}

export const useTap = createTapStore();
