/**
 * The `@platformatic/kafka` (1.x) adapter of the Kafka port.
 *
 * Its consumer is one stream per member, not a fetch loop per partition, so:
 * - pausing any partition pauses the stream (all of the member's partitions). A kafka-source's
 *   partitions feed one output queue, so a full queue stops them all anyway;
 * - a seek moves the stream's fetch position and drops what was fetched for the partition before
 *   it: records already in the stream's buffer, and the answer of a fetch that was under way (it
 *   would otherwise also move the position back past the seek: kafka-fetch-guard.ts);
 * - the partition end (for lag) is polled once a second with ListOffsets.
 * Static membership: `groupInstanceId` is passed on (KIP-345), and such a member does not leave
 * the group when it closes (as the Java client): a restart within the session timeout gets the
 * same partitions back with no rebalance of the other members.
 */
import {
  Consumer,
  Producer,
  ListOffsetTimestamps,
  type ConnectionOptions,
  type MessageToProduce,
  type MessagesStream,
  type SASLOptions,
} from '@platformatic/kafka';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { backoffDelay, sleep } from '@tributary/shared';
import { isTransient } from './kafka-platformatic-errors.js';
import { FetchGuard } from './kafka-fetch-guard.js';
import { FetchedRecords, keyOf, type ClientRecord, type PartitionRecords } from './kafka-fetched-records.js';
import { BatchPartitioner } from './kafka-partitioners.js';
import type {
  ConsumerHandlers,
  ConsumerPort,
  ConsumerSettings,
  KafkaClientPort,
  ProducedRecord,
  ProducerPort,
  ProducerSettings,
  TopicPartition,
} from './kafka-port.js';

export interface PlatformaticOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly tls: TlsConnectionOptions | undefined;
  readonly sasl:
    { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  readonly connectTimeoutMs: number;
}

const MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

function base(options: PlatformaticOptions, role: string) {
  const connection: ConnectionOptions = { connectTimeout: options.connectTimeoutMs };
  if (options.tls !== undefined) connection.tls = options.tls;
  if (options.sasl !== undefined) {
    const sasl: SASLOptions = {
      mechanism: MECHANISMS[options.sasl.mechanism],
      username: options.sasl.username,
      password: options.sasl.password,
    };
    connection.sasl = sasl;
  }
  return { ...connection, clientId: `${options.clientId}-${role}`, bootstrapBrokers: [...options.brokers] };
}

/** How many fetched records wait in the adapter before the stream is paused. */
const BUFFER_LIMIT = 4096;
const LAG_POLL_MS = 1000;
/** Records handed to the source per batch (one fetch can bring 200,000). */
const DELIVER_CHUNK = 2048;
/** Pauses between attempts to open a new stream after an outage (the shared backoff rule). */
const RESTART_RETRY = { initialMs: 250, maxMs: 5000 } as const;

function findCode(error: unknown, id: string): boolean {
  const e = error as { findBy?: (property: string, value: unknown) => unknown; apiId?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.apiId === id) return true;
  return typeof e.findBy === 'function' && e.findBy('apiId', id) !== null && e.findBy('apiId', id) !== undefined;
}

class PlatformaticConsumer implements ConsumerPort {
  private readonly consumer: Consumer;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  private handlers: ConsumerHandlers | null = null;
  private running = false;
  private readonly pausedByNode = new Set<string>();
  /** Between a join and the answer of `assigned` (and the stream's own offset refresh). */
  private held = true;
  private refreshed = false;
  private assignedAnswered = false;
  private owned = new Set<string>();
  /** Seeks to apply once the stream refreshed its offsets after a join. */
  private readonly pendingSeeks = new Map<string, bigint>();
  /** Bumped per partition by a seek and per member by a join: a batch from before is not current. */
  private readonly generations = new Map<string, number>();
  private joinGeneration = 0;
  /** Answers to fetches sent before a seek or a rejoin do not reach the stream. */
  private readonly guard: FetchGuard;
  /** 'data' events seen; with `dropUntil`, which records were in the stream's buffer at a seek. */
  private dataCount = 0;
  /** Per partition, and for all ('*', at a rejoin): records before this data count were fetched earlier. */
  private readonly dropUntil = new Map<string, number>();
  private readonly fetched = new FetchedRecords();
  /** A pause is due once the stream's current fetch is pushed (see `openStream`). */
  private pauseQueued = false;
  private draining = false;
  private drainScheduled = false;
  private readonly ends = new Map<string, bigint>();
  private lagTimer: NodeJS.Timeout | null = null;
  /** Aborted by stopFetching/close: ends a pause between restart attempts. */
  private readonly stopped = new AbortController();

