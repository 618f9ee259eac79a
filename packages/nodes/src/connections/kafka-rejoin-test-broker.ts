/**
 * The rejoin scenario both Kafka adapter tests share: a 2-partition topic of 3,000 records each, two
 * members of one group, and what the first member hands on as current after its second assignment.
 * Test-only (excluded from the build with the other `*-test-broker.ts` helpers).
 */
import { expect } from 'vitest';
import type { BatchControl, ConsumedBatch, ConsumerHandlers, ConsumerPort, ConsumerSettings } from './kafka-port.js';
import { createTopic, eventually, produce, uniqueName } from './kafka-test-broker.js';

/** Records per partition the scenario's topic starts with. */
const REJOIN_RECORDS = 3000;

/** First and last offset of a batch a member handed on as current. */
export interface HandedOn {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

const handedOn = (batch: ConsumedBatch): HandedOn => ({
  partition: batch.partition,
  first: Number(batch.records[0]!.offset),
  last: Number(batch.records.at(-1)!.offset),
});

/** Creates the topic and a group for it; `settings` are what both members use. */
export async function rejoinTopic(prefix: string): Promise<{ topic: string; settings: ConsumerSettings }> {
  const topic = uniqueName(prefix);
  await createTopic(topic, 2);
  const records = (partition: number) =>
    Array.from({ length: REJOIN_RECORDS }, (_, i) => ({ value: String(i), partition }));
  await produce(topic, [...records(0), ...records(1)]);
  const settings = {
    groupId: uniqueName('g'),
    groupInstanceId: null,
    topics: [topic],
    startFrom: 'earliest',
    sessionTimeoutMs: 10_000,
  } as const;
  return { topic, settings };
}

/** Handlers that only report assignments; the test gives `batch`. */
export function reportAssignments(
  assigned: (partitions: readonly { partition: number }[]) => void,
): Omit<ConsumerHandlers, 'batch'> {
  return {
    assigned: (partitions) => {
      assigned(partitions);
      return Promise.resolve();
    },
    revoking: () => undefined,
    restarting: () => undefined,
    failed: () => undefined,
  };
}

/**
 * The first member's batch handler: its first batch waits on `hold`; after its second assignment,
 * what it hands on as current is kept in `after`.
 */
export function firstMember(assignments: readonly unknown[], hold: (control: BatchControl) => Promise<void>) {
  const after: HandedOn[] = [];
  let batches = 0;
  return {
    after,
    holding: () => batches >= 1,
    batch: async (batch: ConsumedBatch, control: BatchControl): Promise<void> => {
      if (batches++ === 0) await hold(control);
      if (assignments.length >= 2 && control.isCurrent() && batch.records.length > 0) after.push(handedOn(batch));
    },
  };
}

/** Starts the second member; its join may complete only once the first has joined again. */
export async function joinSecond(b: ConsumerPort): Promise<void> {
  await b.connect();
  await b.subscribe();
  await b.run({ ...reportAssignments(() => undefined), batch: () => Promise.resolve() });
}

/**
 * The first member kept one partition; it is read to its end and on through a record written now
 * (it comes after anything read again: once it is handed on, all before it was); nothing of the
 * partition given away is handed on as current; reading starts at `from` and never jumps back.
 */
export async function expectKeptPartitionInOrder(
  after: readonly HandedOn[],
  topic: string,
  assignments: readonly (readonly number[])[],
  from: number,
): Promise<void> {
  const kept = assignments.at(-1)!;
  expect(kept).toHaveLength(1);
  const end = REJOIN_RECORDS - 1;
  await eventually('the kept partition read to its end', () => after.some((x) => x.last === end), 30_000);
  await produce(topic, [{ value: String(REJOIN_RECORDS), partition: kept[0]! }]);
  await eventually('the record written last', () => after.some((x) => x.last === REJOIN_RECORDS), 30_000);
  expect(after.map((x) => x.partition).filter((p) => p !== kept[0])).toEqual([]);
  const mine = after.filter((x) => x.partition === kept[0]);
  expect(mine[0]!.first).toBe(from);
  for (let i = 1; i < mine.length; i++) expect(mine[i]!.first).toBe(mine[i - 1]!.last + 1);
}
