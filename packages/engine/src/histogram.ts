/**
 * A log-bucketed latency histogram: 8 buckets per power of two from 1 µs (≈ 9 % precision), which is
 * plenty for p50/p99 on a dashboard and costs one Math.log2 per recorded batch.
 */
const SUB_BUCKETS = 8;
const OCTAVES = 36; // 1 µs · 2^36 ≈ 19 h
export const BUCKET_COUNT = SUB_BUCKETS * OCTAVES + 1;

export function bucketOf(micros: number): number {
  if (!(micros >= 1)) return 0;
  const index = Math.floor(Math.log2(micros) * SUB_BUCKETS) + 1;
  return index < BUCKET_COUNT ? index : BUCKET_COUNT - 1;
}

/** Upper bound of a bucket in microseconds (bucket 0 holds everything under 1 µs). */
export function bucketUpperMicros(bucket: number): number {
  return bucket === 0 ? 1 : Math.pow(2, bucket / SUB_BUCKETS);
}

export class Histogram {
  readonly counts = new Float64Array(BUCKET_COUNT);
  total = 0;
  maxMicros = 0;

  record(micros: number, weight = 1): void {
    const counts = this.counts;
    counts[bucketOf(micros)]! += weight;
    this.total += weight;
    if (micros > this.maxMicros) this.maxMicros = micros;
  }

  add(other: Histogram): void {
    const counts = this.counts;
    const theirs = other.counts;
    for (let i = 0; i < BUCKET_COUNT; i++) counts[i]! += theirs[i]!;
    this.total += other.total;
    if (other.maxMicros > this.maxMicros) this.maxMicros = other.maxMicros;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMicros = 0;
  }

  /** The value at quantile q (0..1) in microseconds; 0 when empty. Never above the recorded max. */
  quantileMicros(q: number): number {
    if (this.total === 0) return 0;
    const target = q * this.total;
    let seen = 0;
    const counts = this.counts;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += counts[i]!;
      if (seen >= target && counts[i]! > 0) return Math.min(bucketUpperMicros(i), this.maxMicros);
    }
    return this.maxMicros;
  }
}
