import {
  defineNode,
  EMPTY_HEADERS,
  type AckCallback,
  type FlowMessage,
  type NodeContext,
  type SourceContext,
} from '@tributary/shared';
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import { createKafkaClient, describeKafkaError, kafkaConnectionOf } from '../connections/kafka-client.js';
import { batchSizeFor } from '../lib/source-helpers.js';
import { kafkaSourceManifest } from './manifest.js';
import { PartitionOffsets } from './offset-tracker.js';

/** How often a batch blocked by backpressure tells the group it is still alive. */
const HEARTBEAT_EVERY_MS = 3000;
/** A missing topic is looked up again this many times, this far apart, before the start fails. */
const MISSING_TOPIC_RETRIES = 20;
const MISSING_TOPIC_PAUSE_MS = 500;
/** On close, how long to wait for the batch being handed on before committing and leaving. */
const CLOSE_WAIT_MS = 2000;

export type KafkaCodec = 'json' | 'string' | 'bytes';

/** A record the codec cannot read; it goes to the error port with its raw value. */
export class KafkaDecodeError extends Error {
  readonly code = 'E_DECODE';

  constructor(message: string) {
    super(message);
    this.name = 'KafkaDecodeError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(raw: Buffer): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new KafkaDecodeError('value is not valid UTF-8 text');
  }
}

/**
 * A record value as the codec reads it; null stays null (a tombstone). Throws KafkaDecodeError.
 *
 * @example
 * decodeValue(Buffer.from('{"a":1}'), 'json') // { a: 1 }
 */
export function decodeValue(raw: Buffer | null, codec: KafkaCodec): unknown {
  if (raw === null) return null;
  switch (codec) {
    case 'bytes':
      return raw;
    case 'string':
      return text(raw);
    case 'json': {
      const source = text(raw);
      try {
        return JSON.parse(source) as unknown;
      } catch (error) {
        throw new KafkaDecodeError(`value is not valid JSON: ${(error as Error).message}`);
      }
    }
  }
}

