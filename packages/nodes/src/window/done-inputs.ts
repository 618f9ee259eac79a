/**
 * Finality by input position, for windows a replay cannot rebuild from event time alone: session
 * windows (their bounds depend on which messages are there) and processing-time windows (a message
 * read again gets a new arrival time). After a crash the source reads again from its commit, which
 * may be older than inputs already in confirmed results: those are recognised here by their
 * topic/partition/offset and skipped, so no input counts in two results.
 *
 * Per partition: `next` (one past the highest offset seen) and the offsets seen but not done (in an
 * open window, or in a result not confirmed yet). Done = below `next` and not open; offsets the
 * window never saw (filtered out before it) count as done, so the open set stays as small as what
 * the window holds.
 *
 * The same bookkeeping, in memory, recognises inputs read again within one process (a rebalance that
 * keeps the partition, a rewind after a failed message, a checkpoint rewind): an input still held
 * is not counted again (`isHeld`), one already in a confirmed result is skipped (`isDone`).
 */
import type { Position } from '../lib/positions.js';

/** What is written to the node's store. Offsets as text (int64). */
export interface DoneRecord {
  parts: [topic: string, partition: number, next: string, open: [from: string, to: string][]][];
}

interface Part {
  topic: string;
  partition: number;
  next: bigint;
  /** Offset → copies seen and not done (0: open before the restart, not read again yet). */
  open: Map<bigint, number>;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class DoneInputs {
  private readonly parts = new Map<string, Part>();

  constructor(record?: DoneRecord) {
    for (const [topic, partition, next, ranges] of record?.parts ?? []) {
      const open = new Map<bigint, number>();
      for (const [from, to] of ranges) for (let o = BigInt(from); o < BigInt(to); o++) open.set(o, 0);
      this.parts.set(keyOf(topic, partition), { topic, partition, next: BigInt(next), open });
    }
  }

  /** Already in a confirmed result (read again after a restart): skip it. */
  isDone(pos: Position): boolean {
    const part = this.parts.get(keyOf(pos.topic, pos.partition));
    return part !== undefined && pos.offset < part.next && !part.open.has(pos.offset);
  }

  /** In a window or a result not confirmed yet, in this process: a copy read again must wait for it. */
  isHeld(pos: Position): boolean {
    return (this.parts.get(keyOf(pos.topic, pos.partition))?.open.get(pos.offset) ?? 0) > 0;
  }

  /** An input taken into windows: open until `finish`. */
  take(pos: Position): void {
    const key = keyOf(pos.topic, pos.partition);
    let part = this.parts.get(key);
    if (part === undefined) {
      part = { topic: pos.topic, partition: pos.partition, next: pos.offset + 1n, open: new Map() };
      this.parts.set(key, part);
    } else if (pos.offset >= part.next) part.next = pos.offset + 1n;
    part.open.set(pos.offset, (part.open.get(pos.offset) ?? 0) + 1);
  }

  /**
   * Every window the input was in has its result confirmed (or it went into none). True when no
   * copy of it is held any more (it is done).
   */
  finish(pos: Position): boolean {
    const part = this.parts.get(keyOf(pos.topic, pos.partition));
    const copies = part?.open.get(pos.offset);
    // 0: forgotten after a failed result; it stays open until it is taken and confirmed again.
    if (part === undefined || copies === undefined || copies === 0) return false;
    if (copies <= 1) part.open.delete(pos.offset);
    else part.open.set(pos.offset, copies - 1);
    return copies <= 1;
  }

  /**
   * A result holding the input was not delivered: it is open but held nowhere, so a copy read
   * again is taken anew (and after a restart it is not skipped).
   */
  forget(pos: Position): void {
    const part = this.parts.get(keyOf(pos.topic, pos.partition));
    if (part?.open.has(pos.offset)) part.open.set(pos.offset, 0);
  }

  toRecord(): DoneRecord {
    const parts: DoneRecord['parts'] = [];
    for (const part of this.parts.values()) {
      const offsets = [...part.open.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const ranges: [string, string][] = [];
      let from: bigint | null = null;
      let to = 0n;
      for (const o of offsets) {
        if (from !== null && o === to) {
          to = o + 1n;
          continue;
        }
        if (from !== null) ranges.push([String(from), String(to)]);
        from = o;
        to = o + 1n;
      }
      if (from !== null) ranges.push([String(from), String(to)]);
      parts.push([part.topic, part.partition, String(part.next), ranges]);
    }
    return { parts };
  }
}
