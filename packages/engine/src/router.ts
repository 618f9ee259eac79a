import { ERROR_PORT, type AckCallback, type EmitResult, type FlowMessage, type Hold } from '@tributary/shared';
import type { AckGroup, Batch } from './batch-queue.js';
import { describeError, fromHold, type HoldRef, type NodeOutput } from './node-output.js';
import type { RunEdge, RunNode } from './run-graph.js';

/**
 * The hot path: pushes batches onto edges, counts what is in flight, and keeps the ack groups
 * (one reference per delivery, per processor holding a batch, per hold). A promise comes back only
 * when a queue is full; nothing else makes a producer wait.
 */
export class Router {
  /** Batches queued or being processed; at zero the flow may be idle. */
  inflight = 0;
  /** Set at shutdown: nothing is delivered any more; what would have been is failed (ok: false). */
  closing = false;
  /** Holds not yet spent, so that shutdown fails them rather than leaving their sources waiting. */
  readonly openHolds = new Set<HoldRef>();

  constructor(
    private readonly onIdle: () => void,
    private readonly onAckThrew: (error: unknown) => void,
  ) {}

  emitFromSource(node: RunNode, messages: readonly FlowMessage[], onAck?: AckCallback): EmitResult {
    if (this.closing) throw new Error('flow is stopping; the source must stop emitting');
    const count = messages.length;
    const counters = node.counters;
    counters.in += count;
    counters.out += count;
    const ack: AckGroup | null = onAck ? { pending: 1, ok: true, callback: onAck } : null;
    const edges = node.outEdges.get(node.defaultPort);
    let wait: EmitResult;
    if (count > 0 && edges !== undefined && edges.length > 0) {
      if (ack !== null) ack.pending += edges.length;
      wait = this.pushAll(edges, { messages, ack, t0: performance.now() });
    }
    this.release(ack);
    return wait;
  }

  /** A source's unreadable input, routed to its error port as a one-message batch. */
  emitError(node: RunNode, error: unknown, message: FlowMessage | undefined, onAck?: AckCallback): EmitResult {
    if (this.closing) throw new Error('flow is stopping; the source must stop emitting');
    const output = node.output;
    const ack: AckGroup | null = onAck ? { pending: 1, ok: true, callback: onAck } : null;
    output.begin(ack);
    const { code, text } = describeError(error);
    const failed: FlowMessage = message ?? { key: null, value: null, headers: {}, timestamp: Date.now(), meta: {} };
    output.error(Object.assign(new Error(text), { code: code === 'E_HANDLER_THREW' ? 'E_SOURCE_READ' : code }), failed);
    const wait = this.deliver(node, output, ack, performance.now());
    this.release(ack);
    return wait;
  }

  /** Many-to-one: `messages` derive from the held inputs, which are confirmed when they are. */
  emitFrom(
    node: RunNode,
    messages: readonly FlowMessage[],
    from: readonly Hold[],
    port?: string,
    onAck?: AckCallback,
  ): EmitResult {
    const groups = this.spend(from);
    if (groups === null) {
      onAck?.(false);
      return undefined; // revoked at shutdown: the inputs were failed already
    }
    const ack: AckGroup | null =
      groups.length === 0 && onAck === undefined
        ? null
        : {
            pending: 1,
            ok: true,
            callback: (ok) => {
              onAck?.(ok);
              for (const group of groups) {
                if (!ok) group.ok = false;
                this.release(group);
              }
            },
          };
    let wait: EmitResult;
    const edges = node.outEdges.get(port ?? node.defaultPort);
    if (port === ERROR_PORT) node.counters.errors += messages.length;
    else node.counters.out += messages.length;
    if (this.closing) {
      if (ack !== null) ack.ok = false; // nowhere to deliver while stopping: the inputs are replayed after a restart
    } else if (messages.length > 0 && edges !== undefined && edges.length > 0) {
      if (ack !== null) ack.pending += edges.length;
      wait = this.pushAll(edges, { messages, ack, t0: performance.now() });
    }
    this.release(ack);
    return wait;
  }

  releaseHolds(holds: readonly Hold[], ok: boolean): void {
    const groups = this.spend(holds);
    if (groups === null) return;
    for (const group of groups) {
      if (!ok) group.ok = false;
      this.release(group);
    }
  }

