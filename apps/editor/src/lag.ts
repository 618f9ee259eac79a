import type { NodeStats } from '@tributary/shared';
import { compact } from './format.js';
import { seconds } from './units.js';

/** A source's consumer lag: messages behind (all partitions) and the age of the last record read. */
export interface SourceLag {
  messages: number;
  /** Undefined when the source does not report it. */
  seconds: number | undefined;
}

type Custom = NodeStats['custom'][string] | undefined;

function fold(value: Custom, combine: (a: number, b: number) => number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  let out: number | undefined;
  for (const v of Object.values(value)) if (Number.isFinite(v)) out = out === undefined ? v : combine(out, v);
  // A source that owns no partition yet reports `{}`: that is "no lag known", not zero.
  return out;
}

/**
 * The lag a source reports in its custom stats: `lag` (per partition, or one number) is summed,
 * `lagSeconds` takes the worst partition (the flow is as late as its slowest partition).
 */
export function sourceLag(stats: Pick<NodeStats, 'custom'> | undefined): SourceLag | undefined {
  if (!stats) return undefined;
  const messages = fold(stats.custom.lag, (a, b) => a + b);
  if (messages === undefined) return undefined;
  return { messages, seconds: fold(stats.custom.lagSeconds, Math.max) };
}

/** The line on a source node: "lag 1.2k msgs · 4.5s" (no seconds when the source has none). */
export function lagText(lag: SourceLag): string {
  return `lag ${compact(lag.messages)} msgs${lag.seconds === undefined ? '' : ` · ${seconds(lag.seconds)}`}`;
}
