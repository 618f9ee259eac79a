import { describe, expect, it } from 'vitest';
import { RateWindow } from './rate-window.js';

describe('RateWindow', () => {
  it('measures a steady rate whether it is read once a second or many times', () => {
    const w = new RateWindow(0);
    // 100 msgs/s, read every 10 ms for 3 s
    for (let t = 10; t <= 3000; t += 10) w.rate(t / 10, t, 1000);
    expect(w.rate(300, 3000, 1000)).toBeCloseTo(100, 0);
    expect(w.rate(300, 3000, 60_000)).toBeCloseTo(100, 0);
  });

  it('shows a stop within about a second', () => {
    const w = new RateWindow(0);
    for (let t = 250; t <= 5000; t += 250) w.rate(t, t, 1000); // 1000 msgs/s
    for (let t = 5250; t <= 6500; t += 250) w.rate(5000, t, 1000); // stopped at 5 s
    expect(w.rate(5000, 6500, 1000)).toBe(0);
  });
});
