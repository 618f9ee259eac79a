/**
 * The aggregations a window computes, as small state machines: `add` folds one value in, `merge`
 * joins two partial states (session windows that a message bridges), `result` is what is sent.
 */
import type { AGGREGATIONS } from './manifest.js';

export type AggregationName = (typeof AGGREGATIONS)[number];

export interface Aggregation {
  /** A fresh state for a new window. */
  init(): unknown;
  /** Folds one message in; throws for a value the aggregation cannot take (the message goes to the error port). */
  add(state: unknown, value: unknown, time: number, msg: unknown): unknown;
  merge(a: unknown, b: unknown): unknown;
  result(state: unknown): unknown;
}

export interface AggregationOptions {
  collectLimit: number;
  /** reduce: the user's function and starting value. */
  reduce?: (acc: unknown, value: unknown, msg: unknown) => unknown;
  initial?: () => unknown;
}

/** A value that cannot be aggregated; reported with the message on the error port. */
export class AggregateError extends Error {
  readonly code = 'E_AGGREGATE';
}

function number(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  throw new AggregateError(`${name} needs a finite number, got ${JSON.stringify(value) ?? typeof value}`);
}

interface Timed {
  time: number;
  value: unknown;
}
interface Collected {
  values: { time: number; value: unknown }[];
  dropped: number;
}

/**
 * The aggregation of a name.
 *
 * @example
 * const sum = aggregation('sum', { collectLimit: 10 });
 * sum.result(sum.add(sum.add(sum.init(), 2, 0, null), 3, 0, null)) // 5
 */
export function aggregation(name: AggregationName, options: AggregationOptions): Aggregation {
  switch (name) {
    case 'count':
      return {
        init: () => 0,
        add: (s) => (s as number) + 1,
        merge: (a, b) => (a as number) + (b as number),
        result: (s) => s,
      };
    case 'sum':
      return {
        init: () => 0,
        add: (s, v) => (s as number) + number(v, 'sum'),
        merge: (a, b) => (a as number) + (b as number),
        result: (s) => s,
      };
    case 'min':
    case 'max': {
      const pick = name === 'min' ? Math.min : Math.max;
      return {
        init: () => null,
        add: (s, v) => (s === null ? number(v, name) : pick(s as number, number(v, name))),
        merge: (a, b) => (a === null ? b : b === null ? a : pick(a as number, b as number)),
        result: (s) => s,
      };
    }
    case 'avg':
      return {
        init: () => ({ sum: 0, n: 0 }),
        add: (s, v) => {
          const { sum, n } = s as { sum: number; n: number };
          return { sum: sum + number(v, 'avg'), n: n + 1 };
        },
        merge: (a, b) => {
          const x = a as { sum: number; n: number };
          const y = b as { sum: number; n: number };
          return { sum: x.sum + y.sum, n: x.n + y.n };
        },
        result: (s) => {
          const { sum, n } = s as { sum: number; n: number };
          return n === 0 ? null : sum / n;
        },
      };
    case 'first':
    case 'last': {
      // By event time; on a tie the earlier arrival is first and the later arrival is last.
      const better =
        name === 'first' ? (t: number, old: Timed) => t < old.time : (t: number, old: Timed) => t >= old.time;
      return {
        init: () => null,
        add: (s, value, time) => (s === null || better(time, s as Timed) ? { time, value } : s),
        merge: (a, b) => (a === null ? b : b === null ? a : better((b as Timed).time, a as Timed) ? b : a),
        result: (s) => (s === null ? null : (s as Timed).value),
      };
    }
    case 'collect': {
      const limit = options.collectLimit;
      const take = (into: Collected, value: unknown, time: number) => {
        if (into.values.length < limit) into.values.push({ time, value });
        else into.dropped++;
      };
      return {
        init: (): Collected => ({ values: [], dropped: 0 }),
        add: (s, value, time) => {
          take(s as Collected, value, time);
          return s;
        },
        merge: (a, b) => {
          const into = a as Collected;
          for (const item of (b as Collected).values) take(into, item.value, item.time);
          into.dropped += (b as Collected).dropped;
          return into;
        },
        // In event-time order, whatever order the messages came in.
        result: (s) => [...(s as Collected).values].sort((x, y) => x.time - y.time).map((item) => item.value),
      };
    }
    case 'reduce': {
      const reduce = options.reduce;
      const initial = options.initial;
      if (reduce === undefined || initial === undefined) throw new Error('reduce needs its function and initial value');
      return {
        init: () => initial(),
        add: (s, value, _time, msg) => reduce(s, value, msg),
        // A bridged session: the second part's result is folded into the first as one value.
        merge: (a, b) => reduce(a, b, null),
        result: (s) => s,
      };
    }
  }
}
