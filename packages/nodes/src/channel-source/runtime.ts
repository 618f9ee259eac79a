import { defineNode, type FlowMessage, type NodeContext, type SourceContext } from '@tributary/shared';
import { ChannelHttp, ChannelHttpError, channelConnectionOf } from '../connections/channel-client.js';
import { dialectFor, type ChannelRecord, type ConsumerHandle } from '../connections/channel-dialect.js';
import { PartitionOffsets } from '../kafka-source/offset-tracker.js';
import { codecFor } from '../lib/codecs.js';
import { channelSourceManifest } from './manifest.js';

/** On close, how long the last commit and the consumer's deletion may take. */
const CLOSE_TIMEOUT_MS = 10_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The `channel-source`: a consumer of a consumer group on an HTTP streaming service; commits, per
 * partition, only the offsets the flow confirmed (the kafka-source's PartitionOffsets keeps them).
 *
 * @example
 * // config: { connection: 'dxl', topics: ['case-mgmt-events'], group: 'cases', startFrom: 'earliest' }
 */
export const channelSourceNode = defineNode(channelSourceManifest, (config, nodeCtx: NodeContext) => {
  const connection = channelConnectionOf(nodeCtx, config.connection);
  const dialect = dialectFor(connection);
  const codec = codecFor(config.codec);
  const { log, stats } = nodeCtx;
  const http = new ChannelHttp(connection, log, stats);

  let handle: ConsumerHandle | null = null;
  let creating: Promise<ConsumerHandle> | null = null;
  const partitions = new Map<string, PartitionOffsets>();
  const committed: Record<string, number> = {};
  let inFlight = 0;
  let blocked: Promise<void> | null = null;
  let room: (() => void) | null = null;
  let commitTimer: NodeJS.Timeout | null = null;
  let committing: Promise<void> = Promise.resolve();

  const settings = {
    group: config.group,
    offset: config.startFrom,
    sessionTimeoutMs: config.sessionTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    extra: config.extraSettings,
  };

  /** Creates the consumer and subscribes it (again after a 404: the service forgot it). */
  const consumer = (signal: AbortSignal, forgotten?: ConsumerHandle): Promise<ConsumerHandle> => {
    if (handle !== null && handle !== forgotten) return Promise.resolve(handle);
    handle = null;
    creating ??= (async () => {
      const create = dialect.create(settings);
      const created = await http.send(create.request, signal);
      if (created.status === 404)
        throw new ChannelHttpError(`the service has no consumer path ${create.request.path} (404)`, 404, created.body);
      const id = create.handle(created.body);
      const subscribed = await http.send(dialect.subscribe(id, config.topics), signal);
      if (subscribed.status === 404)
        throw new ChannelHttpError('the new consumer vanished before it subscribed', 404, null);
      if (forgotten !== undefined) {
        stats.add('recreated');
        log.warn('the service had forgotten the consumer: created and subscribed again');
      }
      handle = id;
      return id;
    })().finally(() => (creating = null));
    return creating;
  };

  const tracker = (r: ChannelRecord): PartitionOffsets => {
    const key = `${r.topic}-${r.partition}`;
    let p = partitions.get(key);
    if (p === undefined) partitions.set(key, (p = new PartitionOffsets(r.topic, r.partition)));
    return p;
  };

  /** Commits every partition whose confirmed position moved; one commit at a time. */
  const commit = (signal: AbortSignal): Promise<void> => {
    const run = async () => {
      const due = [...partitions.values()].flatMap((p) => {
        const next = p.toCommit();
        return next === null ? [] : [{ p, next }];
      });
      if (due.length === 0) return;
      // The dialects name the last confirmed record itself (the service adds one).
      const offsets = due.map(({ p, next }) => ({ topic: p.topic, partition: p.partition, offset: next - 1n }));
      for (let attempt = 0; attempt < 2; attempt++) {
        const id = await consumer(signal);
        const answer = await http.send(dialect.commit(id, offsets), signal);
        if (answer.status === 404) {
          await consumer(signal, id);
          continue;
        }
        for (const { p, next } of due) {
          if (p.committed === null || next > p.committed) p.committed = next;
          committed[p.key] = Number(next - 1n);
        }
        stats.set('committed', { ...committed });
        return;
      }
    };
    committing = committing.then(run).catch((error: unknown) => {
      if (signal.aborted) return;
      stats.add('commitErrors');
      log.warn(`commit failed, will try again: ${(error as Error).message}`);
    });
    return committing;
  };

  const scheduleCommit = (signal: AbortSignal) => {
    if (commitTimer !== null || signal.aborted) return;
    commitTimer = setTimeout(() => {
      commitTimer = null;
      void commit(signal);
    }, config.commitIntervalMs);
  };

  const confirmed = (count: number) => {
    inFlight -= count;
    stats.set('inFlight', inFlight);
    const wake = room;
    room = null;
    wake?.();
  };

  const emitRecords = (ctx: SourceContext, records: ChannelRecord[]) => {
    const good: FlowMessage[] = [];
    const goodDone: ((ok: boolean) => boolean)[] = [];
    const waits: Promise<void>[] = [];
    const now = Date.now();
    // One confirmation group per partition of the poll; records are in offset order per partition.
    const ranges = new Map<PartitionOffsets, { start: bigint; end: bigint; count: number }>();
    for (const r of records) {
      const meta = { topic: r.topic, partition: r.partition, offset: r.offset.toString() };
      try {
        const value = codec.decode(r.payload);
        good.push({ key: r.key, value, headers: r.headers, timestamp: now, meta });
        const p = tracker(r);
        const range = ranges.get(p);
        if (range === undefined) ranges.set(p, { start: r.offset, end: r.offset + 1n, count: 1 });
        else {
          if (r.offset < range.start) range.start = r.offset;
          if (r.offset + 1n > range.end) range.end = r.offset + 1n;
          range.count++;
        }
      } catch (error) {
        const done = tracker(r).track(r.offset, r.offset + 1n);
        inFlight++;
        const raw = r.payload === null ? null : r.payload.toString('base64');
        const wait = ctx.emitError(
          error,
          { key: r.key, value: raw, headers: r.headers, timestamp: now, meta: { ...meta, valueEncoding: 'base64' } },
          (ok) => {
            confirmed(1);
            if (done(ok)) scheduleCommit(ctx.signal);
          },
        );
        if (wait) waits.push(wait);
      }
    }
    for (const [p, range] of ranges) goodDone.push(p.track(range.start, range.end));
    if (good.length > 0) {
      inFlight += good.length;
      const wait = ctx.emit(good, (ok) => {
        confirmed(good.length);
        let moved = false;
        for (const done of goodDone) moved = done(ok) || moved;
        if (moved) scheduleCommit(ctx.signal);
      });
      if (wait) waits.push(wait);
    }
    stats.set('inFlight', inFlight);
    if (waits.length > 0)
      blocked = Promise.all(waits).then(() => {
        blocked = null;
      });
  };

  return {
    kind: 'source',
    async run(ctx: SourceContext) {
      const signal = ctx.signal;
      await consumer(signal);
      log.info(`consuming ${config.topics.join(', ')} as group ${config.group} from ${connection.url}`);
      while (!signal.aborted) {
        if (blocked) await blocked;
        if (inFlight >= config.maxInFlight) {
          await new Promise<void>((resolve) => {
            room = resolve;
            signal.addEventListener('abort', () => resolve(), { once: true });
          });
          continue;
        }
        let records: ChannelRecord[];
        try {
          const id = await consumer(signal);
          const poll = dialect.records(id);
          const answer = await http.send(poll.request, signal);
          stats.add('polls');
          if (answer.status === 404) {
            await consumer(signal, id);
            continue;
          }
          records = poll.parse(answer.body);
        } catch (error) {
          if (signal.aborted) break;
          const status = (error as ChannelHttpError).status;
          // A permanent refusal (400, 401 without login, 409 …) will not fix itself: the source fails.
          if (error instanceof ChannelHttpError && status >= 400 && status < 500 && status !== 408 && status !== 429)
            throw error;
          log.warn(`poll failed, trying again: ${(error as Error).message}`);
          await sleep(Math.max(config.waitBetweenPollsMs, 1000), signal);
          continue;
        }
        if (records.length === 0) {
          stats.add('emptyPolls');
          await sleep(config.waitBetweenPollsMs, signal);
          continue;
        }
        emitRecords(ctx, records);
        if (config.commitIntervalMs === 0) void commit(signal);
      }
    },
    async close() {
      if (commitTimer !== null) clearTimeout(commitTimer);
      commitTimer = null;
      const signal = AbortSignal.timeout(CLOSE_TIMEOUT_MS);
      // The engine has answered every batch by now: commit what was confirmed, then leave the group.
      await commit(signal);
      if (handle !== null) {
        try {
          await http.send(dialect.remove(handle), signal);
        } catch (error) {
          log.warn(
            `could not delete the consumer (the service expires it after its session timeout): ${(error as Error).message}`,
          );
        }
      }
      await http.close();
    },
  };
});
