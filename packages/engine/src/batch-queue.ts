import type { FlowMessage } from '@tributary/shared';

/** Outstanding work of one source emit; the source's ack fires when `pending` falls to zero. */
export interface AckGroup {
  pending: number;
  ok: boolean;
  readonly callback: (ok: boolean) => void;
}

/** Batches are immutable and shared between the edges of a fan-out. */
export interface Batch {
  readonly messages: readonly FlowMessage[];
  readonly ack: AckGroup | null;
  /** performance.now() when the source emitted the messages this batch derives from. */
  readonly t0: number;
}

/**
 * A bounded FIFO of batches for one edge. Capacity counts messages, not batches, so memory stays
 * bounded whatever the batch size; a producer may overshoot by one batch, then waits in `space()`.
 */
export class BatchQueue {
  private items: (Batch | undefined)[] = [];
  private head = 0;
  size = 0;
  private spaceWaiters: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    /** Called when the queue goes from empty to non-empty, to wake its consumer. */
    private readonly onReadable: () => void,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get isFull(): boolean {
    return this.size >= this.capacity;
  }

  push(batch: Batch): void {
    this.items.push(batch);
    this.size += batch.messages.length;
    if (this.items.length - this.head === 1) this.onReadable();
  }

  shift(): Batch | undefined {
    if (this.head >= this.items.length) return undefined;
    const batch = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact rarely: an array with a moving head avoids O(n) shifts.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (batch) {
      this.size -= batch.messages.length;
      if (this.spaceWaiters.length > 0 && this.size < this.capacity) this.releaseWaiters();
    }
    return batch;
  }

  /** Resolves once the queue is below capacity. */
  space(): Promise<void> {
    if (this.size < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** Empties the queue (stop timeout) and returns what was in it. */
  drainAll(): Batch[] {
    const rest = this.items.slice(this.head).filter((b): b is Batch => b !== undefined);
    this.items = [];
    this.head = 0;
    this.size = 0;
    this.releaseWaiters();
    return rest;
  }

  releaseWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }
}
