import { describe, expect, it } from 'vitest';
import { TAP_VALUE_MAX_CHARS, WindowLimiter, toTapValue } from './limits.js';

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
