import type { FlowStatsSnapshot } from '@tributary/shared';
import { DEFAULT_CAPACITY, SeriesBuffer, type Roles, type Scope } from './series.js';

type SnapshotListener = (snapshot: FlowStatsSnapshot) => void;
const snapshotListeners = new Set<SnapshotListener>();

/** Called by the live socket for every `flow:stats` tick. */
export function publishSnapshot(snapshot: FlowStatsSnapshot): void {
  for (const listener of snapshotListeners) listener(snapshot);
}

export function onSnapshot(listener: SnapshotListener): () => void {
  snapshotListeners.add(listener);
  return () => snapshotListeners.delete(listener);
}

export type FetchHistory = (flowId: string) => Promise<FlowStatsSnapshot[]>;

/** A buffer being filled: live ticks wait in `queued` until the history has gone in first. */
interface Slot {
  buffer: SeriesBuffer;
  queued: FlowStatsSnapshot[] | null;
}

/**
 * The dashboard's chart data, outside React: the runtime's history, then the live ticks, into one
 * buffer for the whole flow and one for the picked node. Charts subscribe and call uPlot's
 * `setData`; nothing here is React state, so a tick re-renders no component.
 *
 * It works while someone listens: the first subscriber fetches the history and follows the live
 * ticks, the last one leaving stops it (a remount starts again from the history).
 */
export class DashboardFeed {
  private readonly listeners = new Set<() => void>();
  private flowSlot: Slot;
  private nodeSlot: Slot | undefined;
  private nodeId: string | undefined;
  private stopListening: (() => void) | undefined;
  /** Bumped when a listener set ends: histories fetched before then are for buffers no one shows. */
  private generation = 0;
  /** Bumped on every change; what `useSyncExternalStore` reads. */
  version = 0;
  error: string | undefined;

  constructor(
    readonly flowId: string,
    private readonly roles: Roles,
    private readonly fetchHistory: FetchHistory,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {
    this.flowSlot = this.idle({ kind: 'flow' });
  }

  get flow(): SeriesBuffer {
    return this.flowSlot.buffer;
  }

  get node(): SeriesBuffer | undefined {
    return this.nodeSlot?.buffer;
  }

  /** Whether the history of the whole flow is still on its way. */
  get loading(): boolean {
    return this.flowSlot.queued !== null;
  }

  /** Picks the node whose charts are shown: its buffer starts again from the runtime's history. */
  setNode(nodeId: string | undefined): void {
    if (this.nodeId === nodeId) return;
    this.nodeId = nodeId;
    const scope: Scope | undefined = nodeId === undefined ? undefined : { kind: 'node', nodeId };
    this.nodeSlot = scope && (this.active ? this.load(scope) : this.idle(scope));
    this.notify();
  }

  append(snapshot: FlowStatsSnapshot): void {
    if (snapshot.flowId !== this.flowId) return;
    for (const slot of this.slots()) {
      if (slot.queued) slot.queued.push(snapshot);
      else slot.buffer.push(snapshot);
    }
    this.notify();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    if (!this.active) this.activate();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.deactivate();
    };
  };

  private get active(): boolean {
    return this.stopListening !== undefined;
  }

  private activate(): void {
    this.stopListening = onSnapshot((snapshot) => this.append(snapshot));
    this.flowSlot = this.load({ kind: 'flow' });
    if (this.nodeId !== undefined) this.nodeSlot = this.load({ kind: 'node', nodeId: this.nodeId });
  }

  private deactivate(): void {
    this.stopListening?.();
    this.stopListening = undefined;
    this.generation++;
  }

  private slots(): Slot[] {
    return this.nodeSlot ? [this.flowSlot, this.nodeSlot] : [this.flowSlot];
  }

  private idle(scope: Scope): Slot {
    return { buffer: new SeriesBuffer(scope, this.roles, this.capacity), queued: [] };
  }

  private load(scope: Scope): Slot {
    const slot = this.idle(scope);
    const generation = this.generation;
    const fill = (history: FlowStatsSnapshot[]) => {
      if (generation !== this.generation) return;
      // `push` skips what it has seen: history and queued ticks may overlap by a second or two.
      for (const snapshot of history) slot.buffer.push(snapshot);
      for (const snapshot of slot.queued ?? []) slot.buffer.push(snapshot);
      slot.queued = null;
      this.notify();
    };
    this.fetchHistory(this.flowId).then(
      (history) => {
        if (scope.kind === 'flow') this.error = undefined;
        fill(history);
      },
      (e: unknown) => {
        // Without history the charts still fill from the live ticks.
        this.error = `History not loaded: ${(e as Error).message}`;
        fill([]);
      },
    );
    return slot;
  }

  private notify(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}
