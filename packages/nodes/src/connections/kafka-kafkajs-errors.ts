/** Which kafkajs errors a broker outage causes (retrying after a pause can pass them). */

/** kafkajs marks errors that may pass when tried again; a retry budget it used up wraps one. */
export function isTransient(error: unknown): boolean {
  for (let e = error as { retriable?: unknown; name?: unknown; cause?: unknown } | undefined; e;) {
    if (e.retriable === true) return true;
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError') return true;
    // The coordinator comes back with the broker (kafkajs marks it final while the broker shuts down).
    if (e.name === 'KafkaJSGroupCoordinatorNotFound') return true;
    e = e.cause as typeof e;
  }
  return false;
}