  constructor(
    options: PlatformaticOptions,
    private readonly settings: ConsumerSettings,
  ) {
    this.consumer = new Consumer({
      ...base(options, 'source'),
      groupId: settings.groupId,
      ...(settings.groupInstanceId === null ? {} : { groupInstanceId: settings.groupInstanceId }),
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(settings.sessionTimeoutMs / 3)),
      // Short fetch waits: a pause, a resume and a stop take effect sooner.
      maxWaitTime: 1000,
      autocommit: false,
      // The broker's tools default; no retries here means an unreachable broker fails the start.
      retries: 5,
    });
    this.guard = new FetchGuard(this.consumer, (key, offset) => this.stream?.offsetsToFetch.set(key, offset));
  }

  async connect(): Promise<void> {
    await this.consumer.metadata({ topics: [] });
  }

  async subscribe(): Promise<void> {
    // The stream subscribes when it starts; here the topics are only checked to exist.
    // Like kafkajs, ask the broker to create a missing topic (it does if auto.create.topics.enable).
    const metadata = await this.consumer.metadata({ topics: [...this.settings.topics], autocreateTopics: true });
    this.guard.learnTopics(metadata.topics);
  }

  isMissingTopic(error: unknown): boolean {
    return (
      findCode(error, 'UNKNOWN_TOPIC_OR_PARTITION') ||
      findCode(error, 'LEADER_NOT_AVAILABLE') ||
      (error instanceof Error && error.message.startsWith('Unknown topic '))
    );
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    this.handlers = handlers;
    this.running = true;
    const c = this.consumer;
    c.on('consumer:group:join', (payload) => this.onJoin(payload.assignments ?? [], payload.generationId ?? null));
    c.on('consumer:group:rebalance', () => handlers.revoking());
    await this.openStream();
    this.lagTimer = setInterval(() => void this.pollEnds(), LAG_POLL_MS);
    this.lagTimer.unref();
    void this.pollEnds();
  }

  private async openStream(): Promise<void> {
    const stream = await this.consumer.consume({
      topics: [...this.settings.topics],
      mode: 'committed',
      fallbackMode: this.settings.startFrom,
      autocommit: false,
      maxWaitTime: 1000,
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.settings.sessionTimeoutMs / 3)),
    });
    this.stream = stream;
    this.dataCount = 0;
    this.dropUntil.clear();
    stream.on('offsets', () => {
      if (this.stream !== stream) return;
      this.refreshed = true;
      this.applySeeks();
      this.release();
    });
    stream.on('error', (error: Error) => {
      if (this.running && this.stream === stream) void this.restart(error);
    });
    stream.on('data', (record: ClientRecord) => {
      if (this.stream !== stream) return;
      const index = this.dataCount++;
      // Pushed into the stream's buffer before a seek or rejoin: its position is no longer ours.
      if (this.dropUntil.size > 0 && this.fetchedBefore(index, keyOf(record.topic, record.partition))) return;
      this.fetched.add(record);
      // Paused in the middle of a fetch's synchronous push, the stream keeps the rest of the fetch
      // in its own buffer and hands it over one `read()` at a time later (~0.3 µs more per record,
      // measured here). On the next tick the push is over, and the stream's next fetch, scheduled
      // behind this tick, sees the pause and is not sent.
      if (this.fetched.size >= BUFFER_LIMIT && !this.pauseQueued) {
        this.pauseQueued = true;
        process.nextTick(() => {
          this.pauseQueued = false;
          this.updatePause();
        });
      }
      // One fetch pushes its records synchronously: hand them on together, after the last one.
      if (!this.draining && !this.drainScheduled) {
        this.drainScheduled = true;
        queueMicrotask(() => {
          this.drainScheduled = false;
          if (!this.draining) void this.drain();
        });
      }
    });
    // The join happened inside `consume`, before this stream existed.
    this.refreshed = true;
    this.applySeeks();
    this.updatePause();
    this.release();
  }

  /**
   * The stream gave up (a broker away longer than the client's retries): like kafkajs's restart,
   * open a new one — it reads from the group's commits — trying again with growing pauses while
   * the consumer runs. Errors that retrying cannot fix (authorisation) fail the source.
   */
  private async restart(error: Error): Promise<void> {
    if (!isTransient(error)) {
      this.handlers?.failed(error);
      return;
    }
    this.handlers?.restarting(error);
    const old = this.stream;
    this.stream = null;
    this.fetched.clear();
    this.joinGeneration++; // batches under way are no longer current
    this.held = true;
    await old?.close().catch(() => undefined);
    for (let attempt = 0; this.running; attempt++) {
      if (!(await sleep(backoffDelay(attempt, RESTART_RETRY), this.stopped.signal))) return;
      try {
        await this.openStream();
        // Start again from the commits, as after a join (the consumer may not have needed one).
        this.onJoin(this.consumer.assignments ?? [], this.consumer.generationId, true);
        return;
      } catch (retryError) {
        if (!isTransient(retryError)) {
          this.handlers?.failed(retryError as Error);
          return;
        }
      }
    }
  }

  private fetchedBefore(index: number, key: string): boolean {
    for (const k of [key, '*']) {
      const until = this.dropUntil.get(k);
      if (until === undefined) continue;
      if (index < until) return true;
      this.dropUntil.delete(k); // passed: later records were fetched after the seek
    }
    return false;
  }

  /** Records now in the stream's buffer were fetched before this moment: drop them when they come. */
  private markFetchedBefore(key: string): void {
    const waiting = this.stream?.readableLength ?? 0;
    if (waiting === 0) return;
    this.dropUntil.set(key, this.dataCount + waiting);
    if (key === '*') for (const k of this.dropUntil.keys()) if (k !== '*') this.dropUntil.delete(k);
  }

  /** `fresh`: called for a stream just opened (it read the commits itself), not for a join event. */
  private onJoin(
    assignments: readonly { topic: string; partitions: number[] }[],
    generation: number | null,
    fresh = false,
  ): void {
    const partitions = assignments.flatMap(({ topic, partitions: list }) =>
      list.map((partition) => ({ topic, partition })),
    );
    this.joinGeneration++;
    // Every assigned partition starts again from the group's commit (or Start from), as with
    // kafkajs: the stream would otherwise keep its own read position for a partition it had,
    // skipping what was read but never confirmed. The stream refreshes them right after this.
    if (!fresh) this.stream?.offsetsToFetch.clear();
    this.guard.rejoin();
    this.markFetchedBefore('*');
    this.owned = new Set(partitions.map((tp) => keyOf(tp.topic, tp.partition)));
    // Records fetched before the join go too, even of partitions kept: reading restarts from the
    // commit, and handing them on first would apply later offsets before earlier ones.
    this.fetched.clear();
    this.held = true;
    // The stream refreshes its offsets after this event; a stream not yet open (or just opened) has.
    this.refreshed = fresh || this.stream === null;
    this.assignedAnswered = false;
    this.updatePause();
    const join = this.joinGeneration;
    this.handlers!.assigned(partitions, generation).then(
      () => {
        if (join !== this.joinGeneration) return;
        this.assignedAnswered = true;
        this.applySeeks();
        this.release();
      },
      (error: unknown) => this.handlers?.failed(error as Error),
    );
  }

  private release(): void {
    if (!this.held || !this.refreshed || !this.assignedAnswered || this.stream === null) return;
    this.held = false;
    this.updatePause();
  }

  private applySeeks(): void {
    const stream = this.stream;
    if (stream === null) return;
    for (const [key, offset] of this.pendingSeeks) stream.offsetsToFetch.set(key, offset);
    if (this.refreshed && this.assignedAnswered) this.pendingSeeks.clear();
  }

  private updatePause(): void {
    const stream = this.stream;
    if (stream === null) return;
    const pause = !this.running || this.held || this.pausedByNode.size > 0 || this.fetched.size >= BUFFER_LIMIT;
    if (pause && !stream.isPaused()) stream.pause();
    else if (!pause && stream.isPaused()) stream.resume();
  }

  /** Hands the fetched records on, one partition at a time, each in fetch order. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.fetched.size > 0 && this.running) {
        // Whether they are still current is decided by what happened since they were taken: a
        // seek or a join while an earlier partition is handed on makes the rest of them stale.
        const join = this.joinGeneration;
        const parts = this.fetched.takeAll().filter((part) => this.owned.has(part.key));
        this.updatePause();
        const seeks = parts.map((part) => this.generations.get(part.key) ?? 0);
        for (let p = 0; p < parts.length; p++) {
          const part = parts[p]!;
          const { records } = part;
          for (let i = 0; i < records.length; i += DELIVER_CHUNK) {
            const chunk = records.length <= DELIVER_CHUNK ? records : records.slice(i, i + DELIVER_CHUNK);
            await this.deliver(part, chunk, join, seeks[p]!);
          }
        }
      }
    } catch (error) {
      if (this.running) this.handlers?.failed(error as Error);
    } finally {
      this.draining = false;
      this.updatePause();
    }
  }

  /** Hands on records of one partition; `join` and `generation` are the ones they were taken under. */
  private async deliver(
    part: PartitionRecords,
    records: PartitionRecords['records'],
    join: number,
    generation: number,
  ): Promise<void> {
    const { key, topic, partition } = part;
    const end = BigInt(records[records.length - 1]!.offset) + 1n;
    const known = this.ends.get(key);
    await this.handlers!.batch(
      { topic, partition, records, end, highWatermark: known === undefined || known < end ? end : known },
      {
        isCurrent: () =>
          this.running && !this.held && join === this.joinGeneration && (this.generations.get(key) ?? 0) === generation,
        heartbeat: () => Promise.resolve(),
      },
    );
  }

  private async pollEnds(): Promise<void> {
    if (!this.running) return;
    try {
      const offsets = await this.consumer.listOffsets({
        topics: [...this.settings.topics],
        timestamp: ListOffsetTimestamps.LATEST,
      });
      for (const [topic, list] of offsets)
        list.forEach((end, partition) => this.ends.set(keyOf(topic, partition), end));
    } catch {
      // Only lag figures depend on it; the next poll tries again.
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.pausedByNode.add(keyOf(topic, partition));
    this.updatePause();
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.pausedByNode.delete(keyOf(topic, partition));
    this.updatePause();
  }

  seek(position: TopicPartition & { readonly offset: bigint }): void {
    const key = keyOf(position.topic, position.partition);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    this.fetched.drop(key);
    this.markFetchedBefore(key);
    this.guard.seek(key, position.offset);
    this.pendingSeeks.set(key, position.offset);
    this.applySeeks();
  }

  async commit(offsets: readonly (TopicPartition & { readonly offset: bigint })[]): Promise<void> {
    await this.consumer.commit({
      offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset, leaderEpoch: -1 })),
    });
  }

  stopFetching(): void {
    this.running = false;
    this.stopped.abort();
    this.updatePause();
  }

  async close(): Promise<void> {
    this.running = false;
    this.stopped.abort();
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.guard.close();
    await this.stream?.close().catch(() => undefined);
    // The client always sends LeaveGroup on close, unless it has no member id; it has no option to
    // keep a static member in the group, so the id is dropped first (its heartbeat then fails once
    // on the closed connections and stops).
    if (this.settings.groupInstanceId !== null) this.consumer.memberId = null;
    await this.consumer.close();
  }
}

