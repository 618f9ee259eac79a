import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const exact = { initialMs: 100, maxMs: 1_000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, exact))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads delays below the exponential value by the jitter fraction, never above the cap', () => {
    const options = { initialMs: 1_000, maxMs: 5_000, jitter: 0.5 };
    expect(backoffDelay(0, { ...options, random: () => 0 })).toBe(1_000);
    expect(backoffDelay(0, { ...options, random: () => 0.999999 })).toBe(500);
    expect(backoffDelay(20, { ...options, random: () => 0 })).toBe(5_000);
  });
});

describe('sleep', () => {
  it('answers false at once when the signal aborts during the wait', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
  });

  it('answers true after a full wait', async () => {
    expect(await sleep(1)).toBe(true);
  });
});
