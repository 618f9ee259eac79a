/**
 * The highest position confirmed with nothing unconfirmed before it. Batches are tracked in the
 * order they were emitted; acks may come in any order; the position only moves over a prefix of
 * fully confirmed batches, so resuming from it never skips an event that was not confirmed.
 */
export class OrderedAcks<P> {
  private readonly queue: { position: P | undefined; done: boolean }[] = [];
  private head = 0;

  constructor(
    private position: P | undefined,
    private readonly onAdvance: (position: P) => void,
  ) {}

  /** The position to resume from. */
  get confirmed(): P | undefined {
    return this.position;
  }

  /** Batches emitted and not yet confirmed (or failed). */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Registers a batch whose last position is `position`; call the answer when it is acked. */
  track(position: P | undefined): (ok: boolean) => void {
    const entry = { position, done: false };
    this.queue.push(entry);
    return (ok) => {
      // A failed batch (the flow stopped first) holds the position back for good: it must be replayed.
      if (!ok) return;
      entry.done = true;
      this.advance();
    };
  }

  private advance(): void {
    let moved = false;
    while (this.head < this.queue.length && this.queue[this.head]!.done) {
      const entry = this.queue[this.head++]!;
      if (entry.position !== undefined) {
        this.position = entry.position;
        moved = true;
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (moved) this.onAdvance(this.position as P);
  }
}
