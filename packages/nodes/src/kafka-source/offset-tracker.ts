/**
 * Which offset a partition may commit under at-least-once: everything below it has been handled.
 * Node-only helper of the kafka-source (pure: no kafkajs), tested on its own.
 *
 * The source hands each emitted group of records (a batch, or one undecodable record) to `track`,
 * and calls the returned function when the flow confirms it. Confirmations may come in any order;
 * `committable()` is the lowest offset still unconfirmed, or the end of what was read when
 * everything is confirmed. A group the flow gave up on (`ok: false`, the flow stopped first) is
 * never confirmed, so the commit never passes it and the records are read again next time.
 */
export class PartitionOffsets {
  /** Offsets are int64: bigint keeps them exact beyond 2^53. */
  private readonly pending = new Map<number, bigint>();
  private nextId = 0;
  /** One past the highest offset read and handed on; null before the first batch. */
  private end: bigint | null = null;
  /** Where this member started reading: committing it again would be a no-op. */
  private start: bigint | null = null;
  /** Groups the flow gave up on (they hold the commit back until the partition is read again). */
  failed = 0;
  /** The last offset committed for this partition by this member, if any. */
  committed: bigint | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Stat key, e.g. `orders-0`. */
  get key(): string {
    return `${this.topic}-${this.partition}`;
  }

  /**
   * Records that the group whose lowest offset is `start` was handed on, and that everything
   * below `end` has now been read. Returns the confirmation: true when the commit position moved.
   *
   * @example
   * const done = offsets.track(10n, 20n); // offsets 10..19 emitted as one batch
   * offsets.committable(); // 10n
   * done(true);
   * offsets.committable(); // 20n
   */
  track(start: bigint, end: bigint): (ok: boolean) => boolean {
    const id = this.nextId++;
    this.pending.set(id, start);
    if (this.start === null || start < this.start) this.start = start;
    if (this.end === null || end > this.end) this.end = end;
    let settled = false;
    return (ok) => {
      if (settled) return false;
      settled = true;
      if (!ok) {
        // Never confirmed: it stays pending, and the commit never passes it.
        this.failed++;
        return false;
      }
      const before = this.committable();
      this.pending.delete(id);
      return this.committable() !== before;
    };
  }

  /**
   * A seek: reading goes on from `offset`, so the commit may reach no further than what is read and
   * confirmed from there. Groups handed on before stay pending (they are still in the flow: the
   * commit must not pass them either). Returns the read position before the seek (one past the
   * highest offset handed on; null when nothing was).
   *
   * @example
   * offsets.track(0n, 50n)(true); // 0..49 confirmed: committable 50
   * offsets.seek(20n);            // returns 50n; committable 20 until 20.. are read and confirmed again
   */
  seek(offset: bigint): bigint | null {
    const before = this.end;
    this.end = offset;
    return before;
  }

  /** Moves the read position without a group to confirm (records filtered out before emitting). */
  skipTo(end: bigint): void {
    if (this.end === null || end > this.end) this.end = end;
  }

  /** The offset to commit (the next one to read), or null when nothing was read yet. */
  committable(): bigint | null {
    if (this.end === null) return null;
    let lowest = this.end;
    for (const start of this.pending.values()) if (start < lowest) lowest = start;
    return lowest;
  }

  /** The offset to commit if it is ahead of the last commit (or, before any, of the start), else null. */
  toCommit(): bigint | null {
    const position = this.committable();
    if (position === null) return null;
    const floor = this.committed ?? this.start;
    if (floor !== null && position <= floor) return null;
    return position;
  }

  /** Groups handed on and not yet confirmed. */
  get unconfirmed(): number {
    return this.pending.size;
  }
}
