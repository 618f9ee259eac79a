/**
 * Worker slots of the node-test route. A test that finds them all taken waits its turn for a while
 * (a syntax check still booting its worker on a busy machine must not turn a click on Run into a
 * "try again"); only when none frees in time, or too many already wait, is it refused.
 */
export class TestSlots {
  private taken = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly size: number,
    /** Tests that may wait at once; more are refused at once. */
    readonly maxWaiting: number,
  ) {}

  /**
   * Resolves true once a slot is held (give it back with `release`), false when none freed within
   * `waitMs`, the waiting line is full, or `signal` aborted (the client left: its place in the line
   * goes to the next one at once, not after `waitMs`).
   *
   * @example
   * if (!(await slots.acquire(15_000, clientGone))) return refuse();
   * try { await runTest() } finally { slots.release() }
   */
  acquire(waitMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.taken < this.size) {
      this.taken++;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (granted: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', leave);
        resolve(granted);
      };
      const grant = () => settle(true);
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        settle(false);
      };
      const timer = setTimeout(leave, waitMs);
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(grant);
    });
  }

  /** Hands the slot to the longest-waiting test, or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.taken--;
  }
}
