/**
 * Reprocess by rewinding the source (no copy of the messages is kept): per partition, where the
 * messages passed after the dependency's last heartbeat begin; after the seek, which arriving
 * messages were fetched before it (dropped: they come again) and which are read again (marked).
 * Pure bookkeeping, tested through the checkpoint node.
 */
import type { Position } from '../lib/positions.js';

export { messagePosition as positionOf, type Position } from '../lib/positions.js';

/** One partition to rewind at recovery. */
export interface RewindStep {
  readonly topic: string;
  readonly partition: number;
  /** The first message passed after the last heartbeat: reading starts here again. */
  readonly from: bigint;
  /** Messages below this were handled once: read again, they are marked reprocessed. */
  readonly upTo: bigint;
  /** Messages passed in [from, upTo): how many come again. */
  readonly count: number;
}

interface Mark {
  readonly time: number;
  readonly offset: bigint;
  /** Messages of the partition passed before this one. */
  readonly before: number;
}

interface Rewinding {
  readonly upTo: bigint;
  /**
   * Until the first message read again arrives, later offsets up to `readUpTo` are stale (the queue
   * is FIFO, so they all come before it). A read-again message is recognised by its offset going
   * back; if retention deleted the log past the pause during the downtime, it may not: accepted.
   */
  awaiting: boolean;
  lastStale: bigint;
  readonly readUpTo: bigint | null;
}

class Trail {
  /**
   * Prefix maxima of event time, in offset order: the first message after a heartbeat at time M
   * is the first mark later than M, so older ones need not be kept, and marks at or before the
   * heartbeat are trimmed. Memory: one mark per message that set a new highest time since then.
   */
  marks: Mark[] = [];
  head = 0;
  maxTime = -Infinity;
  passed = 0;
  lastPassed: bigint | null = null;
  seen: bigint | null = null;
  rewinding: Rewinding | null = null;
}

const NO_POSITION = '';

export class RewindTracker {
  private readonly trails = new Map<string, Trail>();

  private trail(pos: { readonly topic: string; readonly partition: number } | null): Trail {
    const key = pos === null ? NO_POSITION : `${pos.topic}\u0000${pos.partition}`;
    let trail = this.trails.get(key);
    if (trail === undefined) this.trails.set(key, (trail = new Trail()));
    return trail;
  }

  /**
   * Every arriving message, first: `stale` (fetched before a seek, read again later: drop it),
   * `again` (read again after a seek: mark it reprocessed) or `new`.
   */
  classify(pos: Position | null): 'stale' | 'again' | 'new' {
    if (pos === null) return 'new';
    const trail = this.trail(pos);
    const r = trail.rewinding;
    if (r !== null && r.awaiting) {
      if (pos.offset > r.lastStale && (r.readUpTo === null || pos.offset < r.readUpTo)) {
        r.lastStale = pos.offset;
        return 'stale';
      }
      r.awaiting = false;
    }
    if (trail.seen === null || pos.offset > trail.seen) trail.seen = pos.offset;
    if (r === null) return 'new';
    if (pos.offset < r.upTo) return 'again';
    trail.rewinding = null;
    return 'new';
  }

  /** A message passed on at event time `time`. */
  passed(pos: Position | null, time: number): void {
    const trail = this.trail(pos);
    const offset = pos?.offset ?? 0n;
    trail.passed++;
    trail.lastPassed = offset;
    if (time > trail.maxTime) {
      trail.maxTime = time;
      trail.marks.push({ time, offset, before: trail.passed - 1 });
    }
  }

  /** Messages passed at or before the heartbeat `marker` saw a live dependency: forgotten. */
  trim(marker: number): void {
    for (const trail of this.trails.values()) {
      const marks = trail.marks;
      while (trail.head < marks.length && marks[trail.head]!.time <= marker) trail.head++;
      if (trail.head > 1024 && trail.head * 2 > marks.length) {
        trail.marks = marks.slice(trail.head);
        trail.head = 0;
      }
    }
  }

  /**
   * At a pause (after `trim`): each partition with messages passed after the last heartbeat, from
   * the first of them. `paused` is the message that paused (not passed). `positionless`: messages
   * without a position passed after the heartbeat (they cannot be read again).
   */
  plan(paused: Position | null): { steps: RewindStep[]; positionless: number } {
    const steps: RewindStep[] = [];
    let positionless = 0;
    for (const [key, trail] of this.trails) {
      const first = trail.marks[trail.head];
      if (first === undefined) continue;
      const count = trail.passed - first.before;
      if (key === NO_POSITION) {
        positionless = count;
        continue;
      }
      const at = key.indexOf('\u0000');
      const topic = key.slice(0, at);
      const partition = Number(key.slice(at + 1));
      const here = paused !== null && paused.topic === topic && paused.partition === partition;
      const upTo = here ? paused.offset : trail.lastPassed! + 1n;
      if (first.offset < upTo) steps.push({ topic, partition, from: first.offset, upTo, count });
    }
    return { steps, positionless };
  }

  /** The source was rewound for `step`; `readUpTo` is what it had handed on before (from the seek). */
  rewound(step: RewindStep, readUpTo: bigint | null): void {
    const trail = this.trail(step);
    trail.rewinding = { upTo: step.upTo, awaiting: true, lastStale: trail.seen ?? step.upTo, readUpTo };
    // What is read again is passed again: its marks come back with it.
    trail.marks = [];
    trail.head = 0;
    trail.maxTime = -Infinity;
  }
}
