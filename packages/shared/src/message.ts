/**
 * The message every node exchanges. Messages are immutable once emitted: fan-out shares one object
 * between branches, so a node that wants a different message creates a new one.
 */
export interface FlowMessage<V = unknown> {
  /** Partitioning and ordering key; `null` when the message has none. */
  readonly key: string | null;
  readonly value: V;
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch: event time where the source knows it, otherwise arrival time. */
  readonly timestamp: number;
  /** Source-specific metadata (Kafka: topic, partition, offset …). */
  readonly meta: Readonly<MessageMeta>;
}

export interface MessageMeta {
  topic?: string;
  partition?: number;
  offset?: string;
  /** Set on messages routed to an `error` port. */
  error?: MessageErrorInfo;
  [name: string]: unknown;
}

export interface MessageErrorInfo {
  code: string;
  message: string;
  nodeId: string;
}

/** Shared, frozen empties: most messages have no headers or meta, and need not allocate them. */
export const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
export const EMPTY_META: Readonly<MessageMeta> = Object.freeze({});

/**
 * Builds a message with defaults for every field left out.
 *
 * @example
 * createMessage({ value: 42 }) // { key: null, value: 42, headers: {}, timestamp: Date.now(), meta: {} }
 */
export function createMessage<V>(init: {
  value: V;
  key?: string | null;
  headers?: Readonly<Record<string, string>>;
  timestamp?: number;
  meta?: Readonly<MessageMeta>;
}): FlowMessage<V> {
  return {
    key: init.key ?? null,
    value: init.value,
    headers: init.headers ?? EMPTY_HEADERS,
    timestamp: init.timestamp ?? Date.now(),
    meta: init.meta ?? EMPTY_META,
  };
}
