/**
 * Records the `@platformatic/kafka` stream pushed and the adapter has not handed on yet, per
 * partition, already in the port's shape.
 *
 * Each record is converted the moment the stream pushes it, while the client's message object is
 * still fresh, and that object is dropped at once. Kept as they came, all the message objects of a
 * fetch (up to ~200,000, each with a header Map, a commit closure and two bigints) lived until
 * handed on, survived into the old generation of the heap and were read again later from memory.
 */
import type { Message } from '@platformatic/kafka';
import { EMPTY_HEADERS } from '@tributary/shared';
import type { ConsumedRecord } from './kafka-port.js';

export type ClientRecord = Message<Buffer, Buffer, Buffer, Buffer>;

export const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

/** One partition's waiting records, in fetch order. */
export interface PartitionRecords {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: ConsumedRecord[];
}

function toConsumed(r: ClientRecord): ConsumedRecord {
  let headers: Readonly<Record<string, string>> = EMPTY_HEADERS;
  if (r.headers.size > 0) {
    const named: Record<string, string> = {};
    for (const [name, value] of r.headers) named[name.toString('utf8')] = value.toString('utf8');
    headers = named;
  }
  return {
    key: r.key ?? null,
    value: r.value ?? null,
    headers,
    timestamp: Number(r.timestamp),
    offset: r.offset.toString(),
  };
}

/**
 * @example
 * const fetched = new FetchedRecords();
 * stream.on('data', (record) => fetched.add(record));
 * for (const part of fetched.takeAll()) deliver(part.topic, part.partition, part.records);
 */
export class FetchedRecords {
  private parts = new Map<string, PartitionRecords>();
  /** The partition of the last record: a fetch pushes each partition's records as one run. */
  private last: PartitionRecords | null = null;
  private count = 0;

  /** Records waiting, all partitions together. */
  get size(): number {
    return this.count;
  }

  add(r: ClientRecord): void {
    let part = this.last;
    if (part === null || part.partition !== r.partition || part.topic !== r.topic) {
      const key = keyOf(r.topic, r.partition);
      part = this.parts.get(key) ?? null;
      if (part === null) this.parts.set(key, (part = { key, topic: r.topic, partition: r.partition, records: [] }));
      this.last = part;
    }
    part.records.push(toConsumed(r));
    this.count++;
  }

  /** Everything waiting, per partition in order of first arrival; the buffer is empty after. */
  takeAll(): PartitionRecords[] {
    const parts = [...this.parts.values()];
    this.clear();
    return parts;
  }

  /** Drops what waits for one partition (a seek moved it). */
  drop(key: string): void {
    const part = this.parts.get(key);
    if (part === undefined) return;
    this.parts.delete(key);
    this.count -= part.records.length;
    if (this.last === part) this.last = null;
  }

  clear(): void {
    this.parts = new Map();
    this.last = null;
    this.count = 0;
  }
}
