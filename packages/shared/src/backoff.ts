/**
 * One backoff rule for every retry and reconnect (flow restarts, Redis, SSE/WebSocket/SQS
 * clients): exponential growth from `initialMs`, capped at `maxMs`, with jitter so that many
 * clients that lost the same server do not all come back in the same millisecond.
 */
export interface BackoffOptions {
  /** Delay before the first retry (attempt 0). */
  initialMs: number;
  /** The delay never exceeds this. */
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /**
   * Fraction of the delay that is random (default 0.2): the delay falls uniformly in
   * `[d × (1 − jitter), d]`. 0 gives exact, predictable delays (e.g. a status line that says when).
   */
  jitter?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0-based).
 *
 * @example
 * backoffDelay(0, { initialMs: 100, maxMs: 30_000 }); // 80..100
 * backoffDelay(10, { initialMs: 100, maxMs: 30_000, jitter: 0 }); // 30000
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const exponent = Math.max(0, Math.floor(attempt));
  const base = Math.min(options.maxMs, options.initialMs * factor ** exponent);
  const random = options.random ?? Math.random;
  return Math.round(base * (1 - jitter * random()));
}

/**
 * Waits `ms`, or less if `signal` aborts first. Resolves `true` after the full wait, `false` when
 * aborted (never rejects, so a reconnect loop just checks the answer and returns).
 *
 * @example
 * for (let attempt = 0; ; attempt++) {
 *   if (await connect()) break;
 *   if (!(await sleep(backoffDelay(attempt, { initialMs: 250, maxMs: 30_000 }), ctx.signal))) return;
 * }
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
