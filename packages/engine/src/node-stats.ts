import type { LatencySummary, NodeRunState, NodeStats } from '@tributary/shared';
import { BUCKET_COUNT, Histogram, bucketUpperMicros } from './histogram.js';
import { RateWindow } from './rate-window.js';

const SLOT_MS = 5_000;
const SLOTS = 12; // 12 × 5 s: percentiles cover about the last minute

/**
 * Counters of one node. The engine bumps the plain number fields on the hot path (once per batch);
 * everything costly (rates, percentiles) happens in `snapshot`, about once a second.
 */
export class NodeCounters {
  in = 0;
  out = 0;
  errors = 0;
  dropped = 0;
  state: NodeRunState = 'starting';
  readonly custom: Record<string, number | Record<string, number>> = {};

  private current = new Histogram();
  private readonly ring: Histogram[] = [];
  private readonly windowSum = new Histogram();
  private slotStart = performance.now();

  private readonly rates = new RateWindow();

  /** Records `count` messages that are `ageMs` old as this node finishes with them. */
  recordLatency(ageMs: number, count: number): void {
    this.current.record(ageMs * 1000, count);
  }

  snapshot(isSource: boolean, queues: NodeStats['queues']): NodeStats {
    const now = performance.now();
    this.rotate(now);
    const count = isSource ? this.out : this.in;
    const rate1s = this.rates.rate(count, now, 1000);
    const rate1m = this.rates.rate(count, now, 60_000);
    return {
      state: this.state,
      in: this.in,
      out: this.out,
      errors: this.errors,
      dropped: this.dropped,
      rate1s,
      rate1m,
      latencyMs: this.latency(),
      queues,
      custom: { ...this.custom },
    };
  }

  private rotate(now: number): void {
    if (now - this.slotStart < SLOT_MS) return;
    this.ring.push(this.current);
    this.windowSum.add(this.current);
    if (this.ring.length > SLOTS) {
      const oldest = this.ring.shift()!;
      subtract(this.windowSum, oldest);
      this.windowSum.maxMicros = Math.max(0, ...this.ring.map((h) => h.maxMicros));
    }
    this.current = new Histogram();
    this.slotStart = now;
  }

  private latency(): LatencySummary {
    const a = this.windowSum;
    const b = this.current;
    const total = a.total + b.total;
    const max = Math.max(a.maxMicros, b.maxMicros);
    const at = (q: number): number => {
      if (total === 0) return 0;
      const target = q * total;
      let seen = 0;
      for (let i = 0; i < BUCKET_COUNT; i++) {
        const c = a.counts[i]! + b.counts[i]!;
        seen += c;
        if (c > 0 && seen >= target) return Math.min(bucketUpperMicros(i), max);
      }
      return max;
    };
    const ms = (micros: number) => round(micros / 1000, 3);
    return { p50: ms(at(0.5)), p95: ms(at(0.95)), p99: ms(at(0.99)), max: ms(max) };
  }
}

function subtract(target: Histogram, other: Histogram): void {
  for (let i = 0; i < BUCKET_COUNT; i++) target.counts[i]! -= other.counts[i]!;
  target.total -= other.total;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
