/**
 * Which `@platformatic/kafka` failures a restart with backoff can outlast (a broker away, a
 * connection dropped mid-answer) and which it cannot (authorisation, bad configuration).
 */

/**
 * Codes of failures to read or match an answer. A connection dropped or reset while the broker
 * goes away can leave the client an answer it cannot read: its buffer reader (`@platformatic/dynamic-buffer`)
 * throws `OUT_OF_BOUNDS` ("Out of bounds."), and it marks none of these retriable. A new stream on
 * a new connection asks again, so they pass with the outage.
 */
const READ_FAILURES = new Set(['OUT_OF_BOUNDS', 'PLT_KFK_OUT_OF_BOUNDS', 'PLT_KFK_UNEXPECTED_CORRELATION_ID']);

/** Network failures and timeouts (the client's `TimeoutError` carries the network code). */
const CONNECTION_FAILURES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

interface ClientError {
  readonly canRetry?: unknown;
  readonly code?: unknown;
  readonly errors?: unknown;
  readonly cause?: unknown;
}

/**
 * True when trying again later may succeed: the client marked the error retriable, it is a
 * connection or read failure, or (for the client's "failed N times" wrappers and causes) any
 * error inside it is one — the attempts of an outage mix refusals, resets and cut-short answers.
 */
export function isTransient(error: unknown): boolean {
  const e = error as ClientError | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.canRetry === true) return true;
  if (typeof e.code === 'string' && (CONNECTION_FAILURES.has(e.code) || READ_FAILURES.has(e.code))) return true;
  if (Array.isArray(e.errors) && e.errors.some(isTransient)) return true;
  return e.cause !== undefined && isTransient(e.cause);
}
