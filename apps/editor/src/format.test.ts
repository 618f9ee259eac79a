import { describe, expect, it } from 'vitest';
import { compact, latency } from './format.js';

describe('stat labels', () => {
  it('shortens counts', () => {
    expect(compact(42)).toBe('42');
    expect(compact(12_345)).toBe('12.3k');
    expect(compact(4_250_000)).toBe('4.25M');
  });
  it('prints latencies in a readable unit', () => {
    expect(latency(0)).toBe('–');
    expect(latency(0.042)).toBe('42µs');
    expect(latency(3.21)).toBe('3.2ms');
    expect(latency(1500)).toBe('1.5s');
  });
});
