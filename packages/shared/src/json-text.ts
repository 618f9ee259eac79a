import type { FlowProblem } from './problems.js';

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; problem: FlowProblem };

/**
 * `JSON.parse` for file text that says where it broke: malformed JSON becomes an
 * `E_JSON_MALFORMED` problem whose message has the line and column. A leading byte-order mark is
 * ignored (editors on Windows write one).
 *
 * @example
 * const parsed = parseJsonText('{ "a": 1, }');
 * // { ok: false, problem: { code: 'E_JSON_MALFORMED', path: '', message: 'not valid JSON at line 1, column 11: …' } }
 */
export function parseJsonText(text: string): JsonTextResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return { ok: false, problem: { code: 'E_JSON_MALFORMED', path: '', message: describeJsonError(body, error) } };
  }
}

/**
 * Turns a `JSON.parse` failure into a message with the line and column a person can jump to.
 *
 * @example
 * describeJsonError('{\n  "a": oops\n}', error) // 'not valid JSON at line 2, column 8: Unexpected token …'
 */
export function describeJsonError(text: string, error: unknown): string {
  const offset = jsonErrorOffset(text);
  const reason = (error instanceof Error ? error.message : String(error))
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/^JSON\.parse: /, '');
  if (offset === null) return `not valid JSON: ${reason}`;
  const { line, column } = lineColumn(text, offset);
  return `not valid JSON at line ${line}, column ${column}: ${reason}`;
}

/** 1-based line and column of an offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

class SyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${offset}`);
  }
}

/**
 * Offset of the first syntax error in `text`, or null when there is none. A small scanner of its
 * own, because JavaScript engines do not all report a position (and V8's wording changes).
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string) => {
    for (const c of word) {
      if (text[i] !== c) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) fail();
      if (code === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
          }
        } else if (e === undefined || !'"\\/bfnrt'.includes(e)) fail();
      }
      i++;
    }
    i++; // closing quote
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 512));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 5000) fail(); // JSON.parse copes, the scanner's stack may not
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : null;
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    return null;
  }
}
