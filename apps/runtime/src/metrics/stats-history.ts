import type { FlowStatsSnapshot } from '@tributary/shared';

/** A fixed-size ring of snapshots, oldest first when read. */
class Ring {
  private readonly items: (FlowStatsSnapshot | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<FlowStatsSnapshot | undefined>(capacity);
  }

  push(snapshot: FlowStatsSnapshot): void {
    this.items[this.next] = snapshot;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Snapshots taken after `since` (epoch ms), oldest first. */
  since(since: number): FlowStatsSnapshot[] {
    const out: FlowStatsSnapshot[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const item = this.items[(start + i) % this.capacity]!;
      if (item.at > since) out.push(item);
    }
    return out;
  }
}

/**
 * The last `minutes` of 1 s stats snapshots per flow, in memory, for the dashboard's charts
 * (`GET /api/flows/:id/stats?since=`). Kept after a flow stops; dropped when it is deleted.
 */
export class StatsHistory {
  private readonly rings = new Map<string, Ring>();
  private readonly capacity: number;

  constructor(minutes = 16, intervalMs = 1000) {
    this.capacity = Math.ceil((minutes * 60_000) / intervalMs);
  }

  push(snapshot: FlowStatsSnapshot): void {
    let ring = this.rings.get(snapshot.flowId);
    if (!ring) {
      ring = new Ring(this.capacity);
      this.rings.set(snapshot.flowId, ring);
    }
    ring.push(snapshot);
  }

  since(flowId: string, since = 0): FlowStatsSnapshot[] {
    return this.rings.get(flowId)?.since(since) ?? [];
  }

  latest(flowId: string): FlowStatsSnapshot | undefined {
    const all = this.rings.get(flowId)?.since(Number.NEGATIVE_INFINITY);
    return all?.[all.length - 1];
  }

  delete(flowId: string): void {
    this.rings.delete(flowId);
  }
}
