import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-depth.js';

const bytes = (text: string) => Buffer.from(text);

describe('nestsDeeperThan', () => {
  it('counts objects and arrays inside each other, not one after the other', () => {
    expect(nestsDeeperThan(bytes('[[[1]]]'), 3)).toBe(false);
    expect(nestsDeeperThan(bytes('[[[[1]]]]'), 3)).toBe(true);
    expect(nestsDeeperThan(bytes('[[1],[2],[3],[4]]'), 2)).toBe(false);
    expect(nestsDeeperThan(bytes('{"a":{"b":{"c":{}}}}'), 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes(JSON.stringify({ s: '[[[[[[{{{{' })), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(JSON.stringify({ s: 'say \\"[[[[" ok' })), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(JSON.stringify({ s: '\\', t: [[1]] })), 2)).toBe(true);
  });
});