/** Record headers as strings; a header given several times keeps its last value. */
function headersOf(headers: IHeaders | undefined): Readonly<Record<string, string>> {
  if (headers === undefined) return EMPTY_HEADERS;
  let out: Record<string, string> | null = null;
  for (const name in headers) {
    let value = headers[name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    (out ??= {})[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return out ?? EMPTY_HEADERS;
}

/** The message for the error port: the raw value as text, or base64 when it is not text. */
function rawMessage(message: KafkaMessage, topic: string, partition: number): FlowMessage {
  let value: string | null = null;
  let encoding: 'base64' | undefined;
  if (message.value !== null) {
    try {
      value = utf8.decode(message.value);
    } catch {
      value = message.value.toString('base64');
      encoding = 'base64';
    }
  }
  return {
    key: message.key === null ? null : message.key.toString('utf8'),
    value,
    headers: headersOf(message.headers),
    timestamp: Number(message.timestamp),
    meta: { topic, partition, offset: message.offset, ...(encoding ? { valueEncoding: encoding } : {}) },
  };
}

function isRebalanceError(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

/**
 * The `kafka-source`: a consumer-group member that emits records as messages and commits, per
 * partition, only what the flow has confirmed (at-least-once) or what it is about to send
 * (at-most-once).
 *
 * Offsets: kafkajs's `resolveOffset` only moves the fetch position; commits are made here, from
 * a PartitionOffsets per assigned partition. A rebalance replaces those trackers, so a
 * confirmation that arrives for a partition this member no longer owns is ignored and never
 * committed; a partition assigned again starts from the group's committed offset (kafkajs seeks
 * there on every assignment).
 *
 * @example
 * // config: { connection: 'local-kafka', topics: ['orders'], groupId: 'enrich', startFrom: 'earliest' }
 */
export const kafkaSourceNode = defineNode(kafkaSourceManifest, (config, nodeCtx: NodeContext) => {
  const connection = kafkaConnectionOf(nodeCtx, config.connection);
  const kafka = createKafkaClient(connection, nodeCtx, 'source');
  const atLeastOnce = config.delivery === 'at-least-once';
  const log = nodeCtx.log;
  const stats = nodeCtx.stats;

  let consumer: Consumer | null = null;
  let connected: Promise<void> | null = null;
  /** The partitions this member owns now, by stat key. Replaced (not edited) on every assignment. */
  let owned = new Map<string, PartitionOffsets>();
  /** Between the start of a rebalance and the next assignment no commit is sent. */
  let rebalancing = true;
  let batchInFlight: Promise<void> | null = null;
  let commitTimer: NodeJS.Timeout | null = null;
  let committing: Promise<void> | null = null;
  let commitAgain = false;
  let stopping = false;
  let closed = false;
  const lag: Record<string, number> = {};
  const lagSeconds: Record<string, number> = {};
  const committed: Record<string, number> = {};

  const publishLag = () => {
    stats.set('lag', { ...lag });
    stats.set('lagSeconds', { ...lagSeconds });
  };
  const publishCommitted = () => stats.set('committed', { ...committed });

  /** Commits every owned partition whose commit position moved; one commit request at a time. */
  const flushCommits = async (): Promise<void> => {
    if (committing) {
      commitAgain = true;
      return committing;
    }
    if (commitTimer) {
      clearTimeout(commitTimer);
      commitTimer = null;
    }
    const run = async () => {
      do {
        commitAgain = false;
        if (consumer === null || rebalancing) return;
        const batch = [...owned.values()].flatMap((p) => {
          const offset = p.toCommit();
          return offset === null ? [] : [{ p, offset }];
        });
        if (batch.length === 0) return;
        try {
          await consumer.commitOffsets(
            batch.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset: offset.toString() })),
          );
          for (const { p, offset } of batch) {
            if (owned.get(p.key) !== p) continue;
            if (p.committed === null || offset > p.committed) p.committed = offset;
            committed[p.key] = Number(offset);
          }
          publishCommitted();
        } catch (error) {
          // Not fatal: the confirmed offsets stay and go with the next commit (or are read again).
          log.warn(`commit failed, will retry: ${(error as Error).message}`);
          stats.add('commitErrors');
          retryCommit();
          return;
        }
      } while (commitAgain);
    };
    committing = run().finally(() => {
      committing = null;
    });
    return committing;
  };

  /** After a failed commit: try again later even if no new confirmation arrives to trigger it. */
  const retryCommit = () => {
    if (closed || commitTimer) return;
    commitTimer = setTimeout(
      () => {
        commitTimer = null;
        void flushCommits();
      },
      Math.max(config.commitIntervalMs, 1000),
    );
    commitTimer.unref();
  };

  const scheduleCommit = () => {
    if (commitTimer || closed) return;
    if (config.commitIntervalMs === 0) {
      void flushCommits();
      return;
    }
    commitTimer = setTimeout(() => {
      commitTimer = null;
      void flushCommits();
    }, config.commitIntervalMs);
    commitTimer.unref();
  };

  const onAssigned = (assignment: Record<string, number[]>) => {
    const next = new Map<string, PartitionOffsets>();
    for (const [topic, list] of Object.entries(assignment)) {
      for (const partition of list) {
        const p = new PartitionOffsets(topic, partition);
        next.set(p.key, p);
      }
    }
    // Stats of partitions this member gave away would only mislead.
    for (const record of [lag, lagSeconds, committed])
      for (const key of Object.keys(record)) if (!next.has(key)) delete record[key];
    owned = next;
    rebalancing = false;
    stats.set('partitions', next.size);
    stats.add('rebalances');
    publishLag();
    publishCommitted();
    log.info(`assigned ${next.size} partition(s): ${[...next.keys()].join(', ') || 'none'}`);
  };

  const onRebalancing = () => {
    // Commit what is confirmed while this generation still owns its partitions, then hold commits
    // until the new assignment says which partitions are still ours.
    if (atLeastOnce && !rebalancing) void flushCommits();
    rebalancing = true;
  };

  /** Waits for an emit that met backpressure, heartbeating so the group does not drop this member. */
  const waitForRoom = async (
    room: Promise<void>,
    signal: AbortSignal,
    heartbeat: () => Promise<void>,
  ): Promise<'ok' | 'aborted'> => {
    let done = false;
    void room.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      if (signal.aborted) return 'aborted';
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      await Promise.race([
        room.catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, HEARTBEAT_EVERY_MS);
          onAbort = resolve;
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (!done && !signal.aborted) await heartbeat();
    }
    await room;
    return 'ok';
  };

  const handleBatch = async (ctx: SourceContext, payload: EachBatchPayload, batchSize: number): Promise<void> => {
    const batch = payload.batch;
    const { topic, partition } = batch;
    const signal = ctx.signal;
    const key = `${topic}-${partition}`;
    const tracker = owned.get(key) ?? new PartitionOffsets(topic, partition);
    if (!owned.has(key)) owned.set(key, tracker);
    const messages = batch.messages;
    const batchEnd = BigInt(batch.lastOffset()) + 1n;
    const current = () =>
      !signal.aborted && !stopping && payload.isRunning() && !payload.isStale() && owned.get(key) === tracker;

    for (let i = 0; i < messages.length; i += batchSize) {
      if (!current()) return;
      const slice = messages.slice(i, i + batchSize);
      const last = slice[slice.length - 1]!;
      const end = i + batchSize >= messages.length ? batchEnd : BigInt(last.offset) + 1n;
      const good: FlowMessage[] = [];
      const goodOffsets: bigint[] = [];
      const bad: { error: unknown; message: FlowMessage; offset: bigint }[] = [];
      for (const record of slice) {
        try {
          good.push({
            key: record.key === null ? null : record.key.toString('utf8'),
            value: decodeValue(record.value, config.codec),
            headers: headersOf(record.headers),
            timestamp: Number(record.timestamp),
            meta: { topic, partition, offset: record.offset },
          });
          goodOffsets.push(BigInt(record.offset));
        } catch (error) {
          bad.push({ error, message: rawMessage(record, topic, partition), offset: BigInt(record.offset) });
        }
      }

      let onGood: AckCallback | undefined;
      const onBad: (AckCallback | undefined)[] = [];
      if (atLeastOnce) {
        // Register every group before handing any on, so no commit can pass one that is not yet out.
        const confirm = (done: (ok: boolean) => boolean): AckCallback => {
          return (ok) => {
            if (!ok) stats.add('unconfirmed');
            if (done(ok) && owned.get(key) === tracker) scheduleCommit();
          };
        };
        if (good.length > 0) onGood = confirm(tracker.track(goodOffsets[0]!, end));
        for (const b of bad) onBad.push(confirm(tracker.track(b.offset, end)));
        tracker.skipTo(end);
      } else {
        // At-most-once: the commit comes first; if it fails, nothing of this slice is sent on.
        if (rebalancing || consumer === null) return;
        await consumer.commitOffsets([{ topic, partition, offset: end.toString() }]);
        tracker.committed = end;
        committed[key] = Number(end);
        publishCommitted();
      }

      let room: Promise<void> | undefined;
      try {
        if (good.length > 0) room = ctx.emit(good, onGood);
        payload.resolveOffset(last.offset);
        for (let j = 0; j < bad.length; j++) await ctx.emitError(bad[j]!.error, bad[j]!.message, onBad[j]);
      } catch (error) {
        // The flow is stopping and refuses new batches: what was not taken is read again next time.
        if (signal.aborted || stopping) return;
        throw error;
      }

      const behind = Number(BigInt(batch.highWatermark) - end);
      lag[key] = Math.max(0, behind);
      lagSeconds[key] = behind > 0 ? Math.max(0, (Date.now() - Number(last.timestamp)) / 1000) : 0;
      publishLag();

      if (room !== undefined) {
        // A promise from emit means a full queue downstream: pause this partition so nothing more
        // is fetched for it while the flow catches up.
        const target = [{ topic, partitions: [partition] }];
        consumer?.pause(target);
        stats.add('pauses');
        try {
          if ((await waitForRoom(room, signal, () => payload.heartbeat())) === 'aborted') return;
        } catch (error) {
          if (signal.aborted || stopping) return;
          if (isRebalanceError(error)) onRebalancing();
          throw error;
        } finally {
          if (!signal.aborted && !stopping) consumer?.resume(target);
        }
      }
    }
  };

  return {
    kind: 'source',
    async run(ctx: SourceContext): Promise<void> {
      const signal = ctx.signal;
      if (signal.aborted) return;
      const batchSize = batchSizeFor(config.batchSize, ctx);
      const c = kafka.consumer({
        groupId: config.groupId,
        sessionTimeout: config.sessionTimeoutMs,
        heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
        // Short fetch waits: a paused or resumed partition and a stop take effect sooner.
        maxWaitTimeInMs: 1000,
      });
      consumer = c;
      let crashed: ((error: Error) => void) | undefined;
      const crash = new Promise<never>((_, reject) => (crashed = reject));
      crash.catch(() => undefined);
      c.on(c.events.GROUP_JOIN, (event) => onAssigned(event.payload.memberAssignment));
      c.on(c.events.REBALANCING, () => onRebalancing());
      c.on(c.events.CRASH, (event) => {
        if (signal.aborted || stopping) return;
        if (event.payload.restart) {
          // kafkajs restarts the consumer itself (and rejoins): what was not committed is read again.
          log.warn(`consumer restarts after: ${event.payload.error.message}`);
          stats.add('restarts');
          onRebalancing();
          return;
        }
        crashed?.(new Error(describeKafkaError(event.payload.error, connection)));
      });

      // A topic the broker is still creating (auto-create, or a producer that started at the same
      // time) is waited for a little; one that stays missing fails the start with its name.
      const subscribe = async (consumer: Consumer) => {
        for (let attempt = 0; ; attempt++) {
          try {
            await consumer.subscribe({ topics: config.topics, fromBeginning: config.startFrom === 'earliest' });
            return;
          } catch (error) {
            if ((error as { type?: unknown }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
            if (attempt >= MISSING_TOPIC_RETRIES || signal.aborted)
              throw new Error(
                `topic ${config.topics.map((t) => `"${t}"`).join(', ')}: not on the cluster (waited ${(MISSING_TOPIC_RETRIES * MISSING_TOPIC_PAUSE_MS) / 1000} s). Create it, or enable auto.create.topics.enable on the brokers`,
                { cause: error },
              );
            if (attempt === 0) log.info(`waiting for topic(s) ${config.topics.join(', ')} to exist…`);
            await delay(MISSING_TOPIC_PAUSE_MS);
          }
        }
      };

      /** startFrom committed: every partition must have a committed offset for the group. */
      const requireCommitted = async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const missing: string[] = [];
          for (const { topic, partitions } of await admin.fetchOffsets({
            groupId: config.groupId,
            topics: config.topics,
          }))
            for (const p of partitions) if (p.offset === '-1') missing.push(`${topic}-${p.partition}`);
          if (missing.length > 0)
            throw new Error(
              `group "${config.groupId}" has no committed offset for ${missing.join(', ')}, and Start from is "committed": choose earliest or latest to start it`,
            );
        } finally {
          await admin.disconnect();
        }
      };

      const start = async () => {
        if (config.startFrom === 'committed') await requireCommitted();
        await c.connect();
        await subscribe(c);
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const work = handleBatch(ctx, payload, batchSize);
            batchInFlight = work;
            try {
              await work;
            } finally {
              if (batchInFlight === work) batchInFlight = null;
            }
          },
        });
      };
      connected = start();
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      try {
        await Promise.race([connected, aborted, crash]);
      } catch (error) {
        throw new Error(describeKafkaError(error, connection), { cause: error });
      }
      // Running: until the flow stops, or the consumer fails for good.
      await Promise.race([aborted, crash]);
      // Stop fetching, but stay in the group: confirmations still arrive while the flow drains,
      // and `close` commits them before leaving.
      stopping = true;
      try {
        c.pause(config.topics.map((topic) => ({ topic })));
      } catch {
        // Stopped before the consumer ran (kafkajs refuses to pause then): there is nothing to fetch.
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      stopping = true;
      const c = consumer;
      if (c === null) return;
      if (commitTimer) clearTimeout(commitTimer);
      commitTimer = null;
      try {
        // The connect may still be under way (a stop right after start): let it finish or fail.
        await connected?.catch(() => undefined);
        if (batchInFlight) await Promise.race([batchInFlight.catch(() => undefined), delay(CLOSE_WAIT_MS)]);
        if (atLeastOnce) await flushCommits();
      } finally {
        await c.disconnect().catch((error: unknown) => log.warn(`disconnect failed: ${(error as Error).message}`));
      }
    },
  };
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
