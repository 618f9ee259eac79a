import { describe, expect, it } from 'vitest';
import { compact, ms } from './format.js';

describe('terminal number formatting', () => {
  it('shortens large counts and keeps small ones exact', () => {
    expect(compact(0)).toBe('0');
    expect(compact(9999)).toBe('9999');
    expect(compact(12_345)).toBe('12.3k');
    expect(compact(4_250_000)).toBe('4.25M');
  });

  it('prints latencies in the unit that reads best', () => {
    expect(ms(0)).toBe('-');
    expect(ms(0.25)).toBe('250µs');
    expect(ms(3.456)).toBe('3.46ms');
    expect(ms(250)).toBe('250ms');
    expect(ms(2500)).toBe('2.5s');
  });
});
