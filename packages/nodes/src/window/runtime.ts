import { createMessage, defineNode, type FlowMessage, type Hold, type Output } from '@tributary/shared';
import { compileExpression, compileFunctionBody, NodeConfigError, userCodeError } from '../lib/compile.js';
import { durationMs } from '../lib/duration.js';
import { messagePosition, type Position } from '../lib/positions.js';
import { aggregation, AggregateError } from './aggregate.js';
import { DoneInputs, type DoneRecord } from './done-inputs.js';
import { windowManifest } from './manifest.js';

type Expr = (
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
) => unknown;
const PARAMS = ['msg', 'key', 'value', 'headers'];
const NUMERIC = new Set(['sum', 'min', 'max', 'avg']);

/** One input batch's share in the windows: its messages stay held until every window it fed is confirmed. */
interface BatchRef {
  messages: number;
  windows: number;
}

/** An input with a source position, in `windows` windows not yet confirmed (position finality). */
interface Input {
  readonly pos: Position;
  windows: number;
}

interface Win {
  key: string | null;
  start: number;
  /** Exclusive; for a session: last event time + gap. */
  end: number;
  state: unknown;
  count: number;
  holds: Hold[];
  refs: BatchRef[];
  /** The batch that last took a hold on this window (one hold per batch is enough). */
  batch: number;
  /** Changed since the last early result. */
  dirty: boolean;
  /** Position finality: the inputs with a position. */
  inputs: Input[];
}

/** What the node remembers across restarts (event-time tumbling and hopping windows). */
interface Finality {
  /** Every window ending at or before this was closed and its result confirmed. */
  through: number;
  /** Windows ending later whose result was confirmed too (confirmations may come out of order). */
  ids: [id: string, end: number][];
}

const windowId = (key: string | null, start: number, end: number) => `${key ?? ''}|${start}|${end}`;