/** Bytes per produce request: half the broker's default max.message.bytes. */
const SEND_SLICE_BYTES = 512 * 1024;
/** A record's framing in a batch (varints, attributes, deltas), roughly. */
const RECORD_OVERHEAD = 24;

function headerBytes(headers: Map<Buffer, Buffer> | undefined): number {
  let size = 0;
  if (headers !== undefined) for (const [k, v] of headers) size += k.length + v.length + 4;
  return size;
}

class PlatformaticProducer implements ProducerPort {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly partitions = new BatchPartitioner();

  constructor(
    options: PlatformaticOptions,
    private readonly settings: ProducerSettings,
  ) {
    this.producer = new Producer({
      ...base(options, 'sink'),
      idempotent: settings.idempotent,
      acks: settings.acks,
      ...(settings.gzip ? { compression: 'gzip' as const } : {}),
      partitioner: this.partitions.choose,
      autocreateTopics: true,
      // The sink retries on its own (with backpressure); the client's retries only shorten blips.
      retries: 3,
    });
  }

  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [] });
  }

  async send(byTopic: ReadonlyMap<string, readonly ProducedRecord[]>): Promise<void> {
    // A retried batch keeps its keyless records' partition (the sink hands the same map again).
    this.partitions.nextBatch(byTopic);
    // The client sends what it is given as one request, and the broker refuses a partition's
    // batch above its max.message.bytes (1 MB by default): send in slices well below it.
    let messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
    let bytes = 0;
    for (const [topic, list] of byTopic)
      for (const r of list) {
        const value = r.value === null ? undefined : typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        const key = r.key === null ? undefined : Buffer.from(r.key);
        const headers =
          r.headers === undefined
            ? undefined
            : new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
        const size = RECORD_OVERHEAD + (key?.length ?? 0) + (value?.length ?? 0) + headerBytes(headers);
        if (messages.length > 0 && bytes + size > SEND_SLICE_BYTES) {
          await this.producer.send({ messages, acks: this.settings.acks });
          messages = [];
          bytes = 0;
        }
        // Fields set one by one: no temporary objects per record on the hot path.
        const message: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = { topic };
        if (key !== undefined) message.key = key;
        if (value !== undefined) message.value = value;
        if (headers !== undefined) message.headers = headers;
        if (r.partition !== undefined) message.partition = r.partition;
        if (r.timestamp !== undefined) message.timestamp = BigInt(r.timestamp);
        messages.push(message);
        bytes += size;
      }
    if (messages.length > 0) await this.producer.send({ messages, acks: this.settings.acks });
  }

  isTransient(error: unknown): boolean {
    return isTransient(error);
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

/**
 * The port over `@platformatic/kafka`.
 *
 * @example
 * const port = platformaticPort({ brokers: ['127.0.0.1:9092'], clientId: 'tributary', tls: undefined, sasl: undefined, connectTimeoutMs: 10_000 });
 */
export function platformaticPort(options: PlatformaticOptions): KafkaClientPort {
  return {
    library: 'platformatic',
    consumer: (settings) => new PlatformaticConsumer(options, settings),
    producer: (settings) => new PlatformaticProducer(options, settings),
    async committedOffsets(groupId, topics) {
      const consumer = new Consumer({ ...base(options, 'admin'), groupId });
      try {
        const metadata = await consumer.metadata({ topics: [...topics] });
        const request = [...topics].map((topic) => ({
          topic,
          partitions: Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i),
        }));
        const answer = await consumer.listCommittedOffsets({ topics: request });
        return [...answer].flatMap(([topic, list]) =>
          list.map((offset, partition) => ({ topic, partition, offset: offset < 0n ? null : offset })),
        );
      } finally {
        await consumer.close();
      }
    },
  };
}
