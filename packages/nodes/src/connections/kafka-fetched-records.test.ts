import { EMPTY_HEADERS } from '@tributary/shared';
import { describe, expect, it } from 'vitest';
import { FetchedRecords, type ClientRecord } from './kafka-fetched-records.js';

/** A record as the platformatic stream pushes it (only the fields the adapter reads). */
function record(topic: string, partition: number, offset: number, headers: [string, string][] = []): ClientRecord {
  return {
    topic,
    partition,
    offset: BigInt(offset),
    timestamp: 1_700_000_000_000n + BigInt(offset),
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(`{"n":${offset}}`),
    headers: new Map(headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
  } as unknown as ClientRecord;
}

describe('FetchedRecords', () => {
  it('hands records back per partition, each in fetch order, in the port shape', () => {
    const fetched = new FetchedRecords();
    for (const r of [record('a', 0, 10), record('a', 0, 11), record('a', 1, 5), record('a', 0, 12), record('b', 0, 7)])
      fetched.add(r);
    expect(fetched.size).toBe(5);
    const parts = fetched.takeAll();
    expect(parts.map((p) => [p.key, p.records.map((r) => r.offset)])).toEqual([
      ['a:0', ['10', '11', '12']],
      ['a:1', ['5']],
      ['b:0', ['7']],
    ]);
    expect(parts[0]!.records[0]).toEqual({
      key: Buffer.from('k10'),
      value: Buffer.from('{"n":10}'),
      headers: EMPTY_HEADERS,
      timestamp: 1_700_000_000_010,
      offset: '10',
    });
    expect(fetched.size).toBe(0);
    expect(fetched.takeAll()).toEqual([]);
  });

  it('turns headers into strings, and shares one empty object between records without any', () => {
    const fetched = new FetchedRecords();
    fetched.add(record('a', 0, 1, [['trace', 'x1']]));
    fetched.add(record('a', 0, 2));
    const [first, second] = fetched.takeAll()[0]!.records;
    expect(first!.headers).toEqual({ trace: 'x1' });
    expect(second!.headers).toBe(EMPTY_HEADERS);
  });

  it('drops what waits for a partition that was sought, and keeps counting the rest', () => {
    const fetched = new FetchedRecords();
    fetched.add(record('a', 0, 1));
    fetched.add(record('a', 1, 1));
    fetched.add(record('a', 0, 2));
    fetched.drop('a:0');
    expect(fetched.size).toBe(1);
    // A record of the dropped partition arriving after the drop is kept (fetched from the new position).
    fetched.add(record('a', 0, 40));
    expect(fetched.takeAll().map((p) => [p.key, p.records.map((r) => r.offset)])).toEqual([
      ['a:1', ['1']],
      ['a:0', ['40']],
    ]);
  });
});