function keyText(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

function eventTime(raw: unknown): number {
  const ms = raw instanceof Date ? raw.getTime() : typeof raw === 'string' ? Date.parse(raw) : Number(raw);
  if (!Number.isFinite(ms)) {
    throw Object.assign(new Error(`timestamp is not a time: ${JSON.stringify(raw) ?? typeof raw}`), {
      code: 'E_TIMESTAMP',
    });
  }
  return ms;
}

/**
 * The `window` handler: per-key tumbling, hopping and session windows over event or processing
 * time, with a watermark, late routing and held inputs (see the manifest's docs).
 *
 * @example
 * // config: { kind: 'tumbling', size: '1m', time: 'event', lateness: '5s', aggregate: 'count' }
 */
export const windowNode = defineNode(windowManifest, async (config, ctx) => {
  const size = durationMs(config.size);
  const slide = config.slide === undefined ? size : durationMs(config.slide);
  const gap = durationMs(config.gap);
  const lateness = durationMs(config.lateness);
  const idleTimeout = durationMs(config.idleTimeout);
  const early = config.early === undefined ? 0 : durationMs(config.early);
  const session = config.kind === 'session';
  const byEventTime = config.time === 'event';
  if (config.kind === 'hopping' && config.slide === undefined)
    throw new NodeConfigError('slide: hopping windows need a slide (how often a window starts)', 'slide');
  if (!session && size <= 0) throw new NodeConfigError('size: must be more than 0', 'size');
  if (session && gap <= 0) throw new NodeConfigError('gap: must be more than 0', 'gap');
  if (config.kind === 'hopping' && (slide <= 0 || slide > size))
    throw new NodeConfigError('slide: must be more than 0 and at most the size', 'slide');

  const file = (field: string) => ({ filename: `window:${ctx.nodeId}:${field}`, field });
  const keyOf: Expr | null = config.key === '' ? null : (compileExpression(config.key, PARAMS, file('key')) as Expr);
  const timeOf = compileExpression(config.timestamp, PARAMS, file('timestamp')) as Expr;
  const valueOf =
    config.aggregate === 'count' ? null : (compileExpression(config.value, PARAMS, file('value')) as Expr);
  let reduce: ((acc: unknown, value: unknown, msg: unknown) => unknown) | undefined;
  let initial: (() => unknown) | undefined;
  if (config.aggregate === 'reduce') {
    const compiled = compileFunctionBody(config.reduce, ['acc', 'value', 'msg'], file('reduce'));
    if (compiled.kind !== 'sync')
      throw new NodeConfigError('reduce: must be plain code (no await, no yield): it runs inside the window', 'reduce');
    reduce = compiled.fn as typeof reduce;
    initial = compileExpression(config.initial, [], file('initial')) as () => unknown;
  }
  const agg = aggregation(config.aggregate, { collectLimit: config.collectLimit, reduce, initial });

  // Finality survives restarts. Event-time tumbling and hopping windows are rebuilt alike from a
  // replay: their ids are remembered. Sessions and processing time are not: the inputs' positions are.
  const byId = byEventTime && !session;
  const store = ctx.openStore(`window:${ctx.nodeId}`);
  const loaded = (byId ? await store.get('finality') : undefined) as Finality | undefined;
  const done = byId ? null : new DoneInputs((await store.get('done')) as DoneRecord | undefined);
  /** Inputs by position (`done` where it is persisted, else in memory): what is held right now. */
  const inputs = done ?? new DoneInputs();
  /**
   * Batches holding a copy read again in this process (a rebalance that kept the partition, a
   * rewind) while the first copy is still in a window or an unconfirmed result: the copy is not
   * counted again, and is confirmed with the first.
   */
  const waiting = new Map<string, Hold[]>();
  const posKey = (pos: Position) => `${pos.topic}\u0000${pos.partition}\u0000${pos.offset}`;
  const takeWaiting = (pos: Position, into: Hold[]) => {
    const key = posKey(pos);
    const list = waiting.get(key);
    if (list === undefined) return;
    waiting.delete(key);
    into.push(...list);
  };
  /** These windows' results were confirmed: their inputs are done once in no other open window. */
  const confirmInputs = (wins: Win[], release: Hold[]) => {
    for (const win of wins)
      for (const input of win.inputs)
        if (--input.windows === 0 && inputs.finish(input.pos)) takeWaiting(input.pos, release);
  };
  /** Not delivered: the inputs are held nowhere now, and copies waiting on them fail with them. */
  const failInputs = (wins: Win[]) => {
    const failed: Hold[] = [];
    for (const win of wins)
      for (const input of win.inputs) {
        inputs.forget(input.pos);
        takeWaiting(input.pos, failed);
      }
    if (failed.length > 0) ctx.release(failed, false);
  };
  let finalThrough = loaded?.through ?? -Infinity;
  const finalIds = new Map<string, number>(loaded?.ids ?? []);
  /** Closed windows whose result is not confirmed yet (or was not delivered): id → end. */
  const unconfirmed = new Map<string, number>();
  let closedThrough = -Infinity;
  /** The earliest end of an open window, or less (session windows only grow). */
  let nextEnd = Infinity;

  const fixed = new Map<string, Win>();
  const sessions = new Map<string | null, Win[]>();
  let held = 0;
  let openCount = 0;
  let batchNo = 0;
  let maxEvent = -Infinity;
  let lastInputAt = Date.now();
  let floor = -Infinity;
  let waitEmit: Promise<void> | undefined;
  let roomWaiters: (() => void)[] = [];
  /** Waiting for room downstream: not idle (a slow sink must not move the watermark on). */
  let blocked = false;
  let closed = false;
  const stats = ctx.stats;

  const publish = () => {
    stats.set('held', held);
    stats.set('open', openCount);
  };
  publish();

  /** Highest event time seen − lateness; after an idle timeout it moves on with the wall clock. */
  const watermark = (): number => {
    const now = Date.now();
    if (!byEventTime) return now;
    if (maxEvent === -Infinity) return floor;
    let wm = maxEvent - lateness;
    const idle = blocked ? 0 : now - lastInputAt;
    if (idle >= idleTimeout) wm = Math.max(wm, maxEvent + idle - lateness);
    if (wm > floor) floor = wm;
    return floor;
  };

  const isFinal = (id: string, end: number) => end <= finalThrough || finalIds.has(id);

  // -------- persistence of finality: holds are released only after it is written --------
  let persisting: Promise<void> | null = null;
  let toRelease: Hold[] = [];
  const persist = () => {
    if (persisting !== null) return;
    persisting = (async () => {
      while (toRelease.length > 0) {
        const holds = toRelease;
        toRelease = [];
        try {
          if (done !== null) await store.put('done', done.toRecord());
          else
            await store.put('finality', {
              through: finalThrough,
              ids: [...finalIds].filter(([, end]) => end > finalThrough),
            } satisfies Finality);
          ctx.release(holds, true);
        } catch (error) {
          ctx.log.error(`could not record confirmed windows: ${(error as Error).message}`);
          ctx.release(holds, false);
        }
      }
    })().finally(() => {
      persisting = null;
    });
  };

  const settleRefs = (refs: BatchRef[]) => {
    for (const ref of refs) if (--ref.windows === 0) held -= ref.messages;
    publish();
    if (held < config.maxHeld && roomWaiters.length > 0) {
      const waiters = roomWaiters;
      roomWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  const resultOf = (win: Win, final: boolean): FlowMessage => {
    const id = windowId(win.key, win.start, win.end);
    return createMessage({
      key: win.key,
      value: {
        windowId: id,
        key: win.key,
        start: win.start,
        end: win.end,
        count: win.count,
        result: agg.result(win.state),
        final,
      },
      timestamp: win.end,
      meta: { windowId: id },
    });
  };

  const emit = (wait: Promise<void> | undefined) => {
    if (wait !== undefined)
      waitEmit = waitEmit === undefined ? wait : Promise.all([waitEmit, wait]).then(() => undefined);
  };

  /** Sends the results of closed windows as one batch; their inputs are confirmed with it. */
  const close = (wins: Win[]) => {
    openCount -= wins.length;
    stats.add('results', wins.length);
    const results = wins.map((win) => resultOf(win, true));
    const holds = wins.flatMap((win) => win.holds);
    const refs = wins.flatMap((win) => win.refs);
    if (done !== null) {
      // Inputs without a position (not from a partitioned log) have nothing to remember.
      if (!wins.some((win) => win.inputs.length > 0)) {
        emit(ctx.emitFrom(results, holds, undefined, () => settleRefs(refs)));
        return;
      }
      emit(
        ctx.emitFrom(results, [], undefined, (ok) => {
          settleRefs(refs);
          if (!ok) {
            ctx.release(holds, false);
            failInputs(wins);
            return;
          }
          confirmInputs(wins, toRelease);
          for (const hold of holds) toRelease.push(hold);
          persist();
        }),
      );
      return;
    }
    const ids = wins.map((win) => [windowId(win.key, win.start, win.end), win.end] as const);
    for (const [id, end] of ids) unconfirmed.set(id, end);
    emit(
      ctx.emitFrom(results, [], undefined, (ok) => {
        settleRefs(refs);
        if (!ok) {
          // Not delivered: its inputs are read again after a restart. It stays unconfirmed, so no
          // later confirmation moves finality past it (which would skip those inputs as replayed).
          ctx.release(holds, false);
          failInputs(wins);
          return;
        }
        confirmInputs(wins, toRelease);
        for (const [id] of ids) unconfirmed.delete(id);
        for (const [id, end] of ids) finalIds.set(id, end);
        let through = closedThrough;
        for (const pending of unconfirmed.values()) if (pending - 1 < through) through = pending - 1;
        if (through > finalThrough) finalThrough = through;
        for (const [known, knownEnd] of finalIds) if (knownEnd <= finalThrough) finalIds.delete(known);
        for (const hold of holds) toRelease.push(hold);
        persist();
      }),
    );
  };

  /** Closes every window the watermark passed, oldest end first. */
  const closeReady = (wm: number, all = false) => {
    if (!all && wm > closedThrough) closedThrough = wm;
    // Nothing ends by the watermark yet: skip the scan (`nextEnd` is never above the earliest end).
    if (!all && wm < nextEnd) return;
    const ready: Win[] = [];
    let earliest = Infinity;
    for (const [id, win] of fixed) {
      if (all || win.end <= wm) {
        ready.push(win);
        fixed.delete(id);
      } else if (win.end < earliest) earliest = win.end;
    }
    for (const [key, list] of sessions) {
      const keep = list.filter((win) => !(all || win.end <= wm) || (ready.push(win), false));
      for (const win of keep) if (win.end < earliest) earliest = win.end;
      if (keep.length === 0) sessions.delete(key);
      else if (keep.length !== list.length) sessions.set(key, keep);
    }
    nextEnd = earliest;
    if (ready.length === 0) return;
    ready.sort((a, b) => a.end - b.end);
    close(ready);
    publish();
  };

  const newWin = (key: string | null, start: number, end: number): Win => {
    openCount++;
    if (end < nextEnd) nextEnd = end;
    return { key, start, end, state: agg.init(), count: 0, holds: [], refs: [], batch: -1, dirty: false, inputs: [] };
  };

  /** The windows a message at `time` joins (creating them); empty when they all closed already. */
  const windowsFor = (key: string | null, time: number, wm: number): { wins: Win[]; late: boolean } => {
    if (session) {
      const list = sessions.get(key) ?? [];
      const touching = list.filter((w) => time > w.start - gap && time < w.end);
      if (touching.length === 0) {
        if (time + gap <= wm) return { wins: [], late: true };
        const win = newWin(key, time, time + gap);
        list.push(win);
        sessions.set(key, list);
        return { wins: [win], late: false };
      }
      // The message bridges (or extends) sessions: merge them into the first.
      const into = touching[0]!;
      for (const other of touching.slice(1)) {
        into.state = agg.merge(into.state, other.state);
        into.count += other.count;
        into.holds.push(...other.holds);
        into.refs.push(...other.refs);
        into.inputs.push(...other.inputs);
        into.start = Math.min(into.start, other.start);
        into.end = Math.max(into.end, other.end);
        openCount--;
      }
      if (touching.length > 1) sessions.set(key, [into, ...list.filter((w) => !touching.includes(w))]);
      into.start = Math.min(into.start, time);
      into.end = Math.max(into.end, time + gap);
      return { wins: [into], late: false };
    }
    const wins: Win[] = [];
    let late = false;
    let replayed = false;
    for (let start = Math.floor(time / slide) * slide; start > time - size; start -= slide) {
      const end = start + size;
      if (end <= wm) {
        late = true;
        continue;
      }
      const id = windowId(key, start, end);
      if (isFinal(id, end)) {
        replayed = true;
        continue;
      }
      let win = fixed.get(id);
      if (win === undefined) {
        win = newWin(key, start, end);
        fixed.set(id, win);
      }
      wins.push(win);
    }
    return { wins, late: wins.length === 0 && late && !replayed };
  };

  const tickMs = Math.max(
    20,
    Math.min(1_000, (session ? gap : slide) / 4, byEventTime ? idleTimeout / 2 : 1_000, early > 0 ? early : 1_000),
  );
  let lastEarly = Date.now();
  const timer = setInterval(() => {
    closeReady(watermark());
    if (early > 0 && Date.now() - lastEarly >= early) {
      lastEarly = Date.now();
      const dirty = [...fixed.values(), ...[...sessions.values()].flat()].filter((w) => w.dirty);
      for (const win of dirty) win.dirty = false;
      if (dirty.length > 0)
        emit(
          ctx.emitFrom(
            dirty.map((w) => resultOf(w, false)),
            [],
          ),
        );
    }
  }, tickMs);
  timer.unref();

  return {
    kind: 'processor',
    async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
      // Bounded: past Max held, wait for windows to close (the idle timeout moves the watermark on).
      while (held >= config.maxHeld && !closed) await new Promise<void>((resolve) => roomWaiters.push(resolve));
      const now = Date.now();
      lastInputAt = now;
      // Moved on message by message, so what is late does not depend on how the input was batched.
      let wm = watermark();
      const batchId = ++batchNo;
      const ref: BatchRef = { messages: 0, windows: 0 };
      let lateCount = 0;
      let replayedCount = 0;
      let rereadCount = 0;
      for (const msg of batch) {
        const pos = messagePosition(msg);
        if (pos !== null && done !== null && done.isDone(pos)) {
          // Read again after a restart, and already in a confirmed result.
          replayedCount++;
          continue;
        }
        if (pos !== null && inputs.isHeld(pos)) {
          // Read again in this process while the first copy is still held: counted once.
          const key = posKey(pos);
          const list = waiting.get(key);
          if (list === undefined) waiting.set(key, [out.hold()]);
          else list.push(out.hold());
          rereadCount++;
          continue;
        }
        let key: string | null;
        let time: number;
        let value: unknown;
        try {
          key = keyOf === null ? null : keyText(keyOf(msg, msg.key, msg.value, msg.headers));
          time = byEventTime ? eventTime(timeOf(msg, msg.key, msg.value, msg.headers)) : now;
          value = valueOf === null ? null : valueOf(msg, msg.key, msg.value, msg.headers);
          if (NUMERIC.has(config.aggregate) && !(typeof value === 'number' && Number.isFinite(value)))
            throw new AggregateError(
              `${config.aggregate} needs a finite number, got ${JSON.stringify(value) ?? typeof value}`,
            );
        } catch (error) {
          const wrapped =
            error instanceof AggregateError || (error as { code?: string }).code === 'E_TIMESTAMP'
              ? (error as Error)
              : userCodeError(error, `window:${ctx.nodeId}`, 'E_EXPRESSION_THREW');
          out.error(wrapped, msg);
          continue;
        }
        const { wins, late } = windowsFor(key, time, wm);
        if (wins.length === 0) {
          if (late) {
            out.push(msg, 'late');
            lateCount++;
          } else {
            replayedCount++;
          }
          continue;
        }
        if (time > maxEvent) {
          maxEvent = time;
          if (byEventTime && maxEvent - lateness > wm) wm = floor = maxEvent - lateness;
        }
        try {
          for (const win of wins) {
            win.state = agg.add(win.state, value, time, msg);
            win.count++;
            win.dirty = true;
            if (win.batch !== batchId) {
              win.batch = batchId;
              win.holds.push(out.hold());
              win.refs.push(ref);
              ref.windows++;
            }
          }
          ref.messages++;
          if (pos !== null) {
            const input: Input = { pos, windows: wins.length };
            inputs.take(pos);
            for (const win of wins) win.inputs.push(input);
          }
        } catch (error) {
          out.error(userCodeError(error, `window:${ctx.nodeId}:reduce`, 'E_REDUCE_THREW'), msg);
        }
      }
      if (lateCount > 0) stats.add('late', lateCount);
      if (replayedCount + rereadCount > 0) stats.add('replayed', replayedCount + rereadCount);
      if (replayedCount > 0) out.drop(replayedCount);
      if (ref.windows > 0) held += ref.messages;
      closeReady(watermark());
      publish();
      const wait = waitEmit;
      waitEmit = undefined;
      if (wait !== undefined) {
        blocked = true;
        await wait;
        blocked = false;
        lastInputAt = Date.now();
      }
    },
    endOfInput(): Promise<void> | undefined {
      closeReady(watermark(), true);
      const wait = waitEmit;
      waitEmit = undefined;
      return wait;
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      // Confirmed results still being recorded: their inputs are confirmed once that is written.
      while (persisting !== null) await persisting;
      const open = [...fixed.values(), ...[...sessions.values()].flat()];
      fixed.clear();
      sessions.clear();
      for (const win of open) ctx.release(win.holds, false);
      for (const list of waiting.values()) ctx.release(list, false);
      waiting.clear();
      for (const wake of roomWaiters) wake();
      roomWaiters = [];
    },
  };
});
