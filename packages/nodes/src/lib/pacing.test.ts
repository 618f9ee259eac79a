import { describe, expect, it } from 'vitest';
import { RatePacer, sleep } from './pacing.js';

describe('RatePacer', () => {
  it('hands out whole batches at high rates and single messages at low rates', async () => {
    const signal = new AbortController().signal;
    expect(await new RatePacer(1_000_000, 500).take(500, signal)).toBe(500);
    expect(new RatePacer(1_000_000, 500).chunk).toBe(500);
    expect(new RatePacer(10, 500).chunk).toBe(1);
    expect(await new RatePacer(10, 500).take(500, signal)).toBe(1);
  });

  it('returns 0 once aborted, without waiting for tokens', async () => {
    const controller = new AbortController();
    const pacer = new RatePacer(0.001, 10); // one message per 1000 s
    await pacer.take(1, controller.signal); // the first one is free
    const pending = pacer.take(1, controller.signal);
    controller.abort();
    expect(await pending).toBe(0);
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new RatePacer(0, 10)).toThrow(RangeError);
    expect(() => new RatePacer(Number.NaN, 10)).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it('resolves at once when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
