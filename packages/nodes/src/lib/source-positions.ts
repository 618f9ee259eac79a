/**
 * Source positions of messages, for writers that skip redeliveries (the cache's `update`, the
 * PostgreSQL sink's offset table). A position is a stream (Kafka: `topic/partition`) and an offset
 * that only grows along the stream; a message redelivered after a crash has a position at or below
 * the last one applied, and is skipped.
 */
import type { FlowMessage } from '@tributary/shared';

export interface Position {
  /** `topic/partition` for Kafka messages. */
  stream: string;
  offset: bigint;
}

/** The last applied offset per stream, as stored with a value (decimal strings: offsets may exceed 2^53). */
export type AppliedPositions = Record<string, string>;

/**
 * The position of a message: Kafka's topic, partition and offset (kept by every node that derives
 * messages from it); null for messages from sources without one, which are always applied.
 */
export function positionOf(msg: FlowMessage): Position | null {
  const { topic, partition, offset } = msg.meta;
  if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'string') return null;
  try {
    return { stream: `${topic}/${partition}`, offset: BigInt(offset) };
  } catch {
    return null;
  }
}

/** Whether `position` was applied already (at or below the stream's recorded offset). */
export function alreadyApplied(applied: AppliedPositions | undefined, position: Position | null): boolean {
  if (position === null || applied === undefined) return false;
  const last = applied[position.stream];
  return last !== undefined && BigInt(last) >= position.offset;
}

/** `applied` with `position` recorded (a new object; the input is left alone). */
export function recordPosition(applied: AppliedPositions | undefined, position: Position | null): AppliedPositions {
  if (position === null) return applied ?? {};
  return { ...applied, [position.stream]: position.offset.toString() };
}
