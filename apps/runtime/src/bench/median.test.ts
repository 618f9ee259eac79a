import { describe, expect, it } from 'vitest';
import { medianOf } from './median.js';

describe('medianOf', () => {
  it('takes the middle run of an odd count, whatever the order', () => {
    expect(medianOf([70_000, 10, 65_000])).toBe(65_000);
  });

  it('averages the middle two runs of an even count', () => {
    expect(medianOf([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses no runs rather than answer NaN', () => {
    expect(() => medianOf([])).toThrow(/no runs/);
  });
});
