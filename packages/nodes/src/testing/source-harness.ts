import type { AckCallback, FlowMessage, NodeEndpoints, SourceContext } from '@tributary/shared';
import { createTestContext, type TestContext } from './test-context.js';

export interface EmittedMessage {
  message: FlowMessage;
  /** The batch's ack callback (shared by the messages of one batch). */
  ack?: AckCallback;
  /** Routed to the error port. */
  error?: unknown;
}

/**
 * A source context the test drives, for sources that talk to peers: it records every emitted
 * message with its ack callback (the test confirms when it wants, or `autoAck`), and decides when
 * the flow is "full" (emit answers a promise from `fill()` until `room()`), as the engine would.
 */
export function sourceHarness(options: { flowId?: string; endpoints?: NodeEndpoints; autoAck?: boolean } = {}) {
  const stop = new AbortController();
  const test: TestContext = createTestContext({
    flowId: options.flowId ?? 'test-flow',
    signal: stop.signal,
    ...(options.endpoints === undefined ? {} : { endpoints: options.endpoints }),
  });
  const emitted: EmittedMessage[] = [];
  let full: { promise: Promise<void>; resolve: () => void } | null = null;
  const record = (entry: EmittedMessage) => {
    emitted.push(entry);
    if (options.autoAck && entry.ack) {
      const ack = entry.ack;
      setImmediate(() => ack(true));
    }
  };
  const ctx: SourceContext = {
    ...test.ctx,
    emit(messages, onAck) {
      for (const message of messages) record(onAck ? { message, ack: onAck } : { message });
      return full?.promise;
    },
    emitError(error, message, onAck) {
      record({ message: message ?? ({} as FlowMessage), error, ...(onAck ? { ack: onAck } : {}) });
      return full?.promise;
    },
  };
  return {
    ctx,
    test,
    emitted,
    stop: () => stop.abort(),
    fill() {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      full = { promise, resolve };
    },
    room() {
      full?.resolve();
      full = null;
    },
  };
}
