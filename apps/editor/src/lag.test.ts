import { describe, expect, it } from 'vitest';
import { sourceLag } from './lag.js';

describe('sourceLag', () => {
  it('sums messages over partitions and takes the worst partition in seconds', () => {
    expect(sourceLag({ custom: { lag: { 'a-0': 3, 'a-1': 4 }, lagSeconds: { 'a-0': 1.5, 'a-1': 0 } } })).toEqual({
      messages: 7,
      seconds: 1.5,
    });
  });

  it('takes plain numbers, and no seconds when the source has none', () => {
    expect(sourceLag({ custom: { lag: 12 } })).toEqual({ messages: 12, seconds: undefined });
  });

  it('no lag for nodes that do not report it, or a source with no partition yet', () => {
    expect(sourceLag({ custom: { count: 5 } })).toBeUndefined();
    expect(sourceLag({ custom: { lag: {} } })).toBeUndefined();
    expect(sourceLag(undefined)).toBeUndefined();
  });
});
