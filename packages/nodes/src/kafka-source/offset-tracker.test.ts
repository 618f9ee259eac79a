import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './offset-tracker.js';

describe('PartitionOffsets', () => {
  it('has nothing to commit before the first batch', () => {
    const p = new PartitionOffsets('orders', 3);
    expect(p.key).toBe('orders-3');
    expect(p.committable()).toBeNull();
    expect(p.toCommit()).toBeNull();
  });

  it('commits up to the lowest unconfirmed group, whatever the order of confirmations', () => {
    const p = new PartitionOffsets('t', 0);
    const a = p.track(0n, 10n);
    const b = p.track(10n, 20n);
    const c = p.track(20n, 30n);
    expect(p.committable()).toBe(0n);
    expect(c(true)).toBe(false); // 20-29 done, but 0-19 are not: the position does not move
    expect(p.committable()).toBe(0n);
    expect(a(true)).toBe(true);
    expect(p.committable()).toBe(10n);
    expect(b(true)).toBe(true);
    expect(p.committable()).toBe(30n);
    expect(p.unconfirmed).toBe(0);
  });

  it('never passes a group the flow gave up on (ok: false), and counts each confirmation once', () => {
    const p = new PartitionOffsets('t', 0);
    const a = p.track(5n, 8n);
    const b = p.track(8n, 12n);
    a(false);
    b(true);
    b(true);
    expect(p.committable()).toBe(5n);
    a(true); // a late "ok" after a failure does not count either
    expect(p.committable()).toBe(5n);
    expect(p.failed).toBe(1);
  });

  it('handles a record split out of its batch (an undecodable one) as its own group', () => {
    const p = new PartitionOffsets('t', 0);
    // Offsets 0..4 read; 2 could not be decoded: the batch is {0,1,3,4}, the error is {2}.
    const batch = p.track(0n, 5n);
    const poison = p.track(2n, 5n);
    batch(true);
    expect(p.committable()).toBe(2n);
    poison(true);
    expect(p.committable()).toBe(5n);
  });

  it('moves past records filtered out before emitting (transaction markers)', () => {
    const p = new PartitionOffsets('t', 0);
    p.track(0n, 3n)(true);
    p.skipTo(5n);
    expect(p.committable()).toBe(5n);
  });

  it('offers nothing to commit until a record at the start is confirmed', () => {
    const p = new PartitionOffsets('t', 0);
    const a = p.track(7n, 9n);
    expect(p.committable()).toBe(7n);
    expect(p.toCommit()).toBeNull();
    a(true);
    expect(p.toCommit()).toBe(9n);
  });

  it('offers a position only when it is ahead of the last commit, exactly beyond 2^53', () => {
    const p = new PartitionOffsets('t', 0);
    const big = 2n ** 60n;
    p.track(big, big + 2n)(true);
    expect(p.toCommit()).toBe(big + 2n);
    p.committed = big + 2n;
    expect(p.toCommit()).toBeNull();
  });

  it('after a seek back, commits only what is read and confirmed again, never passing groups still in the flow', () => {
    const p = new PartitionOffsets('t', 0);
    const a = p.track(0n, 10n);
    const b = p.track(10n, 20n);
    expect(a(true)).toBe(true);
    expect(p.committable()).toBe(10n);
    // Rewound to 5 while 10..19 are still in the flow.
    expect(p.seek(5n)).toBe(20n);
    expect(p.committable()).toBe(5n);
    const again = p.track(5n, 15n);
    // 5..14 confirmed again: the position moves, but only to 10 (10..19 from before are not confirmed yet).
    expect(again(true)).toBe(true);
    expect(p.committable()).toBe(10n);
    b(true);
    expect(p.committable()).toBe(15n);
  });
});