  /**
   * Marks holds used and answers their ack groups; null when any was revoked by shutdown (the
   * node is late, not wrong). A hold used twice is a bug in the node: refused with an error.
   */
  private spend(holds: readonly Hold[]): AckGroup[] | null {
    const refs = holds.map(fromHold);
    if (refs.some((ref) => ref.revoked)) {
      for (const ref of refs) if (!ref.revoked && !ref.spent) this.revoke(ref);
      return null;
    }
    if (refs.some((ref) => ref.spent) || new Set(refs).size !== refs.length) {
      throw new Error('a hold was passed to emitFrom or release twice');
    }
    const groups: AckGroup[] = [];
    for (const ref of refs) {
      ref.spent = true;
      this.openHolds.delete(ref);
      if (ref.group !== null) groups.push(ref.group);
    }
    return groups;
  }

  private revoke(ref: HoldRef): void {
    ref.spent = true;
    ref.revoked = true;
    this.openHolds.delete(ref);
    if (ref.group !== null) {
      ref.group.ok = false;
      this.release(ref.group);
    }
  }

  /** Shutdown: every hold still open fails, so its source hears `onAck(false)` (and replays) rather than nothing. */
  revokeHolds(): void {
    for (const ref of [...this.openHolds]) this.revoke(ref);
  }

  /** Pushes one batch to every edge; returns a promise only when one of them is full. */
  pushAll(edges: RunEdge[], batch: Batch): Promise<void> | undefined {
    let full: RunEdge[] | undefined;
    const count = batch.messages.length;
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i]!;
      edge.total += count;
      this.inflight++;
      edge.queue.push(batch);
      if (edge.taps.size > 0) edge.taps.offer(batch);
      if (edge.queue.isFull) (full ??= []).push(edge);
    }
    if (full === undefined) return undefined;
    if (full.length === 1) return full[0]!.queue.space();
    return Promise.all(full.map((e) => e.queue.space())).then(() => undefined);
  }

  /** Routes everything a processor emitted; the caller still holds (and later releases) its ack reference. */
  deliver(node: RunNode, output: NodeOutput, ack: AckGroup | null, t0: number): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    const route = (port: string, messages: FlowMessage[]) => {
      const edges = node.outEdges.get(port);
      if (edges === undefined || edges.length === 0) return;
      if (ack !== null) ack.pending += edges.length;
      const wait = this.pushAll(edges, { messages, ack, t0 });
      if (wait !== undefined) (waits ??= []).push(wait);
    };
    if (output.main !== null) {
      node.counters.out += output.main.length;
      route(node.defaultPort, output.main);
    }
    if (output.other !== null) {
      for (const [port, messages] of output.other) {
        node.counters.out += messages.length;
        route(port, messages);
      }
    }
    if (output.errors !== null) {
      node.counters.errors += output.errorCount;
      route(ERROR_PORT, output.errors);
    }
    if (output.dropped > 0) node.counters.dropped += output.dropped;
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** Drops one reference on an ack group; the last one tells the source. */
  release(ack: AckGroup | null): void {
    if (ack === null) return;
    if (--ack.pending === 0) {
      try {
        ack.callback(ack.ok);
      } catch (error) {
        this.onAckThrew(error);
      }
    }
  }

  /** A processor finished a batch it took from a queue. */
  done(): void {
    if (--this.inflight === 0) this.onIdle();
  }

  /** The next batch for a processor, round-robin across its inputs (order per edge is kept). */
  take(node: RunNode): RunEdge | undefined {
    const edges = node.inEdges;
    const n = edges.length;
    for (let i = 0; i < n; i++) {
      const index = (node.rr + i) % n;
      const edge = edges[index]!;
      if (edge.queue.length > 0) {
        node.rr = index + 1;
        return edge;
      }
    }
    return undefined;
  }

  /** Drops what is still queued after a drain timeout; those messages are not acked (ok: false). */
  abandon(edges: Iterable<RunEdge>): number {
    let abandoned = 0;
    for (const edge of edges) {
      for (const batch of edge.queue.drainAll()) {
        abandoned += batch.messages.length;
        this.inflight--;
        if (batch.ack) {
          batch.ack.ok = false;
          this.release(batch.ack);
        }
      }
    }
    return abandoned;
  }
}
