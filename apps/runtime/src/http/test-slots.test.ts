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
});
