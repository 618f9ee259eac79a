/** Waiting that respects a stop signal, and rate pacing for sources. */

/**
 * Resolves after `ms`, or at once when `signal` aborts (it never rejects: callers check
 * `signal.aborted` and return, which is how a source stops).
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Longest stretch of tokens the pacer batches together: at high rates, one emit per this many seconds. */
const BATCH_WINDOW_S = 0.01;
/** After a stall (backpressure), at most this many seconds' worth of messages go out at once. */
const BURST_S = 0.1;

/**
 * A token bucket for messages per second. At high rates it hands out whole batches (one timer per
 * ~10 ms, not one per message); the bucket refills from the clock, so late timers do not lower the
 * rate, and its cap stops a burst after the source was held back by backpressure.
 *
 * @example
 * const pacer = new RatePacer(50_000, 1000);
 * const n = await pacer.take(1000, signal); // 1..1000 messages may go now (0 once aborted)
 */
export class RatePacer {
  private tokens: number;
  private last = performance.now();
  /** Messages per wake-up the pacer waits for (≥ 1). */
  readonly chunk: number;
  private readonly cap: number;

  constructor(
    readonly rate: number,
    maxBatch: number,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number, got ${rate}`);
    this.chunk = Math.max(1, Math.min(maxBatch, Math.floor(rate * BATCH_WINDOW_S)));
    this.cap = Math.max(2 * this.chunk, rate * BURST_S);
    // The first batch goes out at once.
    this.tokens = this.chunk;
  }

  /** Waits until at least one message (up to `want`) may be sent; returns how many, or 0 if aborted. */
  async take(want: number, signal: AbortSignal): Promise<number> {
    const need = Math.max(1, Math.min(want, this.chunk));
    for (;;) {
      if (signal.aborted) return 0;
      const now = performance.now();
      this.tokens = Math.min(this.cap, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
      if (this.tokens >= need) {
        const n = Math.min(want, Math.floor(this.tokens));
        this.tokens -= n;
        return n;
      }
      await sleep(Math.max(1, ((need - this.tokens) / this.rate) * 1000), signal);
    }
  }
}
