import { describe, expect, it } from 'vitest';
import { Histogram, bucketOf, bucketUpperMicros } from './histogram.js';

describe('Histogram', () => {
  it('reports quantiles within the bucket precision', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.record(i * 10); // 10 µs .. 10 ms, uniform
    const p50 = h.quantileMicros(0.5);
    const p99 = h.quantileMicros(0.99);
    expect(p50).toBeGreaterThan(5000 * 0.9);
    expect(p50).toBeLessThan(5000 * 1.1);
    expect(p99).toBeGreaterThan(9900 * 0.9);
    expect(p99).toBeLessThanOrEqual(10000);
    expect(h.quantileMicros(1)).toBe(10000);
  });

  it('weights samples, merges, and resets', () => {
    const a = new Histogram();
    a.record(100, 99);
    const b = new Histogram();
    b.record(100_000, 1);
    a.add(b);
    expect(a.total).toBe(100);
    expect(a.quantileMicros(0.5)).toBeLessThan(110);
    expect(a.quantileMicros(1)).toBe(100_000);
    a.reset();
    expect(a.quantileMicros(0.5)).toBe(0);
  });

  it('puts sub-microsecond and huge values in the edge buckets', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.5)).toBe(0);
    expect(bucketOf(Number.MAX_SAFE_INTEGER)).toBeGreaterThan(bucketOf(1e9));
    expect(bucketUpperMicros(bucketOf(1000))).toBeGreaterThanOrEqual(1000);
  });
});
