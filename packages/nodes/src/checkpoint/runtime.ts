import { defineNode, type FlowMessage, type Hold, type Output } from '@tributary/shared';
import { compileExpression, userCodeError } from '../lib/compile.js';
import { durationMs } from '../lib/duration.js';
import { checkpointManifest } from './manifest.js';

type Expr = (msg: FlowMessage, key: string | null, value: unknown) => unknown;

/** Where a dependency's heartbeat meets its dependents: one per flow and checkpoint name. */
interface Pulse {
  /** The dependency's highest event time (null until a heartbeat or the first dependent message). */
  marker: number | null;
  readonly waiters: Set<() => void>;
  users: number;
}
const pulses = new Map<string, Pulse>();

function openPulse(key: string): Pulse {
  let pulse = pulses.get(key);
  if (pulse === undefined) {
    pulse = { marker: null, waiters: new Set(), users: 0 };
    pulses.set(key, pulse);
  }
  pulse.users++;
  return pulse;
}

function closePulse(key: string, pulse: Pulse): void {
  if (--pulse.users === 0 && pulses.get(key) === pulse) pulses.delete(key);
}

function eventTime(raw: unknown): number {
  const ms = raw instanceof Date ? raw.getTime() : typeof raw === 'string' ? Date.parse(raw) : Number(raw);
  if (!Number.isFinite(ms))
    throw Object.assign(new Error(`event time is not a time: ${JSON.stringify(raw) ?? typeof raw}`), {
      code: 'E_TIMESTAMP',
    });
  return ms;
}

const positionOf = (msg: FlowMessage) => {
  const { topic, partition, offset } = msg.meta;
  return topic === undefined ? null : { topic, partition, offset };
};

/**
 * The `checkpoint` handler (slipstream's Checkpoint): a dependency role that records heartbeats,
 * and a dependent role that waits, inside `process`, while the dependency is behind — so its input
 * queue fills and its source stops reading (backpressure), with nothing buffered here.
 *
 * @example
 * // dependency: { name: 'prices', role: 'dependency', time: 'value.at' }
 * // dependent:  { name: 'prices', role: 'dependent', time: 'value.at', threshold: '5m' }
 */
