import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { durationField } from '../lib/duration.js';
import { ui } from '../lib/schema.js';

export const WINDOW_KINDS = ['tumbling', 'hopping', 'session'] as const;
export const AGGREGATIONS = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'collect', 'reduce'] as const;

const DOCS = `
Groups messages by key into time windows and sends **one result per key and window** when the window
closes.

- **Tumbling**: back-to-back windows of *Size* (every minute). **Hopping**: windows of *Size* that
  start every *Slide* (a 5 m window every 1 m: a message is in five windows). **Session**: a window
  per burst of activity, closed after *Gap* without a message for the key.
- **Time**: *event* time reads each message's own time (*Timestamp*, default \`msg.timestamp\`);
  *processing* time uses the clock when the message arrives.
- **Watermark** (event time): the highest event time seen minus *Allowed lateness*. A window closes
  when the watermark passes its end. When no message arrives for *Idle timeout*, the watermark moves
  on with the wall clock, so the last windows of a quiet or replayed stream still close.
- **Late** messages (their window already closed) go to the **late** port and are counted (\`late\`),
  never dropped silently.
- **Result** (\`value\`): \`{ windowId, key, start, end, count, result, final }\`, \`start\`/\`end\` in ms
  since the epoch, \`windowId\` = key + start + end (upsert on it downstream). With *Early results*
  set, open windows also send their current result that often, marked \`final: false\`.
- **Aggregation** of *Value* (an expression, default \`value\`): count, sum, min, max, avg, first,
  last (by event time), collect (up to *Collect limit* values) or your own *Reduce*
  (\`acc\`, \`value\`, \`msg\` in scope, returns the new \`acc\`; starts from *Initial*).

**Delivery.** A window keeps its input messages unconfirmed until its result is confirmed by the
sinks, so a crash loses nothing: the source reads the open windows' messages again. What was
already in a confirmed result is remembered in the flow's data folder, so messages read again after
a crash are counted as \`replayed\` and skipped, never counted twice or in a partial result:
event-time tumbling and hopping windows remember the ids of their confirmed windows; session and
processing-time windows (which a replay cannot rebuild alike) remember their inputs' positions
(topic/partition/offset: from a kafka-source or channel-source; inputs without one are not
recognised when read again). Within one run, a message read again while the first copy is still
held (a rebalance that kept the partition, a rewind after a failed message) is not counted again
either: it is counted as \`replayed\` and confirmed with the window that holds the first copy. The
node shows how many input messages it holds (\`held\`); *Max held* bounds it (memory, and sources that
limit unconfirmed messages): when it is reached, the oldest windows close early.

A result's timestamp is its window's end. Written to Kafka, records are deleted by that time under
the topic's retention: for a replay of old data, set the kafka-sink's *Record time* to \`write\`.

When every source of the flow has finished (a file, a sequence), the open windows close and send
their results.
`.trim();

const expression = (label: string, description: string, placeholder: string, order: number) =>
  z
    .string()
    .trim()
    .describe(description)
    .meta(ui({ label, widget: 'code', language: 'javascript', placeholder, order }));

export const windowManifest = defineManifest({
  type: 'window',
  typeVersion: 1,
  kind: 'handler',
  label: 'Window',
  description: 'Aggregates messages per key over tumbling, hopping or session windows (event or processing time)',
  category: 'transform',
  inputs: [{ name: 'in' }],
  outputs: [
    { name: 'out', label: 'results', description: 'One message per key and window' },
    { name: 'late', label: 'late', description: 'Messages whose window had already closed' },
  ],
  docs: DOCS,
  maxHeld: (config) => config.maxHeld as number,
  config: z.strictObject({
    kind: z
      .enum(WINDOW_KINDS)
      .default('tumbling')
      .describe('tumbling: back to back; hopping: overlapping, one every slide; session: closed after a gap')
      .meta(ui({ label: 'Window', widget: 'select', order: 1 })),
    size: durationField('Size', 'How long each tumbling or hopping window lasts', { order: 2 }).default('1m'),
    slide: durationField('Slide', 'Hopping: how often a new window starts', { order: 3 }).optional(),
    gap: durationField('Gap', 'Session: the silence after which a session closes', { order: 4 }).default('30s'),
    key: expression('Key', 'Expression of the grouping key (empty: one window for all messages)', 'key', 5).default(
      'key',
    ),
    time: z
      .enum(['event', 'processing'])
      .default('event')
      .describe("event: the message's own time (Timestamp); processing: the clock when it arrives")
      .meta(ui({ label: 'Time', widget: 'select', order: 6 })),
    timestamp: expression(
      'Timestamp',
      'Event time: expression of the event time (ms since the epoch, a Date, or an ISO text)',
      'msg.timestamp',
      7,
    ).default('msg.timestamp'),
    lateness: durationField('Allowed lateness', 'Event time: how far behind the highest event time a message may be', {
      order: 8,
    }).default('0s'),
    idleTimeout: durationField(
      'Idle timeout',
      'Event time: after this long without input the watermark moves on with the wall clock',
      { order: 9 },
    ).default('10s'),
    aggregate: z
      .enum(AGGREGATIONS)
      .default('count')
      .describe('What each window computes over Value')
      .meta(ui({ label: 'Aggregation', widget: 'select', order: 10 })),
    value: expression('Value', 'Expression aggregated (sum, min, max, avg need a number)', 'value', 11).default(
      'value',
    ),
    collectLimit: z
      .int()
      .min(1)
      .max(100_000)
      .default(1_000)
      .describe('collect: most values kept per window (the rest are counted, not kept)')
      .meta(ui({ label: 'Collect limit', order: 12, advanced: true })),
    reduce: z
      .string()
      .default('return acc + value;')
      .describe('reduce: JavaScript body with acc, value and msg in scope; returns the new acc')
      .meta(ui({ label: 'Reduce', widget: 'code', language: 'javascript', order: 13 })),
    initial: expression('Initial', 'reduce: expression of the starting acc', '0', 14).default('0'),
    early: durationField('Early results', 'Also send the current result of open windows this often (final: false)', {
      order: 15,
      advanced: true,
    }).optional(),
    maxHeld: z
      .int()
      .min(1)
      .max(10_000_000)
      .default(100_000)
      .describe('Most input messages held unconfirmed; when reached, the oldest windows close early')
      .meta(ui({ label: 'Max held', order: 16, advanced: true })),
  }),
});
