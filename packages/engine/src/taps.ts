import type { Batch } from './batch-queue.js';
import type { EdgeTapEvent } from '@tributary/shared';

/** Default sampling of a tap: ten messages a second per edge is enough for any viewer, free for the flow. */
export const DEFAULT_TAP_PER_SECOND = 10;

/**
 * The one tap sampler: lets at most `perSecond` samples through, whatever the flow's rate, and
 * counts the messages in between so the next sample can say how many it skipped.
 */
export class TapSampler {
  private last = -Infinity;
  private skipped = 0;
  private readonly gapMs: number;

  constructor(
    perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.gapMs = 1000 / perSecond;
  }

  /** `count` messages pass: answers how many were skipped before this sample, or null (no sample now). */
  offer(count: number): number | null {
    const now = this.now();
    if (now - this.last < this.gapMs) {
      this.skipped += count;
      return null;
    }
    this.last = now;
    const skipped = this.skipped + count - 1;
    this.skipped = 0;
    return skipped;
  }
}

interface Tap {
  readonly sampler: TapSampler;
  readonly listener: (event: EdgeTapEvent) => void;
}

/** The taps of one edge. Only touched on the hot path when someone is listening. */
export class EdgeTaps {
  private readonly taps = new Set<Tap>();
  /** A plain field, read on every push: the hot path pays one load when nobody listens. */
  size = 0;

  constructor(
    private readonly flowId: string,
    private readonly edgeId: string,
  ) {}

  add(listener: (event: EdgeTapEvent) => void, perSecond = DEFAULT_TAP_PER_SECOND): () => void {
    const tap: Tap = { sampler: new TapSampler(perSecond), listener };
    this.taps.add(tap);
    this.size = this.taps.size;
    return () => {
      this.taps.delete(tap);
      this.size = this.taps.size;
    };
  }

  offer(batch: Batch): void {
    const first = batch.messages[0];
    if (first === undefined) return;
    for (const tap of this.taps) {
      const skipped = tap.sampler.offer(batch.messages.length);
      if (skipped === null) continue;
      tap.listener({
        flowId: this.flowId,
        edgeId: this.edgeId,
        at: Date.now(),
        message: { key: first.key, value: first.value, headers: { ...first.headers }, timestamp: first.timestamp },
        skipped,
      });
    }
  }
}
