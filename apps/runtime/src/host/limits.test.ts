import { describe, expect, it } from 'vitest';
import type { EdgeTapEvent } from '@tributary/shared';
import { TAP_VALUE_MAX_CHARS, TapSampler, WindowLimiter, toTapValue } from './limits.js';

const event = (value: unknown, skipped = 0): EdgeTapEvent => ({
  flowId: 'f',
  edgeId: 'e',
  at: 0,
  message: { key: null, value, headers: {}, timestamp: 0 },
  skipped,
});

describe('TapSampler', () => {
  it('passes at most 5 samples a second and counts every message it held back', () => {
    let now = 0;
    const sampler = new TapSampler(5, () => now);
    let sent = 0;
    let accounted = 0;
    // 10,000 batches of 10 messages over 2 seconds.
    for (let i = 0; i < 10_000; i++) {
      now = i * 0.2;
      const sample = sampler.offer(event(i, 9));
      if (sample) {
        sent++;
        accounted += 1 + sample.skipped;
      }
    }
    expect(sent).toBeLessThanOrEqual(10);
    expect(sent).toBeGreaterThanOrEqual(9);
    // The next sample carries what was held back since the last one: nothing goes uncounted.
    now = 5000;
    const last = sampler.offer(event('last'))!;
    accounted += 1 + last.skipped;
    expect(accounted).toBe(100_001);
  });

  it('lets a slow edge through message by message', () => {
    let now = 0;
    const sampler = new TapSampler(5, () => now);
    for (let i = 0; i < 5; i++) {
      now = i * 1000;
      expect(sampler.offer(event(i))).toMatchObject({ skipped: 0, message: { value: i } });
    }
  });
});

describe('toTapValue', () => {
  it('makes values safe for JSON and cuts huge ones', () => {
    expect(toTapValue({ n: 10n, m: new Map([['a', 1]]) })).toEqual({ n: '10', m: { a: 1 } });
    expect(toTapValue(new Uint8Array([1, 2, 3]))).toEqual({ bytes: 3, base64: 'AQID' });
    expect(toTapValue(() => 1)).toBeNull();
    const huge = toTapValue('x'.repeat(TAP_VALUE_MAX_CHARS * 2));
    expect(typeof huge).toBe('string');
    expect((huge as string).length).toBeLessThan(TAP_VALUE_MAX_CHARS + 40);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toTapValue(cyclic)).toMatch(/^\[value not shown/);
  });
});

describe('WindowLimiter', () => {
  it('passes n per second and reports how many it refused', () => {
    let now = 0;
    const limiter = new WindowLimiter(3, () => now);
    const passed = Array.from({ length: 10 }, () => limiter.allow()).filter(Boolean).length;
    expect(passed).toBe(3);
    expect(limiter.takeDropped()).toBe(7);
    expect(limiter.takeDropped()).toBe(0);
    now = 1000;
    expect(limiter.allow()).toBe(true);
  });
});