export const checkpointNode = defineNode(checkpointManifest, (config, ctx) => {
  const filename = `checkpoint:${ctx.nodeId}`;
  const timeOf = compileExpression(config.time, ['msg', 'key', 'value'], { filename, field: 'time' }) as Expr;
  const pulseKey = `${ctx.flowId}\u0000${config.name}`;
  const pulse = openPulse(pulseKey);
  const stats = ctx.stats;
  const readTime = (msg: FlowMessage): number => {
    try {
      return eventTime(timeOf(msg, msg.key, msg.value));
    } catch (error) {
      throw (error as { code?: string }).code === 'E_TIMESTAMP'
        ? error
        : userCodeError(error, filename, 'E_EXPRESSION_THREW');
    }
  };

  if (config.role === 'dependency') {
    return {
      kind: 'processor',
      process(batch: readonly FlowMessage[], out: Output): void {
        for (const msg of batch) {
          let time: number;
          try {
            time = readTime(msg);
          } catch (error) {
            out.error(error, msg);
            continue;
          }
          if (pulse.marker === null || time > pulse.marker) pulse.marker = time;
          out.push(msg);
        }
        if (pulse.marker !== null) stats.set('heartbeat', pulse.marker);
        for (const wake of [...pulse.waiters]) wake();
      },
      close: () => closePulse(pulseKey, pulse),
    };
  }

  const threshold = durationMs(config.threshold);
  const reprocess = config.onRecovery === 'reprocess';
  /** Reprocess: messages passed on after the last heartbeat, each holding its input. */
  let kept: { msg: FlowMessage; time: number; hold: Hold }[] = [];
  let downSince: number | null = null;
  let downtimeMs = 0;
  let downtimes = 0;
  stats.set('down', 0);
  stats.set('downtimeSeconds', 0);

  const publishDowntime = () => {
    const ongoing = downSince === null ? 0 : Date.now() - downSince;
    stats.set('downtimeSeconds', Math.round((downtimeMs + ongoing) / 100) / 10);
  };
  const timer = setInterval(publishDowntime, 1_000);
  timer.unref();

  /**
   * Waits until the dependency has caught up with `time` (not merely come within the threshold,
   * which would flap down and up with every heartbeat of a dependency catching up); false when
   * the flow stops first.
   */
  const waitForPulse = (time: number): Promise<boolean> =>
    new Promise((resolve) => {
      const check = () => {
        if (ctx.signal.aborted) finish(false);
        else if (pulse.marker !== null && pulse.marker >= time) finish(true);
      };
      const finish = (ok: boolean) => {
        pulse.waiters.delete(check);
        ctx.signal.removeEventListener('abort', check);
        resolve(ok);
      };
      pulse.waiters.add(check);
      ctx.signal.addEventListener('abort', check);
      check();
    });

  const status = (value: Record<string, unknown>) => {
    // Sent at once (not with the batch, which is waiting): a flow can alert while the stream is paused.
    void ctx.emitFrom([{ key: config.name, value, headers: {}, timestamp: Date.now(), meta: {} }], [], 'status');
  };

  /** Confirms kept messages the heartbeat has caught up with (they saw a live dependency). */
  const trimKept = () => {
    const marker = pulse.marker;
    if (kept.length === 0 || marker === null) return;
    const done = kept.filter((k) => k.time <= marker);
    if (done.length === 0) return;
    kept = kept.filter((k) => k.time > marker);
    ctx.release(
      done.map((k) => k.hold),
      true,
    );
  };

  return {
    kind: 'processor',
    async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
      /** Passed on but not yet handed over: what `out` collects goes only when `process` returns. */
      let passed: FlowMessage[] = [];
      for (const msg of batch) {
        let time: number;
        try {
          time = readTime(msg);
        } catch (error) {
          out.error(error, msg);
          continue;
        }
        // The first pulse check: no heartbeat yet, so the dependency starts where the dependent is.
        if (pulse.marker === null) pulse.marker = time;
        stats.set('lagSeconds', Math.max(0, (time - pulse.marker) / 1000));
        if (time - pulse.marker > threshold) {
          // What passed before the pause goes on now, not when the pause ends (it holds this batch).
          if (passed.length > 0) {
            const wait = ctx.emitFrom(passed, [out.hold()]);
            passed = [];
            if (wait !== undefined) await wait;
          }
          downSince = Date.now();
          downtimes++;
          stats.set('down', 1);
          stats.set('downtimes', downtimes);
          status({
            state: 'down',
            checkpoint: config.name,
            dependencyTime: pulse.marker,
            dependentTime: time,
            behindSeconds: (time - pulse.marker) / 1000,
            position: positionOf(msg),
            at: downSince,
          });
          const live = await waitForPulse(time);
          if (!live) {
            // Stopping while paused: this batch is not confirmed, so its source reads it again.
            ctx.release([out.hold()], false);
            return;
          }
          const downtime = Date.now() - downSince;
          downtimeMs += downtime;
          downSince = null;
          stats.set('down', 0);
          publishDowntime();
          const again = reprocess ? kept : [];
          kept = [];
          status({
            state: 'recovered',
            checkpoint: config.name,
            dependencyTime: pulse.marker,
            downtimeSeconds: downtime / 1000,
            reprocessed: again.length,
            at: Date.now(),
          });
          if (again.length > 0) {
            stats.add('reprocessed', again.length);
            const copies = again.map((k) => ({ ...k.msg, meta: { ...k.msg.meta, reprocessed: true } }));
            const wait = ctx.emitFrom(
              copies,
              again.map((k) => k.hold),
            );
            if (wait !== undefined) await wait;
          }
        }
        passed.push(msg);
        if (reprocess && time > pulse.marker) {
          kept.push({ msg, time, hold: out.hold() });
          if (kept.length > config.maxReprocess) {
            const dropped = kept.splice(0, kept.length - config.maxReprocess);
            stats.add('notReprocessed', dropped.length);
            ctx.release(
              dropped.map((k) => k.hold),
              true,
            );
          }
        }
      }
      for (const msg of passed) out.push(msg);
      trimKept();
    },
    close(): void {
      clearInterval(timer);
      ctx.release(
        kept.map((k) => k.hold),
        false,
      );
      kept = [];
      closePulse(pulseKey, pulse);
    },
  };
});
