/**
 * The narrow port the Kafka nodes use, so the client library is an adapter choice (the `client`
 * setting of the `kafka` connection): `kafkajs` (kafka-kafkajs.ts) or `@platformatic/kafka`
 * (kafka-platformatic.ts). Only what the nodes need: a group consumer with per-partition
 * pause/resume, explicit commits and seeks, an idempotent producer, and the admin calls the
 * source makes before it starts.
 */
import type { TopicPartition } from '../lib/positions.js';
import type { KafkaLibrary } from './kafka.js';

export type { TopicPartition };

export interface ConsumedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** ms since the epoch */
  readonly timestamp: number;
  /** int64 as a decimal string (what `meta.offset` carries) */
  readonly offset: string;
}

/** Records of one partition, in offset order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** One past the last offset this batch covers (may pass the last record: compaction, markers). */
  readonly end: bigint;
  /** The partition's end (high watermark) when the client knows it, for lag. */
  readonly highWatermark: bigint | null;
}

export interface BatchControl {
  /** False once the batch's partition was revoked, the consumer is stopping, or a seek replaced it. */
  isCurrent(): boolean;
  /** Tells the group this member is alive while the batch waits (a no-op where the client does it). */
  heartbeat(): Promise<void>;
}

export interface ConsumerHandlers {
  /**
   * The partitions owned after a (re)balance. Awaited before those partitions are fetched, so a
   * seek made here is where reading starts. `generation`: the group generation of the assignment
   * (the coordinator's, higher for every rebalance of the group), null where the client hides it.
   * A later assignment may arrive before this one is answered: this one is then superseded.
   */
  assigned(partitions: readonly TopicPartition[], generation: number | null): Promise<void>;
  /** A rebalance began: the current assignment is about to end. */
  revoking(): void;
  /** One batch of one partition; the next batch of that partition waits for it. */
  batch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  /** The client restarts the consumer itself after an error (uncommitted records are read again). */
  restarting(error: Error): void;
  /** The consumer failed for good. */
  failed(error: Error): void;
}

export interface ConsumerSettings {
  readonly groupId: string;
  /** Static membership (KIP-345) where the client supports it; null = dynamic member. */
  readonly groupInstanceId: string | null;
  readonly topics: readonly string[];
  /** Where a partition without a committed offset starts. */
  readonly startFrom: 'earliest' | 'latest';
  readonly sessionTimeoutMs: number;
}

export interface ConsumerPort {
  connect(): Promise<void>;
  /** Subscribes to the topics; one that does not exist (yet) throws an error `isMissingTopic` knows. */
  subscribe(): Promise<void>;
  isMissingTopic(error: unknown): boolean;
  /** Joins the group and starts fetching; resolves once running. */
  run(handlers: ConsumerHandlers): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** The next fetch of the partition reads from `offset`. */
  seek(position: TopicPartition & { readonly offset: bigint }): void;
  /** Commits, per partition, the next offset to read. Rejects if the group refuses (rebalance). */
  commit(offsets: readonly (TopicPartition & { readonly offset: bigint })[]): Promise<void>;
  /** Stops fetching everything; the member stays in the group until `close`. */
  stopFetching(): void;
  /** Leaves the group and disconnects. */
  close(): Promise<void>;
}

export interface ProducedRecord {
  readonly key: string | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly partition?: number;
  readonly timestamp?: number;
}

export interface ProducerSettings {
  readonly idempotent: boolean;
  /** -1 (all), 1 or 0 */
  readonly acks: -1 | 0 | 1;
  readonly gzip: boolean;
}

export interface ProducerPort {
  connect(): Promise<void>;
  /**
   * Writes the records (partitioned by key with Kafka's murmur2, like the Java client) and
   * resolves once the brokers acknowledged them as `acks` asks.
   */
  send(byTopic: ReadonlyMap<string, readonly ProducedRecord[]>): Promise<void>;
  /** An error that may pass if the send is tried again (broker away, leader moving, timeout). */
  isTransient(error: unknown): boolean;
  close(): Promise<void>;
}

export interface KafkaClientPort {
  /** Which library answers (`kafkajs` or `platformatic`). */
  readonly library: KafkaLibrary;
  consumer(settings: ConsumerSettings): ConsumerPort;
  producer(settings: ProducerSettings): ProducerPort;
  /** The group's committed offset of each partition of the topics; null where there is none. */
  committedOffsets(groupId: string, topics: readonly string[]): Promise<(TopicPartition & { offset: bigint | null })[]>;
}
