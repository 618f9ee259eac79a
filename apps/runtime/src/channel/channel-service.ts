/**
 * Tributary as a consumer-channel service: HTTP clients get consumers in Kafka consumer groups
 * (create, subscribe, poll records, commit, delete) and a producer, in the OpenDXL consumer-service
 * format. No express here (the routes are in ../http/channel-routes.ts).
 *
 * Each HTTP consumer is a kafkajs consumer with auto-commit off: records are fetched into a bounded
 * buffer (a full buffer stops the fetch of that partition: backpressure to the broker), handed out
 * by polls, and committed only when the client commits them — the record's own offset, as OpenDXL
 * does (Kafka's committed position is one past it). A consumer not heard from for its session
 * timeout is closed and forgotten; the client sees a 404 and creates a new one.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';

/** Records a consumer holds fetched and not yet polled; the fetch waits beyond this. */
const MAX_BUFFER = 2000;
/** Most records one poll hands out. */
const MAX_POLL = 500;
const DEFAULT_SESSION_MS = 30_000;
/** The broker refuses group sessions shorter than this (group.min.session.timeout.ms). */
const MIN_SESSION_MS = 6_000;

export class ChannelError extends Error {
  constructor(
    message: string,
    /** 400: the request is wrong; 404: no such consumer; 429: too many consumers; 503: Kafka is not answering. */
    readonly status: 400 | 404 | 429 | 503,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

export interface ChannelRecordOut {
  routingData: { topic: string; shardingKey: string };
  message: { headers: Record<string, string>; payload: string };
  partition: number;
  offset: number;
}

export interface ProduceRecordIn {
  routingData: { topic: string; shardingKey?: string | undefined };
  message: { headers?: Record<string, string> | undefined; payload: string };
}

interface HttpConsumer {
  readonly id: string;
  readonly group: string;
  readonly consumer: Consumer;
  readonly fromBeginning: boolean;
  readonly sessionMs: number;
  buffer: ChannelRecordOut[];
  lastSeen: number;
  running: boolean;
}

export interface ChannelServiceOptions {
  brokers: string[];
  maxConsumers?: number;
  log?: (message: string) => void;
}

export class ChannelService {
  private readonly kafka: Kafka;
  private readonly consumers = new Map<string, HttpConsumer>();
  private producer: Promise<Producer> | null = null;
  private readonly sweeper: NodeJS.Timeout;
  private readonly log: (message: string) => void;

  constructor(private readonly options: ChannelServiceOptions) {
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: 'tributary-channel',
      logLevel: logLevel.NOTHING,
      retry: { retries: 5 },
    });
    this.log = options.log ?? (() => undefined);
    this.sweeper = setInterval(() => void this.expire(), 1000);
    this.sweeper.unref();
  }

  get size(): number {
    return this.consumers.size;
  }

  async create(group: string, configs: Record<string, string>): Promise<string> {
    if (this.consumers.size >= (this.options.maxConsumers ?? 100))
      throw new ChannelError(`too many consumers (${this.consumers.size}); delete unused ones`, 429);
    const reset = configs['auto.offset.reset'] ?? 'latest';
    if (reset !== 'latest' && reset !== 'earliest')
      throw new ChannelError(`auto.offset.reset must be "latest" or "earliest" here, not "${reset}"`, 400);
    const session = Number(configs['session.timeout.ms'] ?? DEFAULT_SESSION_MS);
    if (!Number.isInteger(session) || session < MIN_SESSION_MS || session > 3_600_000)
      throw new ChannelError(`session.timeout.ms must be a whole number from ${MIN_SESSION_MS} to 3600000`, 400);
    const consumer = this.kafka.consumer({
      groupId: group,
      sessionTimeout: session,
      rebalanceTimeout: Math.max(session, 10_000),
      heartbeatInterval: Math.min(3000, Math.floor(session / 3)),
      allowAutoTopicCreation: false,
    });
    try {
      await consumer.connect();
    } catch (error) {
      throw new ChannelError(`Kafka is not answering: ${(error as Error).message}`, 503);
    }
    const id = randomUUID();
    this.consumers.set(id, {
      id,
      group,
      consumer,
      fromBeginning: reset === 'earliest',
      sessionMs: session,
      buffer: [],
      lastSeen: Date.now(),
      running: false,
    });
    return id;
  }

