import { describe, expect, it } from 'vitest';
import { fromPointer, jsonErrorOffset, lineColumn, parseJsonText, toPointer } from './index.js';

const messageOf = (text: string) => {
  const parsed = parseJsonText(text);
  return parsed.ok ? '' : parsed.problem.message;
};

describe('parseJsonText', () => {
  it('parses JSON, ignoring a byte-order mark', () => {
    expect(parseJsonText('\ufeff{"a":[1,true,null]}')).toEqual({ ok: true, value: { a: [1, true, null] } });
  });

  it.each([
    ['{\n  "id": "x",\n  "name": oops\n}', 3, 11],
    ['{\n  "a": 1,\n}', 3, 1], // trailing comma
    ['{"a": "unterminated', 1, 20],
    ['{"a": "bad \\x escape"}', 1, 13],
    ['[1, 2] extra', 1, 8],
    ['{"a": 01}', 1, 8],
    ['', 1, 1],
  ])('points at the line and column of the first error in %j', (text, line, column) => {
    expect(messageOf(text)).toMatch(new RegExp(`^not valid JSON at line ${line}, column ${column}: `));
  });

  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['{"a":"\\u00e9\\n"}', '[]', '-0.5e+10', '"\\/"', ' {"a" : { "b" : [ ] } } '])
      expect(jsonErrorOffset(text)).toBeNull();
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('JSON pointers', () => {
  it('escape ~ and / and round-trip', () => {
    const segments = ['nodes', 2, 'config', 'a/b~c'];
    expect(toPointer(segments)).toBe('/nodes/2/config/a~1b~0c');
    expect(fromPointer(toPointer(segments))).toEqual(['nodes', '2', 'config', 'a/b~c']);
    expect(fromPointer('')).toEqual([]);
  });
});
