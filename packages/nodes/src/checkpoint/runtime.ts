import { defineNode, type FlowMessage, type NodeContext, type Output } from '@tributary/shared';
import { compileExpression, userCodeError } from '../lib/compile.js';
import { durationMs } from '../lib/duration.js';
import { sourceControlOf, sourceControlsIn, type SourceControl } from '../lib/positions.js';
import { checkpointManifest } from './manifest.js';
import { positionOf, RewindTracker, type RewindStep } from './rewind.js';

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

/** A position as status messages carry it (offsets as text, like `meta.offset`). */
const positionJson = (msg: FlowMessage) => {
  const { topic, partition, offset } = msg.meta;
  return topic === undefined ? null : { topic, partition, offset };
};

const partitionsText = (steps: readonly RewindStep[]) => steps.map((s) => `${s.topic}-${s.partition}`).join(', ');

/**
 * The running source that reads the partitions to rewind: the one named in `source`, else the one
 * source of the flow that owns them. Answers an error text when there is none (or several).
 */
async function controlFor(
  ctx: NodeContext,
  source: string | undefined,
  steps: readonly RewindStep[],
): Promise<SourceControl | string> {
  if (source !== undefined) {
    try {
      return await sourceControlOf(ctx, source, 5_000);
    } catch (error) {
      return `${(error as Error).message}: only a kafka-source can be rewound`;
    }
  }
  const owners = sourceControlsIn(ctx).filter(([, control]) => {
    const assigned = control.assigned();
    return steps.every((s) => assigned.some((tp) => tp.topic === s.topic && tp.partition === s.partition));
  });
  if (owners.length === 1) return owners[0]![1];
  return owners.length === 0
    ? `no running source of this flow reads ${partitionsText(steps)}: only a kafka-source can be rewound`
    : `several sources read ${partitionsText(steps)} (${owners.map(([id]) => id).join(', ')}): set Source to the one feeding this checkpoint`;
}

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
  /** Reprocess: where the messages passed after the last heartbeat begin, per partition. */
  const rewind = config.onRecovery === 'reprocess' ? new RewindTracker() : null;
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

  /** The rewind planned at a pause: the steps and the source to seek, or why it cannot be done. */
  const planRewind = async (
    paused: FlowMessage,
  ): Promise<{ steps: RewindStep[]; control: SourceControl | null; error: string | null }> => {
    if (rewind === null) return { steps: [], control: null, error: null };
    rewind.trim(pulse.marker ?? -Infinity);
    const { steps, positionless } = rewind.plan(positionOf(paused));
    const errors: string[] = [];
    if (positionless > 0)
      errors.push(
        `${positionless} message(s) without a Kafka position (meta topic/partition/offset) passed after the last heartbeat: they cannot be read again`,
      );
    let control: SourceControl | null = null;
    if (steps.length > 0) {
      const found = await controlFor(ctx, config.source, steps);
      if (typeof found === 'string') errors.push(found);
      else control = found;
    }
    return { steps, control, error: errors.length === 0 ? null : errors.join('; ') };
  };

  /** Seeks the source back; answers what is read again and any failure. */
  const rewindSource = (plan: Awaited<ReturnType<typeof planRewind>>) => {
    const done: RewindStep[] = [];
    const errors = plan.error === null ? [] : [plan.error];
    if (plan.control !== null && rewind !== null)
      for (const step of plan.steps) {
        try {
          const readUpTo = plan.control.seek({ topic: step.topic, partition: step.partition, offset: step.from });
          rewind.rewound(step, readUpTo);
          done.push(step);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    return { done, error: errors.length === 0 ? null : errors.join('; ') };
  };

  return {
    kind: 'processor',
    async process(batch: readonly FlowMessage[], out: Output): Promise<void> {
      /** Passed on but not yet handed over: what `out` collects goes only when `process` returns. */
      let passed: FlowMessage[] = [];
      let stale = 0;
      for (const msg of batch) {
        const position = rewind === null ? null : positionOf(msg);
        const seen = rewind === null ? 'new' : rewind.classify(position);
        if (seen === 'stale') {
          // Fetched before the rewind: the source reads it again, in order.
          stale++;
          continue;
        }
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
          const plan = await planRewind(msg);
          if (plan.error !== null) {
            stats.add('rewindErrors');
            ctx.log.error(`reprocess cannot rewind: ${plan.error}`);
          }
          status({
            state: 'down',
            checkpoint: config.name,
            dependencyTime: pulse.marker,
            dependentTime: time,
            behindSeconds: (time - pulse.marker) / 1000,
            position: positionJson(msg),
            at: downSince,
            ...(rewind === null
              ? {}
              : {
                  rewindTo: plan.steps.map((s) => ({ topic: s.topic, partition: s.partition, offset: String(s.from) })),
                  ...(plan.error === null ? {} : { rewindError: plan.error }),
                }),
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
          const rewound = rewindSource(plan);
          if (rewound.error !== null && rewound.error !== plan.error) {
            stats.add('rewindErrors');
            ctx.log.error(`reprocess cannot rewind: ${rewound.error}`);
          }
          status({
            state: 'recovered',
            checkpoint: config.name,
            dependencyTime: pulse.marker,
            downtimeSeconds: downtime / 1000,
            reprocessed: rewound.done.reduce((sum, s) => sum + s.count, 0),
            ...(rewind === null
              ? {}
              : {
                  rewound: rewound.done.map((s) => ({
                    topic: s.topic,
                    partition: s.partition,
                    from: String(s.from),
                    to: String(s.upTo),
                  })),
                  ...(rewound.error === null ? {} : { rewindError: rewound.error }),
                }),
            at: Date.now(),
          });
          // This message's partition was rewound: it comes again, after what is reprocessed.
          if (
            position !== null &&
            rewound.done.some((s) => s.topic === position.topic && s.partition === position.partition)
          ) {
            stale++;
            continue;
          }
        }
        if (seen === 'again') {
          stats.add('reprocessed');
          passed.push({ ...msg, meta: { ...msg.meta, reprocessed: true } });
        } else passed.push(msg);
        rewind?.passed(position, time);
      }
      if (stale > 0) out.drop(stale);
      for (const msg of passed) out.push(msg);
      rewind?.trim(pulse.marker ?? -Infinity);
    },
    close(): void {
      clearInterval(timer);
      closePulse(pulseKey, pulse);
    },
  };
});
