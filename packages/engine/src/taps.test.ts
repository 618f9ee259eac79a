import { describe, expect, it } from 'vitest';
import { TapSampler } from './taps.js';

describe('TapSampler', () => {
  it('passes at most 5 samples a second and counts every message it held back', () => {
    let now = 0;
    const sampler = new TapSampler(5, () => now);
    let sent = 0;
    let accounted = 0;
    // 10,000 batches of 10 messages over 2 seconds.
    for (let i = 0; i < 10_000; i++) {
      now = i * 0.2;
      const skipped = sampler.offer(10);
      if (skipped !== null) {
        sent++;
        accounted += 1 + skipped;
      }
    }
    expect(sent).toBeLessThanOrEqual(10);
    expect(sent).toBeGreaterThanOrEqual(9);
    // The next sample carries what was held back since the last one: nothing goes uncounted.
    now = 5000;
    accounted += 1 + sampler.offer(1)!;
    expect(accounted).toBe(100_001);
  });

  it('lets a slow edge through message by message', () => {
    let now = 0;
    const sampler = new TapSampler(5, () => now);
    for (let i = 0; i < 5; i++) {
      now = i * 1000;
      expect(sampler.offer(1)).toBe(0);
    }
  });
});
