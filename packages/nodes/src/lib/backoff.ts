/**
 * Reconnect pauses for the web I/O nodes. Same signature as the engine engineer's
 * `backoffDelay` (announced for @tributary/shared); this local copy goes once that is merged.
 */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Share of the delay taken off at random (default 0.2: the pause lies in [0.8·d, d]). */
  jitter?: number;
  random?: () => number;
}

/**
 * The pause before reconnect attempt `attempt` (0 for the first): grows by `factor` up to `maxMs`,
 * with jitter so that many clients dropped at once do not all come back at the same instant.
 *
 * @example
 * backoffDelay(3, { initialMs: 1000, maxMs: 30_000 }) // between 6400 and 8000
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { initialMs, maxMs, factor = 2, jitter = 0.2, random = Math.random } = options;
  const full = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(full * (1 - jitter * random()));
}

/** Waits `ms`; answers false (early) when `signal` aborts. Never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
