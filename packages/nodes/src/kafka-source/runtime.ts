import {
  backoffDelay,
  defineNode,
  EMPTY_HEADERS,
  sleep,
  type AckCallback,
  type FlowMessage,
  type NodeContext,
  type SourceContext,
} from '@tributary/shared';
import { createKafkaClient, describeKafkaError, kafkaConnectionOf } from '../connections/kafka-client.js';
import type { BatchControl, ConsumedBatch, ConsumedRecord, ConsumerPort } from '../connections/kafka-port.js';
import { codecFromSettings, isAsyncCodec, type AsyncCodec } from '../lib/avro-codec.js';
import { CodecError } from '../lib/codecs.js';
import { NodeConfigError } from '../lib/compile.js';
import { announceAssignment, positionOwnerOf, provideSourceControl, type TopicPartition } from '../lib/positions.js';
import { batchSizeFor } from '../lib/source-helpers.js';
import { kafkaSourceManifest } from './manifest.js';
import { PartitionOffsets } from './offset-tracker.js';

/** How often a batch blocked by backpressure tells the group it is still alive. */
const HEARTBEAT_EVERY_MS = 3000;
/** A missing topic is looked up again this many times, this far apart, before the start fails. */
const MISSING_TOPIC_RETRIES = 20;
const MISSING_TOPIC_PAUSE_MS = 500;
/** On a new assignment, how long messages under way may take to be confirmed before a kept partition resumes. */
const CARRY_WAIT_MS = 5000;
/** On close, how long to wait for the batch being handed on before committing and leaving. */
const CLOSE_WAIT_MS = 2000;
/** After a failed message, how long its partition waits before it is read again (growing while it keeps failing). */
const REWIND_PAUSE = { initialMs: 200, maxMs: 10_000 } as const;

/**
 * A full queue that has room again within this long costs no pause: pausing and resuming a
 * partition per batch cost kafkajs ~10 % more CPU per message at full speed (measured here).
 */
