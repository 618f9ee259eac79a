import { describe, expect, it } from 'vitest';
import { lagText, sourceLag } from './lag.js';

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

describe('lagText', () => {
  it('reads as messages and time behind', () => {
    expect(lagText({ messages: 32_600, seconds: 112 })).toBe('lag 32.6k msgs · 1.9m');
    expect(lagText({ messages: 7, seconds: 0 })).toBe('lag 7 msgs · 0s');
    expect(lagText({ messages: 7, seconds: undefined })).toBe('lag 7 msgs');
  });
});
