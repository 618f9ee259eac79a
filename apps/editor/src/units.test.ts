import { describe, expect, it } from 'vitest';
import { clockTime, figure, perSecond, previewValue, prettyValue, seconds } from './units.js';

describe('units', () => {
  it('prints figures as short as stays readable', () => {
    expect(figure(0)).toBe('0');
    expect(figure(0.042)).toBe('0.042');
    expect(figure(3.5)).toBe('3.5');
    expect(figure(20)).toBe('20');
    expect(figure(120.4)).toBe('120');
    expect(figure(12_345)).toBe('12.3k');
    expect(perSecond(0.5)).toBe('0.5/s');
    expect(seconds(4.25)).toBe('4.3s');
    expect(seconds(750)).toBe('12.5m');
  });

  it('prints a clock time with milliseconds', () => {
    expect(clockTime(new Date(2026, 0, 2, 3, 4, 5, 6).getTime())).toBe('03:04:05.006');
  });

  it('previews a value on one line, cut, and prints it as indented JSON', () => {
    const value = { a: 1, b: 'x'.repeat(300), big: 10n };
    expect(previewValue(value, 20)).toBe('{"a":1,"b":"xxxxxxx…');
    expect(previewValue('line 1\n  line 2')).toBe('line 1 line 2');
    expect(prettyValue({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyValue(value)).toContain('"big": "10n"');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(prettyValue(cyclic)).toContain('[circular]');
  });
});
