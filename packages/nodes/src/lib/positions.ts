/**
 * Node-only seams between a resumable source and the nodes of its flow, without a change to the
 * node context: a flow's nodes run in one worker thread, so a module-level registry keyed by
 * (flow id, node id) reaches them all.
 *
 * - A **position owner** (a sink that stores source offsets in its own transaction) tells a
 *   kafka-source where to resume, on start and on every partition assignment.
 * - A **source control** lets another node (a `checkpoint`) pause, resume or seek a kafka-source.
 * - **Assignment listeners** (the cache) hear every partition assignment of the flow's kafka-sources
 *   before the partitions are read: they claim a new epoch per partition, fencing the member
 *   that had it.
 */
import { randomUUID } from 'node:crypto';
import type { FlowMessage, NodeContext } from '@tributary/shared';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Where a message was read: a Kafka (or channel) topic, partition and offset. */
export interface Position extends TopicPartition {
  readonly offset: bigint;
}

/** A message's position from its `meta` (topic/partition/offset), or null when it has none. */
export function messagePosition(msg: FlowMessage): Position | null {
  const { topic, partition, offset } = msg.meta;
  if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'string') return null;
  try {
    return { topic, partition, offset: BigInt(offset) };
  } catch {
    return null;
  }
}

/** Owns the positions of the sources feeding it. */
export interface PositionOwner {
  /**
   * The next offset to read for each partition it knows; a partition missing from the map resumes
   * from the consumer group's committed offset. Throwing fails the source (no silent fallback).
   */
  resumeFrom(topic: string, partitions: readonly number[]): Promise<ReadonlyMap<number, bigint>>;
}

/** What a running kafka-source lets other nodes of its flow do. */
export interface SourceControl {
  /** Stops fetching these partitions (a partition not owned is ignored). */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /**
   * The next fetch of the partition reads from `offset` (what was read from there on is read, and
   * confirmed, again). Returns the read position before the seek: one past the highest offset
   * handed on (null: nothing yet), so a node can tell messages fetched before the seek, still on
   * their way, from those read again. Throws when the partition is not owned by this member.
   */
  seek(position: TopicPartition & { readonly offset: bigint }): bigint | null;
  /** The partitions owned now. */
  assigned(): TopicPartition[];
}

interface Slot<T> {
  value: T | undefined;
  waiters: ((value: T) => void)[];
}

class Registry<T> {
  private readonly slots = new Map<string, Slot<T>>();

  private slot(flowId: string, nodeId: string): Slot<T> {
    const key = `${flowId}\u0000${nodeId}`;
    let slot = this.slots.get(key);
    if (slot === undefined) this.slots.set(key, (slot = { value: undefined, waiters: [] }));
    return slot;
  }

  provide(flowId: string, nodeId: string, value: T): () => void {
    const slot = this.slot(flowId, nodeId);
    slot.value = value;
    for (const wake of slot.waiters.splice(0)) wake(value);
    return () => {
      if (slot.value === value) slot.value = undefined;
    };
  }

  /** Every value provided in a flow now, by node id. */
  inFlow(flowId: string): [nodeId: string, value: T][] {
    const found: [string, T][] = [];
    for (const [key, slot] of this.slots) {
      const at = key.indexOf('\u0000');
      if (slot.value !== undefined && key.slice(0, at) === flowId) found.push([key.slice(at + 1), slot.value]);
    }
    return found;
  }

  /** The value once provided; rejects after `timeoutMs` naming what is missing. */
  get(flowId: string, nodeId: string, what: string, timeoutMs: number): Promise<T> {
    const slot = this.slot(flowId, nodeId);
    if (slot.value !== undefined) return Promise.resolve(slot.value);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.waiters.splice(slot.waiters.indexOf(wake), 1);
        reject(new Error(`node "${nodeId}" of flow "${flowId}" is not a running ${what} (waited ${timeoutMs} ms)`));
      }, timeoutMs);
      timer.unref();
      const wake = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      slot.waiters.push(wake);
    });
  }
}

const owners = new Registry<PositionOwner>();
const controls = new Registry<SourceControl>();

/**
 * Registers this node as the position owner sources may name in `positionsFrom`. Returns the
 * unregister function (call it in `close`).
 *
 * @example
 * const unregister = providePositions(ctx, { resumeFrom: async (topic, partitions) => new Map() });
 */
export function providePositions(ctx: NodeContext, owner: PositionOwner): () => void {
  return owners.provide(ctx.flowId, ctx.nodeId, owner);
}

/** The position owner registered under `nodeId` in this flow (waits for it up to `timeoutMs`). */
export function positionOwnerOf(ctx: NodeContext, nodeId: string, timeoutMs = 10_000): Promise<PositionOwner> {
  return owners.get(ctx.flowId, nodeId, 'position owner', timeoutMs);
}

/** Registers a running source's control under its node id. Returns the unregister function. */
export function provideSourceControl(ctx: NodeContext, control: SourceControl): () => void {
  return controls.provide(ctx.flowId, ctx.nodeId, control);
}

/**
 * The control of source `nodeId` in this flow (waits for it to start up to `timeoutMs`).
 *
 * @example
 * const control = await sourceControlOf(ctx, 'orders');
 * control.seek({ topic: 'orders', partition: 0, offset: 100n });
 */
export function sourceControlOf(ctx: NodeContext, nodeId: string, timeoutMs = 10_000): Promise<SourceControl> {
  return controls.get(ctx.flowId, nodeId, 'source with a control', timeoutMs);
}

/** The running sources of this flow that have a control, by node id (a checkpoint finds the one reading a partition). */
export function sourceControlsIn(ctx: NodeContext): [nodeId: string, control: SourceControl][] {
  return controls.inFlow(ctx.flowId);
}

/** Hears the partition assignments of the flow's kafka-sources (a writer that fences stale members). */
export interface AssignmentListener {
  /**
   * The whole assignment of consumer group `group` after a rebalance. `token` is the same for
   * every listener of one assignment, and new for the next; `generation` is the group's (Kafka's
   * generation id: higher for every rebalance of the group), null where the client hides it. The
   * new partitions are not read before this resolves; throwing fails the source.
   */
  assigned(
    group: string,
    partitions: readonly TopicPartition[],
    token: string,
    generation: number | null,
  ): Promise<void>;
}

const listeners = new Map<string, Set<AssignmentListener>>();

/** Registers `listener` for the assignments of every kafka-source of this flow; returns the unregister function. */
export function listenToAssignments(ctx: NodeContext, listener: AssignmentListener): () => void {
  let set = listeners.get(ctx.flowId);
  if (set === undefined) listeners.set(ctx.flowId, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0 && listeners.get(ctx.flowId) === set) listeners.delete(ctx.flowId);
  };
}

/**
 * Tells the flow's assignment listeners about a new assignment (kafka-source, before reading it).
 * Answers its token, which the source puts in the meta (`assignment`) of every message it reads
 * under this assignment; null when nobody listens (and the meta stays as it was).
 */
export async function announceAssignment(
  ctx: NodeContext,
  group: string,
  partitions: readonly TopicPartition[],
  generation: number | null,
): Promise<string | null> {
  const set = listeners.get(ctx.flowId);
  if (set === undefined || set.size === 0) return null;
  const token = randomUUID();
  await Promise.all([...set].map((listener) => listener.assigned(group, partitions, token, generation)));
  return token;
}