  private get(id: string): HttpConsumer {
    const c = this.consumers.get(id);
    if (!c) throw new ChannelError(`no consumer ${id} (deleted, or expired after its session timeout)`, 404);
    c.lastSeen = Date.now();
    return c;
  }

  async subscribe(id: string, topics: string[]): Promise<void> {
    const c = this.get(id);
    if (c.running) throw new ChannelError('this consumer is subscribed already; create another to change topics', 400);
    try {
      await c.consumer.subscribe({ topics, fromBeginning: c.fromBeginning });
    } catch (error) {
      throw new ChannelError(`could not subscribe: ${(error as Error).message}`, 400);
    }
    c.running = true;
    await c.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const batch = payload.batch;
        const live = () => payload.isRunning() && !payload.isStale();
        for (const m of batch.messages) {
          if (!live()) return;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {}))
            if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
          c.buffer.push({
            routingData: { topic: batch.topic, shardingKey: m.key === null ? '' : m.key.toString('utf8') },
            message: { headers, payload: m.value === null ? '' : m.value.toString('base64') },
            partition: batch.partition,
            offset: Number(m.offset),
          });
          // Only the fetch position: nothing is committed before the client commits.
          payload.resolveOffset(m.offset);
          while (c.buffer.length >= MAX_BUFFER && live()) {
            await payload.heartbeat();
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      },
    });
  }

  records(id: string): ChannelRecordOut[] {
    const c = this.get(id);
    if (!c.running) throw new ChannelError('subscribe the consumer to topics first', 400);
    return c.buffer.splice(0, MAX_POLL);
  }

  async commit(id: string, offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    const c = this.get(id);
    try {
      await c.consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset + 1) })),
      );
    } catch (error) {
      // A rebalance under way or a broker away: the client tries again.
      throw new ChannelError(`commit failed, try again: ${(error as Error).message}`, 503);
    }
  }

  async remove(id: string): Promise<void> {
    const c = this.get(id);
    this.consumers.delete(id);
    await c.consumer.disconnect().catch(() => undefined);
  }

  async produce(records: ProduceRecordIn[]): Promise<void> {
    this.producer ??= (async () => {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })().catch((error: unknown) => {
      this.producer = null;
      throw error;
    });
    const byTopic = new Map<string, { key: string | null; value: Buffer; headers: Record<string, string> }[]>();
    for (const r of records) {
      const list = byTopic.get(r.routingData.topic) ?? [];
      list.push({
        key: r.routingData.shardingKey ? r.routingData.shardingKey : null,
        value: Buffer.from(r.message.payload, 'base64'),
        headers: r.message.headers ?? {},
      });
      byTopic.set(r.routingData.topic, list);
    }
    try {
      const producer = await this.producer;
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
      });
    } catch (error) {
      throw new ChannelError(`Kafka did not take the records, try again: ${(error as Error).message}`, 503);
    }
  }

  private async expire(): Promise<void> {
    const now = Date.now();
    for (const c of [...this.consumers.values()]) {
      if (now - c.lastSeen <= c.sessionMs) continue;
      this.consumers.delete(c.id);
      this.log(`channel: consumer ${c.id} of group ${c.group} expired (no request for ${c.sessionMs} ms)`);
      await c.consumer.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.consumers.values()];
    this.consumers.clear();
    await Promise.all(all.map((c) => c.consumer.disconnect().catch(() => undefined)));
    if (this.producer) await (await this.producer.catch(() => null))?.disconnect();
  }
}
