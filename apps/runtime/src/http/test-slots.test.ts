import { describe, expect, it } from 'vitest';
import { TestSlots } from './test-slots.js';

describe('TestSlots', () => {
  it('lets a test wait for a slot and hands it over in arrival order', async () => {
    const slots = new TestSlots(1, 4);
    expect(await slots.acquire(1000)).toBe(true);
    const order: string[] = [];
    const second = slots.acquire(10_000).then((ok) => order.push(`second ${ok}`));
    const third = slots.acquire(10_000).then((ok) => order.push(`third ${ok}`));
    slots.release();
    await second;
    expect(order).toEqual(['second true']);
    slots.release();
    await third;
    expect(order).toEqual(['second true', 'third true']);
    slots.release();
    // Free again: taken at once.
    expect(await slots.acquire(0)).toBe(true);
  });

  it('refuses when no slot frees in time, and when the waiting line is full', async () => {
    const slots = new TestSlots(1, 1);
    expect(await slots.acquire(1000)).toBe(true);
    const waiting = slots.acquire(10_000);
    // The line holds one: the next is refused without waiting.
    expect(await slots.acquire(10_000)).toBe(false);
    expect(await slots.acquire(0).then(() => 'answered')).toBe('answered');
    slots.release();
    expect(await waiting).toBe(true);
    // Held by the waiter now; a short wait runs out.
    expect(await slots.acquire(20)).toBe(false);
    slots.release();
    expect(await slots.acquire(0)).toBe(true);
  });

  it('takes a test out of the line when its client leaves, so the line and the next slot go to the others', async () => {
    const slots = new TestSlots(1, 1);
    expect(await slots.acquire(1000)).toBe(true);
    const gone = new AbortController();
    const left = slots.acquire(60_000, gone.signal);
    // The line is full while it waits.
    expect(await slots.acquire(10_000)).toBe(false);
    gone.abort();
    expect(await left).toBe(false);
    // Its place is free at once (not after its 60 s), and the slot it waited for goes to the next.
    const next = slots.acquire(10_000);
    slots.release();
    expect(await next).toBe(true);
    // A client already gone does not queue at all.
    expect(await slots.acquire(10_000, AbortSignal.abort())).toBe(false);
  });
});