const PAUSE_AFTER_MS = 50;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the promise settles (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message for the error port: the raw value as text, or base64 when it is not text. */
function rawMessage(record: ConsumedRecord, topic: string, partition: number): FlowMessage {
  let value: string | null = null;
  let encoding: 'base64' | undefined;
  if (record.value !== null) {
    try {
      value = utf8.decode(record.value);
    } catch {
      value = record.value.toString('base64');
      encoding = 'base64';
    }
  }
  return {
    key: record.key === null ? null : record.key.toString('utf8'),
    value,
    headers: headersOf(record.headers),
    timestamp: record.timestamp,
    meta: { topic, partition, offset: record.offset, ...(encoding ? { valueEncoding: encoding } : {}) },
  };
}

function headersOf(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  // The adapters pass EMPTY_HEADERS for a record without headers: no key list to build then.
  return headers === EMPTY_HEADERS || Object.keys(headers).length === 0 ? EMPTY_HEADERS : headers;
}

function isRebalanceError(error: unknown): boolean {
  const e = error as { type?: unknown; findBy?: (p: string, v: unknown) => unknown } | null;
  const type = e?.type;
  if (type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION')
    return true;
  return typeof e?.findBy === 'function' && Boolean(e.findBy('needsRejoin', true));
}

/**
 * The `kafka-source`: a consumer-group member that emits records as messages and commits, per
 * partition, only what the flow has confirmed (at-least-once) or what it is about to send
 * (at-most-once). The client library sits behind the Kafka port (the connection's `client`).
 *
 * Offsets: commits are made here, from a PartitionOffsets per assigned partition. A rebalance
 * replaces those trackers, so a confirmation that arrives for a partition this member no longer
 * owns is ignored and never committed; a partition assigned again starts from the group's
 * committed offset — or from where the `positionsFrom` owner says.
 *
 * @example
 * // config: { connection: 'local-kafka', topics: ['orders'], groupId: 'enrich', startFrom: 'earliest' }
 */
export const kafkaSourceNode = defineNode(kafkaSourceManifest, (config, nodeCtx: NodeContext) => {
  const connection = kafkaConnectionOf(nodeCtx, config.connection);
  if (config.groupInstanceId !== undefined && connection.client === 'kafkajs')
    // Refused rather than ignored: the user counts on restarts that keep their partitions.
    throw new NodeConfigError(
      `groupInstanceId: static membership needs the platformatic client; kafkajs has no group instance id (KIP-345). Set the connection "${config.connection}" to client platformatic, or clear Group instance id`,
      'groupInstanceId',
    );
  const kafka = createKafkaClient(connection, nodeCtx, 'source');
  const codec = codecFromSettings(nodeCtx, config.codec, config.avro, { topic: config.topics[0] });
  /**
   * Decodes one value. A registry that is down or refuses us is not the record's fault: wait and try
   * again (the partition waits, as under backpressure) until it answers or the flow stops.
   */
  const decodeAsync = async (async: AsyncCodec, raw: Buffer | null, signal: AbortSignal): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await async.decode(raw);
      } catch (error) {
        if (error instanceof CodecError) throw error;
        stats.add('registryErrors');
        if (attempt === 0 || attempt % 10 === 0) log.warn(`schema registry: ${String(error)}; trying again`);
        if (!(await sleep(backoffDelay(attempt, { initialMs: 250, maxMs: 10_000 }), signal))) throw error;
      }
    }
  };
  const atLeastOnce = config.delivery === 'at-least-once';
  const log = nodeCtx.log;
  const stats = nodeCtx.stats;

  let consumer: ConsumerPort | null = null;
  let connected: Promise<void> | null = null;
  /** The partitions this member owns now, by stat key. Replaced (not edited) on every assignment. */
  let owned = new Map<string, PartitionOffsets>();
  /** Between the start of a rebalance and the next assignment no commit is sent. */
  let rebalancing = true;
  /** The token of the current assignment, when writers of the flow fence by it (see `announceAssignment`). */
  let assignment: string | null = null;
  /**
   * Per partition, how often it was rewound after a failed message (`meta.rewinds`): a writer that
   * failed a message refuses every later one read before the rewind, and only those.
   */
  const rewinds = new Map<string, number>();
  /** Per partition, rewinds in a row without a message confirmed since (the pause grows). */
  const failingInARow = new Map<string, number>();
  let batchInFlight: Promise<void> | null = null;
  let commitTimer: NodeJS.Timeout | null = null;
  let committing: Promise<void> | null = null;
  let commitAgain = false;
  /** Messages confirmed since the last commit (commit early once `commitEveryMessages` are). */
  let confirmedSinceCommit = 0;
  let stopping = false;
  let closed = false;
  let unregisterControl: (() => void) | null = null;
  const lag: Record<string, number> = {};
  const lagSeconds: Record<string, number> = {};
  /** The partition end last seen, per stat key: lag is end − confirmed position. */
  const ends = new Map<string, bigint>();
  const committed: Record<string, number> = {};

  const publishLag = () => {
    stats.set('lag', { ...lag });
    stats.set('lagSeconds', { ...lagSeconds });
  };
  const publishCommitted = () => stats.set('committed', { ...committed });

  /** Lag of a partition: what is not yet confirmed by the flow, up to the partition's end. */
  const updateLag = (p: PartitionOffsets) => {
    const end = ends.get(p.key);
    const confirmed = p.committable() ?? p.committed;
    if (end === undefined || confirmed === null) return;
    lag[p.key] = Math.max(0, Number(end - confirmed));
  };

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
        confirmedSinceCommit = 0;
        try {
          await consumer.commit(batch.map(({ p, offset }) => ({ topic: p.topic, partition: p.partition, offset })));
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

  /** Commit after `commitIntervalMs`, or now once `commitEveryMessages` were confirmed. */
  const scheduleCommit = (confirmedCount: number) => {
    confirmedSinceCommit += confirmedCount;
    if (closed) return;
    if (config.commitIntervalMs === 0 || confirmedSinceCommit >= config.commitEveryMessages) {
      void flushCommits();
      return;
    }
    if (commitTimer) return;
    commitTimer = setTimeout(() => {
      commitTimer = null;
      void flushCommits();
    }, config.commitIntervalMs);
    commitTimer.unref();
  };

  /** Where the position owner (`positionsFrom`) says each newly assigned partition resumes. */
  const seekFromOwner = async (partitions: readonly TopicPartition[]) => {
    if (config.positionsFrom === undefined || partitions.length === 0) return;
    const owner = await positionOwnerOf(nodeCtx, config.positionsFrom);
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    for (const [topic, list] of byTopic) {
      const positions = await owner.resumeFrom(topic, list);
      for (const [partition, offset] of positions) {
        if (!list.includes(partition)) continue;
        consumer?.seek({ topic, partition, offset });
        log.info(`${topic}-${partition}: resumes at ${offset} (from ${config.positionsFrom})`);
      }
    }
  };

  /**
   * A message of a partition this member still owns failed (not confirmed: a store error, a write
   * fenced): read the partition again from the lowest unconfirmed offset (at or below the failed
   * one), never past it. The new tracker ignores the confirmations of what was read before; the
   * writers refuse what was read before and comes after the failure (a later message applied first
   * would leave a gap that position-guarded writers then skip). The partition pauses a little first.
   */
  const rewind = (key: string, tracker: PartitionOffsets) => {
    const c = consumer;
    if (!atLeastOnce || stopping || closed || c === null || owned.get(key) !== tracker) return;
    const from = tracker.committable();
    if (from === null) return;
    const next = new PartitionOffsets(tracker.topic, tracker.partition);
    next.committed = tracker.committed;
    next.skipTo(from);
    owned.set(key, next);
    const run = (rewinds.get(key) ?? 0) + 1;
    rewinds.set(key, run);
    const inARow = failingInARow.get(key) ?? 0;
    failingInARow.set(key, inARow + 1);
    const tp = { topic: tracker.topic, partition: tracker.partition };
    c.pause([tp]);
    c.seek({ ...tp, offset: from });
    stats.add('rewinds');
    const pause = backoffDelay(inARow, REWIND_PAUSE);
    log.warn(`${key}: a message failed; reads again from ${from} in ${pause} ms (rewind ${run})`);
    // Resumed whatever happened meanwhile: a pause left behind would hold the partition when it
    // is assigned again (a later rewind resuming early only shortens its pause).
    setTimeout(() => {
      if (!stopping) c.resume([tp]);
    }, pause).unref();
  };

  /** Bumped by every assignment: an earlier one still settling stops (it must not seek or claim late). */
  let assignments = 0;
  /**
   * The trackers of before whose confirmations the latest assignment carries over (by stat key):
   * one it superseded read nothing under its own, so the next one carries these instead.
   */
  let carrying = new Map<string, PartitionOffsets>();

  const onAssigned = async (partitions: readonly TopicPartition[], generation: number | null) => {
    const run = ++assignments;
    const superseded = () => run !== assignments || stopping;
    const next = new Map<string, PartitionOffsets>();
    /** Partitions kept through the rebalance (or a client restart): the tracker of before, and the new one. */
    const kept: { before: PartitionOffsets; p: PartitionOffsets }[] = [];
    for (const { topic, partition } of partitions) {
      const p = new PartitionOffsets(topic, partition);
      next.set(p.key, p);
      const before = carrying.get(p.key) ?? owned.get(p.key);
      if (before !== undefined && atLeastOnce && config.positionsFrom === undefined) kept.push({ before, p });
    }
    carrying = new Map(kept.map(({ before }) => [before.key, before]));
    // Stats of partitions this member gave away would only mislead.
    for (const record of [lag, lagSeconds, committed])
      for (const key of Object.keys(record)) if (!next.has(key)) delete record[key];
    owned = next;
    rebalancing = false;
    stats.set('partitions', next.size);
    stats.add('rebalances');
    publishLag();
    publishCommitted();
    log.info(
      `assigned ${next.size} partition(s)${generation === null ? '' : ` (generation ${generation})`}: ${[...next.keys()].join(', ') || 'none'}`,
    );
    // Writers that fence by partition epoch (the cache) claim the new epochs first, as close to the
    // assignment as can be: a claim made late (after a pause past the session) would take the
    // partitions from their new owner. The messages read under this assignment carry its token.
    const token = await announceAssignment(nodeCtx, config.groupId, partitions, generation);
    if (superseded()) return;
    assignment = token;
    // The group's commit of a kept partition can be behind what the flow confirmed: the commit failed
    // (the broker was away) or was not due yet, and messages under way (a sink riding out an outage)
    // are confirmed only now. Reading from it would hand all that on again: let those under way
    // settle (a little while), then resume where everything below is confirmed, and commit that.
    // (Had another member read the partition meanwhile and committed further, this re-reads what it
    // did — duplicates, never a loss.)
    const deadline = Date.now() + CARRY_WAIT_MS;
    while (kept.some(({ before }) => before.unconfirmed > before.failed) && Date.now() < deadline && !superseded())
      await delay(50);
    if (superseded()) return;
    carrying = new Map();
    const carried = kept.flatMap(({ before, p }) => {
      const offset = before.toCommit();
      return offset === null ? [] : [{ p, offset }];
    });
    for (const { p, offset } of carried) {
      consumer?.seek({ topic: p.topic, partition: p.partition, offset });
      p.skipTo(offset);
    }
    if (carried.length > 0) {
      log.info(
        `resumes ${carried.map(({ p, offset }) => `${p.key} at ${offset}`).join(', ')} (confirmed, not yet committed)`,
      );
      scheduleCommit(0);
    }
    await seekFromOwner(partitions);
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

  const handleBatch = async (
    ctx: SourceContext,
    batch: ConsumedBatch,
    control: BatchControl,
    batchSize: number,
  ): Promise<void> => {
    const { topic, partition } = batch;
    const signal = ctx.signal;
    const key = `${topic}-${partition}`;
    const tracker = owned.get(key);
    // A batch of a partition this member does not own (any more): it is read again by its owner.
    if (tracker === undefined) return;
    const token = assignment;
    const run = rewinds.get(key) ?? 0;
    const records = batch.records;
    const current = () => !signal.aborted && !stopping && control.isCurrent() && owned.get(key) === tracker;
    if (batch.highWatermark !== null) ends.set(key, batch.highWatermark);

    for (let i = 0; i < records.length; i += batchSize) {
      if (!current()) return;
      const slice = records.slice(i, i + batchSize);
      const last = slice[slice.length - 1]!;
      const end = i + batchSize >= records.length ? batch.end : BigInt(last.offset) + 1n;
      const good: FlowMessage[] = [];
      /** The lowest offset of `good` (the one its confirmation is tracked under). */
      let goodStart: bigint | null = null;
      const bad: { error: unknown; message: FlowMessage; offset: bigint }[] = [];
      for (const record of slice) {
        try {
          good.push({
            key: record.key === null ? null : record.key.toString('utf8'),
            // Sync codecs stay off the promise path (no extra turn per record).
            value: isAsyncCodec(codec) ? await decodeAsync(codec, record.value, signal) : codec.decode(record.value),
            headers: headersOf(record.headers),
            timestamp: record.timestamp,
            meta:
              token === null
                ? { topic, partition, offset: record.offset }
                : { topic, partition, offset: record.offset, assignment: token, rewinds: run },
          });
          goodStart ??= BigInt(record.offset);
        } catch (error) {
          if (signal.aborted) return; // stopped while the registry was away: read again next time
          bad.push({ error, message: rawMessage(record, topic, partition), offset: BigInt(record.offset) });
        }
      }

      let onGood: AckCallback | undefined;
      const onBad: (AckCallback | undefined)[] = [];
      if (atLeastOnce) {
        // Register every group before handing any on, so no commit can pass one that is not yet out.
        const confirm = (done: (ok: boolean) => boolean, count: number): AckCallback => {
          return (ok) => {
            if (!ok) {
              stats.add('unconfirmed');
              if (!signal.aborted) rewind(key, tracker);
            } else if (owned.get(key) === tracker) failingInARow.delete(key);
            if (done(ok) && owned.get(key) === tracker) {
              updateLag(tracker);
              publishLag();
              scheduleCommit(count);
            }
          };
        };
        if (goodStart !== null) onGood = confirm(tracker.track(goodStart, end), good.length);
        for (const b of bad) onBad.push(confirm(tracker.track(b.offset, end), 1));
        tracker.skipTo(end);
      } else {
        // At-most-once: the commit comes first; if it fails, nothing of this slice is sent on.
        if (rebalancing || consumer === null) return;
        await consumer.commit([{ topic, partition, offset: end }]);
        tracker.committed = end;
        tracker.skipTo(end);
        committed[key] = Number(end);
        publishCommitted();
      }

      let room: Promise<void> | undefined;
      try {
        if (good.length > 0) room = ctx.emit(good, onGood);
        for (let j = 0; j < bad.length; j++) await ctx.emitError(bad[j]!.error, bad[j]!.message, onBad[j]);
      } catch (error) {
        // The flow is stopping and refuses new batches: what was not taken is read again next time.
        if (signal.aborted || stopping) return;
        throw error;
      }

      const behind = batch.highWatermark === null ? 0 : Number(batch.highWatermark - end);
      updateLag(tracker);
      lagSeconds[key] = behind > 0 ? Math.max(0, (Date.now() - last.timestamp) / 1000) : 0;
      publishLag();

      if (room !== undefined) {
        // A promise from emit means a full queue downstream. While this batch waits, the client
        // gets no further batch of the partition handed over (it buffers a bounded amount at most);
        // if the wait lasts, pause the partition so it stops fetching while the flow catches up.
        const target = [{ topic, partition }];
        const brief = await settlesWithin(room, PAUSE_AFTER_MS);
        if (!brief) {
          consumer?.pause(target);
          stats.add('pauses');
        }
        try {
          if ((await waitForRoom(room, signal, () => control.heartbeat())) === 'aborted') return;
        } catch (error) {
          if (signal.aborted || stopping) return;
          if (isRebalanceError(error)) onRebalancing();
          throw error;
        } finally {
          if (!brief && !signal.aborted && !stopping) consumer?.resume(target);
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
        groupInstanceId: config.groupInstanceId ?? null,
        topics: config.topics,
        startFrom: config.startFrom === 'earliest' ? 'earliest' : 'latest',
        sessionTimeoutMs: config.sessionTimeoutMs,
      });
      consumer = c;
      let crashed: ((error: Error) => void) | undefined;
      const crash = new Promise<never>((_, reject) => (crashed = reject));
      crash.catch(() => undefined);
      unregisterControl = provideSourceControl(nodeCtx, {
        pause: (partitions) => c.pause(partitions.filter((tp) => owned.has(`${tp.topic}-${tp.partition}`))),
        resume: (partitions) => c.resume(partitions.filter((tp) => owned.has(`${tp.topic}-${tp.partition}`))),
        seek: (position) => {
          const key = `${position.topic}-${position.partition}`;
          const tracker = owned.get(key);
          if (tracker === undefined)
            throw new Error(`cannot seek ${key}: not assigned to this member of group "${config.groupId}"`);
          // First the tracker: no commit may pass what is about to be read again.
          const readUpTo = tracker.seek(position.offset);
          c.seek(position);
          stats.add('seeks');
          log.info(`${key}: seeks to ${position.offset} (had read up to ${readUpTo ?? 'nothing'})`);
          return readUpTo;
        },
        assigned: () => [...owned.values()].map((p) => ({ topic: p.topic, partition: p.partition })),
      });

      // A topic the broker is still creating (auto-create, or a producer that started at the same
      // time) is waited for a little; one that stays missing fails the start with its name.
      const subscribe = async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            await c.subscribe();
            return;
          } catch (error) {
            if (!c.isMissingTopic(error)) throw error;
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
        const missing = (await kafka.committedOffsets(config.groupId, config.topics))
          .filter((p) => p.offset === null)
          .map((p) => `${p.topic}-${p.partition}`);
        if (missing.length > 0)
          throw new Error(
            `group "${config.groupId}" has no committed offset for ${missing.join(', ')}, and Start from is "committed": choose earliest or latest to start it`,
          );
      };

      const start = async () => {
        if (config.startFrom === 'committed') await requireCommitted();
        await c.connect();
        await subscribe();
        await c.run({
          assigned: (partitions, generation) => onAssigned(partitions, generation),
          revoking: () => onRebalancing(),
          restarting: (error) => {
            if (signal.aborted || stopping) return;
            // The client restarts the consumer itself (and rejoins): what was not committed is read again.
            log.warn(`consumer restarts after: ${error.message}`);
            stats.add('restarts');
            onRebalancing();
          },
          failed: (error) => {
            if (signal.aborted || stopping) return;
            crashed?.(new Error(describeKafkaError(error, connection), { cause: error }));
          },
          batch: async (batch, control) => {
            const work = handleBatch(ctx, batch, control, batchSize);
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
      c.stopFetching();
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      stopping = true;
      unregisterControl?.();
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
        await c.close().catch((error: unknown) => log.warn(`disconnect failed: ${(error as Error).message}`));
      }
    },
  };
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
