import { defineNode, EMPTY_HEADERS, EMPTY_META, type SourceContext } from '@tributary/shared';
import { sleep } from '../lib/pacing.js';
import { timerManifest } from './manifest.js';

/** The value of a timer message. */
export interface TimerTick {
  /** 1 for the first tick, then 2, 3 … */
  tick: number;
  /** When the tick fired, ms since the epoch. */
  timestamp: number;
}

/**
 * The `timer` source: ticks on the schedule start + k × interval (no drift), skipping slots it
 * missed while the flow held it back.
 *
 * @example
 * // config: { intervalMs: 5000 } → { tick: 1, timestamp: … } at once, then every 5 s
 */
export const timerNode = defineNode(timerManifest, (config) => ({
  kind: 'source',
  async run(ctx: SourceContext): Promise<void> {
    const { intervalMs, immediate } = config;
    const total = config.count ?? Infinity;
    const key = config.key ?? null;
    const signal = ctx.signal;
    const origin = performance.now();
    let slot = immediate ? 0 : 1;
    let tick = 0;
    let skipped = 0;
    while (tick < total && !signal.aborted) {
      // A loop, because a timer may fire a little early.
      for (let wait = origin + slot * intervalMs - performance.now(); wait > 0 && !signal.aborted;) {
        await sleep(wait, signal);
        wait = origin + slot * intervalMs - performance.now();
      }
      if (signal.aborted) break;
      const timestamp = Date.now();
      tick++;
      const value: TimerTick = { tick, timestamp };
      await ctx.emit([{ key, value, headers: EMPTY_HEADERS, timestamp, meta: EMPTY_META }]);
      // The next slot still ahead of us; slots that passed while emit waited are skipped.
      const due = Math.floor((performance.now() - origin) / intervalMs) + 1;
      const next = Math.max(slot + 1, due);
      if (next > slot + 1) {
        skipped += next - slot - 1;
        ctx.stats.set('skipped', skipped);
      }
      slot = next;
    }
  },
}));
