/**
 * The kafkajs adapter of the Kafka port. kafkajs has static membership neither in its API nor its
 * protocol versions: the kafka-source refuses a `groupInstanceId` with this client, and the
 * adapter throws if one reaches it anyway (a restarted member would silently lose its partitions
 * to a rebalance).
 */
import {
  CompressionTypes,
  type Consumer,
  type ConsumerRunConfig,
  type IHeaders,
  type Kafka,
  type Message,
  type TopicPartitions,
} from 'kafkajs';
import { backoffDelay, EMPTY_HEADERS, sleep } from '@tributary/shared';
import type {
  ConsumedRecord,
  ConsumerHandlers,
  ConsumerPort,
  ConsumerSettings,
  KafkaClientPort,
  ProducedRecord,
  ProducerPort,
  ProducerSettings,
  TopicPartition,
} from './kafka-port.js';
import { isTransient } from './kafka-kafkajs-errors.js';
import { javaCompatiblePartitioner } from './kafka-partitioners.js';

type StringHeaders = Readonly<Record<string, string>>;

/** Record headers as strings; a header given several times keeps its last value. */
function headersOf(headers: IHeaders | StringHeaders | undefined): StringHeaders {
  if (headers === undefined) return EMPTY_HEADERS;
  let out: Record<string, string> | null = null;
  for (const name in headers) {
    let value = headers[name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    (out ??= {})[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  // One shared object for the (usual) record without headers.
  return out ?? EMPTY_HEADERS;
}

const keyOf = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`;
/** Pauses between attempts to restart a consumer kafkajs gave up on (see `restartAfter`). */
const RESTART_RETRY = { initialMs: 250, maxMs: 5000 } as const;

function byTopic(partitions: readonly TopicPartition[]): TopicPartitions[] {
  const map = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    let list = map.get(topic);
    if (list === undefined) map.set(topic, (list = []));
    list.push(partition);
  }
  return [...map].map(([topic, list]) => ({ topic, partitions: list }));
}

class KafkajsConsumer implements ConsumerPort {
  private readonly consumer: Consumer;
  /** Paused by the node (backpressure, a checkpoint). */
  private readonly pausedByNode = new Set<string>();
  /** Held by the adapter until `assigned` answered. */
  private readonly held = new Set<string>();
  /** Bumped by a seek, so a batch fetched before it stops being current. */
  private readonly seeks = new Map<string, number>();
  private running = false;
  /** Aborted by `close`: ends a restart's pauses. */
  private readonly stopped = new AbortController();

  /** Bumped by every join: the answer to an earlier one must not release the partitions of a later one. */
  private joins = 0;

  constructor(
    kafka: Kafka,
    private readonly settings: ConsumerSettings,
    /** The group generation of the latest assignment, by group id (see kafka-client.ts). */
    private readonly generations: ReadonlyMap<string, number>,
  ) {
    if (settings.groupInstanceId !== null)
      throw new Error('kafkajs has no static membership (group instance id): use the platformatic client');
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(settings.sessionTimeoutMs / 3)),
      // Short fetch waits: a paused or resumed partition and a stop take effect sooner.
      maxWaitTimeInMs: 1000,
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(): Promise<void> {
    return this.consumer.subscribe({
      topics: [...this.settings.topics],
      fromBeginning: this.settings.startFrom === 'earliest',
    });
  }

  isMissingTopic(error: unknown): boolean {
    return (error as { type?: unknown } | null)?.type === 'UNKNOWN_TOPIC_OR_PARTITION';
  }

  async run(handlers: ConsumerHandlers): Promise<void> {
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (event) => {
      const partitions = Object.entries(event.payload.memberAssignment).flatMap(([topic, list]) =>
        list.map((partition) => ({ topic, partition })),
      );
      // Nothing is fetched for the new partitions until `assigned` answered (it may seek).
      this.held.clear();
      for (const tp of partitions) this.held.add(keyOf(tp));
      if (partitions.length > 0) this.toggle('pause', partitions);
      const join = ++this.joins;
      handlers.assigned(partitions, this.generations.get(this.settings.groupId) ?? null).then(
        () => {
          if (join !== this.joins) return;
          const free = partitions.filter((tp) => {
            this.held.delete(keyOf(tp));
            return !this.pausedByNode.has(keyOf(tp));
          });
          if (free.length > 0 && this.running) this.toggle('resume', free);
        },
        (error: unknown) => handlers.failed(error as Error),
      );
    });
    c.on(c.events.REBALANCING, () => handlers.revoking());
    c.on(c.events.CRASH, (event) => {
      if (!this.running) return;
      const error = event.payload.error;
      if (event.payload.restart) handlers.restarting(error);
      else if (isTransient(error)) void this.restartAfter(error, handlers);
      else handlers.failed(error);
    });
    this.running = true;
    await c.run(this.runConfig(handlers));
  }

  /**
   * kafkajs restarts its consumer after most errors a broker outage causes, but not all: while the
   * broker shuts down, "no group coordinator" ends the consumer for good. Restart it the same way
   * (connect, run: it rejoins and reads from the commits), with growing pauses while that fails.
   */
  private async restartAfter(error: Error, handlers: ConsumerHandlers): Promise<void> {
    handlers.restarting(error);
    for (let attempt = 0; this.running; attempt++) {
      if (!(await sleep(backoffDelay(attempt, RESTART_RETRY), this.stopped.signal))) return;
      try {
        await this.consumer.connect();
        await this.consumer.run(this.runConfig(handlers));
        return;
      } catch (retryError) {
        if (!isTransient(retryError)) {
          handlers.failed(retryError as Error);
          return;
        }
      }
    }
  }

  private runConfig(handlers: ConsumerHandlers): ConsumerRunConfig {
    return {
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { topic, partition } = payload.batch;
        const key = keyOf({ topic, partition });
        // Fetched before the assignment answered (or a seek): read again from the position it sets.
        if (this.held.has(key)) return;
        const generation = this.seeks.get(key) ?? 0;
        const messages = payload.batch.messages;
        if (messages.length === 0) return;
        // kafkajs's decoded messages become the port's records in place, not copied: a second
        // object per record cost ~2 % of a pipeline's CPU (measured here). Converting twice (a
        // batch handed over again) changes nothing.
        for (const m of messages as unknown as { timestamp: string | number; headers?: IHeaders | StringHeaders }[]) {
          m.timestamp = Number(m.timestamp);
          m.headers = headersOf(m.headers);
        }
        const records = messages as unknown as readonly ConsumedRecord[];
        await handlers.batch(
          {
            topic,
            partition,
            records,
            end: BigInt(payload.batch.lastOffset()) + 1n,
            highWatermark: BigInt(payload.batch.highWatermark),
          },
          {
            isCurrent: () =>
              this.running &&
              payload.isRunning() &&
              !payload.isStale() &&
              (this.seeks.get(key) ?? 0) === generation &&
              !this.held.has(key),
            heartbeat: () => payload.heartbeat(),
          },
        );
        // Only the fetch position (commits are explicit); a batch cut short is fetched again.
        if (this.running && !this.held.has(key) && (this.seeks.get(key) ?? 0) === generation)
          payload.resolveOffset(payload.batch.lastOffset());
      },
    };
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.pausedByNode.add(keyOf(tp));
    if (partitions.length > 0 && this.running) this.toggle('pause', partitions);
  }

  /**
   * kafkajs throws from pause/resume while its consumer restarts (no consumer group yet); the
   * sets above keep what the node asked for, and a restart re-applies kafkajs's own paused list.
   * A throw here would otherwise escape as an unhandled rejection and end the process.
   */
  private toggle(action: 'pause' | 'resume', partitions: readonly TopicPartition[]): void {
    try {
      this.consumer[action](byTopic(partitions));
    } catch {
      // Not running (yet, or any more): nothing is fetched for these partitions then either.
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    const free = partitions.filter((tp) => {
      this.pausedByNode.delete(keyOf(tp));
      return !this.held.has(keyOf(tp));
    });
    if (free.length > 0 && this.running) this.toggle('resume', free);
  }

  seek(position: TopicPartition & { readonly offset: bigint }): void {
    const key = keyOf(position);
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset.toString() });
  }

  commit(offsets: readonly (TopicPartition & { readonly offset: bigint })[]): Promise<void> {
    return this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })),
    );
  }

  stopFetching(): void {
    this.running = false;
    try {
      this.consumer.pause(this.settings.topics.map((topic) => ({ topic })));
    } catch {
      // Stopped before the consumer ran (kafkajs refuses to pause then): there is nothing to fetch.
    }
  }

  async close(): Promise<void> {
    this.running = false;
    this.stopped.abort();
    await this.consumer.disconnect();
  }
}

class KafkajsProducer implements ProducerPort {
  private readonly producer;

  constructor(
    kafka: Kafka,
    private readonly settings: ProducerSettings,
  ) {
    this.producer = kafka.producer({
      idempotent: settings.idempotent,
      createPartitioner: javaCompatiblePartitioner(),
      allowAutoTopicCreation: true,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(records: ReadonlyMap<string, readonly ProducedRecord[]>): Promise<void> {
    const topicMessages = [...records].map(([topic, list]) => ({
      topic,
      // The records as they are, no copy per record: kafkajs takes a string key (our partitioner
      // hashes it; the encoder writes it without a buffer of its own), string headers, and a
      // number timestamp the way it takes its string form (`Number` arithmetic, sorted as text).
      messages: list as unknown as Message[],
    }));
    await this.producer.sendBatch({
      topicMessages,
      acks: this.settings.acks,
      compression: this.settings.gzip ? CompressionTypes.GZIP : CompressionTypes.None,
    });
  }

  isTransient(error: unknown): boolean {
    return isTransient(error);
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}

/**
 * The port over a kafkajs client.
 *
 * @example
 * const port = kafkajsPort(new Kafka({ brokers: ['127.0.0.1:9092'] }));
 */
export function kafkajsPort(kafka: Kafka, generations: ReadonlyMap<string, number> = new Map()): KafkaClientPort {
  return {
    library: 'kafkajs',
    consumer: (settings) => new KafkajsConsumer(kafka, settings, generations),
    producer: (settings) => new KafkajsProducer(kafka, settings),
    async committedOffsets(groupId, topics) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const answer = await admin.fetchOffsets({ groupId, topics: [...topics] });
        return answer.flatMap(({ topic, partitions }) =>
          partitions.map((p) => ({
            topic,
            partition: p.partition,
            offset: p.offset === '-1' ? null : BigInt(p.offset),
          })),
        );
      } finally {
        await admin.disconnect();
      }
    },
  };
}
