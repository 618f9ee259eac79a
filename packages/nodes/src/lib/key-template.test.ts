import { describe, expect, it } from 'vitest';
import { parseKeyTemplate, renderKeyTemplate } from './key-template.js';

const render = (template: string, value: number, index: number) => {
  const parsed = parseKeyTemplate(template);
  if (!parsed.ok) throw new Error(parsed.error);
  return renderKeyTemplate(parsed.parts, value, index);
};

describe('key templates', () => {
  it.each([
    ['plain', 5, 0, 'plain'],
    ['{value}', 5, 0, '5'],
    ['k-{ index % 3 }', 0, 7, 'k-1'],
    ['sensor-{i % 4}', 10, 6, 'sensor-2'],
    ['{value % 4}', -1, 0, '3'],
    ['{{literal}} {index}', 0, 2, '{literal} 2'],
  ])('%s with value %d, index %d → %s', (template, value, index, expected) => {
    expect(render(template, value, index)).toBe(expected);
  });

  it.each([
    ['{nope}', /unknown placeholder "\{nope\}"/],
    ['k-{index', /unclosed "\{" at position 3/],
    ['a}', /unmatched "\}" at position 2/],
    ['{value % 0}', /modulo must be at least 1/],
  ])('rejects %s', (template, message) => {
    const parsed = parseKeyTemplate(template);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});
