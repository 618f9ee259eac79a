/**
 * Compiles user code (function bodies, filter and map expressions) once, at create time.
 *
 * Code is compiled with `vm.Script` in the current context: it runs at the speed of ordinary code,
 * and its stack frames carry a file name per node (`function:<nodeId>`) and the user's own line
 * numbers, so syntax and runtime errors can point at a line and column.
 */
import { Script } from 'node:vm';

/** A config value the node cannot run with; the engine reports it as a start failure of the node. */
export class NodeConfigError extends Error {
  readonly code = 'E_CONFIG_INVALID';

  constructor(
    message: string,
    /** The config field at fault. */
    readonly field?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'NodeConfigError';
  }
}

/** How a function body is compiled, chosen by the syntax it uses (`await` and/or `yield`). */
export type UserFunctionKind = 'sync' | 'async' | 'generator' | 'async-generator';

const FUNCTION_HEADERS: Record<UserFunctionKind, string> = {
  sync: 'function',
  async: 'async function',
  generator: 'function*',
  'async-generator': 'async function*',
};

// Plain first: most code needs neither `await` nor `yield`, and stays on the synchronous fast path.
const KIND_ORDER: readonly UserFunctionKind[] = ['sync', 'async', 'generator', 'async-generator'];
const ASYNC_FIRST: readonly UserFunctionKind[] = ['async', 'async-generator', 'sync', 'generator'];
const AMBIGUOUS_AWAIT = /\bawait\s*[([`]/;

type FunctionConstructor = new (...paramsAndBody: string[]) => unknown;
const CONSTRUCTORS: Record<UserFunctionKind, FunctionConstructor> = {
  sync: Function,
  async: async function () {}.constructor as FunctionConstructor,
  generator: function* () {}.constructor as FunctionConstructor,
  'async-generator': async function* () {}.constructor as FunctionConstructor,
};

/**
 * The wrapped source is run once to obtain the function; code that closes the wrapper early
 * (`}); sideEffect(); (function () {`) would run right then, outside the function. The Function
 * constructors parse a body on its own (nothing runs), so a body they refuse is refused here.
 */
function assertOneFunction(kind: UserFunctionKind, params: readonly string[], body: string): void {
  try {
    new CONSTRUCTORS[kind](...params, body);
  } catch {
    throw new SyntaxError('the code closes its function early (a "}" or ")" too many?)');
  }
}

export interface CompileOptions {
  /** Shown in stack traces, e.g. `function:enrich-orders`. */
  filename: string;
  /** The config field holding the code, named in errors. */
  field: string;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- user code: any arity, any result
export type CompiledFunction = Function;

/**
 * Compiles a function body with `params` in scope, in strict mode. The body may `await` (async),
 * `yield` (generator) or both; the kind is picked from what compiles.
 *
 * @example
 * const { fn, kind } = compileFunctionBody('return { value: msg.value * 2 };', ['msg'], { filename: 'function:x', field: 'code' });
 */
export function compileFunctionBody(
  code: string,
  params: readonly string[],
  options: CompileOptions,
): { fn: CompiledFunction; kind: UserFunctionKind } {
  const attempt = (kind: UserFunctionKind): { fn: CompiledFunction } | { error: unknown } => {
    // The body starts on its own line; lineOffset -1 makes the user's first line line 1.
    const source = `(${FUNCTION_HEADERS[kind]} (${params.join(', ')}) { 'use strict';\n${code}\n})`;
    try {
      const script = new Script(source, { filename: options.filename, lineOffset: -1 });
      assertOneFunction(kind, params, `'use strict';\n${code}\n`);
      const fn: unknown = script.runInThisContext();
      if (typeof fn !== 'function') throw new SyntaxError('the code does not form a function body');
      return { fn };
    } catch (error) {
      return { error };
    }
  };
  // `await (x)` also parses in a plain function, as a call of a function named `await` (a
  // ReferenceError at run time): when the code has that shape, the async forms go first.
  const order = AMBIGUOUS_AWAIT.test(code) ? ASYNC_FIRST : KIND_ORDER;
  let widest: unknown;
  for (const kind of order) {
    const result = attempt(kind);
    if ('fn' in result) return { fn: result.fn, kind };
    if (kind === 'async-generator') widest = result.error;
  }
  // The async generator accepts the widest syntax, so its complaint is the real one.
  throw syntaxConfigError(widest, code, options);
}

/**
 * Compiles one JavaScript expression into a function of `params`.
 *
 * @example
 * const test = compileExpression('value > 10', ['msg', 'key', 'value', 'headers'], { filename: 'filter:f', field: 'expression' });
 */
export function compileExpression(
  expression: string,
  params: readonly string[],
  options: CompileOptions,
): CompiledFunction {
  if (expression.trim() === '') throw new NodeConfigError(`${options.field}: the expression is empty`, options.field);
  const source = `(function (${params.join(', ')}) { 'use strict'; return (\n${expression}\n); })`;
  try {
    const script = new Script(source, { filename: options.filename, lineOffset: -1 });
    assertOneFunction('sync', params, `'use strict'; return (\n${expression}\n);`);
    const fn: unknown = script.runInThisContext();
    if (typeof fn !== 'function') throw new SyntaxError('not a single expression');
    return fn;
  } catch (error) {
    throw syntaxConfigError(error, expression, options);
  }
}

/** Turns a SyntaxError from `vm.Script` into a config error with line, column and the line itself. */
function syntaxConfigError(error: unknown, code: string, options: CompileOptions): NodeConfigError {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const lines = stack.split('\n');
  // V8 puts "<filename>:<line>", the source line and a caret line first in a syntax error's stack.
  const head = lines[0] ?? '';
  const codeLines = code.split('\n');
  if (head.startsWith(options.filename + ':')) {
    const line = Number(head.slice(options.filename.length + 1));
    const caret = (lines[2] ?? '').indexOf('^');
    if (Number.isInteger(line) && line >= 1 && line <= codeLines.length) {
      const column = caret >= 0 ? caret + 1 : 1;
      const gutter = String(line);
      const excerpt =
        `\n  ${gutter} | ${codeLines[line - 1]}` +
        (caret >= 0 ? `\n  ${' '.repeat(gutter.length)} | ${' '.repeat(caret)}^` : '');
      return new NodeConfigError(
        `${options.field}: syntax error at line ${line}, column ${column}: ${message}${excerpt}`,
        options.field,
        line,
        column,
      );
    }
    if (Number.isInteger(line) && line > codeLines.length) {
      return new NodeConfigError(
        `${options.field}: syntax error at the end of the code: ${message} (a bracket or quote left open?)`,
        options.field,
        codeLines.length,
      );
    }
  }
  return new NodeConfigError(`${options.field}: syntax error: ${message}`, options.field);
}

/**
 * Where in the user's code an error was thrown, from its stack (null when not in that code).
 *
 * @example
 * locateError(error, 'function:enrich') // { line: 3, column: 12 }
 */
export function locateError(error: unknown, filename: string): { line: number; column: number } | null {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return null;
  const at = error.stack.indexOf(filename + ':');
  if (at < 0) return null;
  const match = /^:(\d+):(\d+)/.exec(error.stack.slice(at + filename.length));
  return match ? { line: Number(match[1]), column: Number(match[2]) } : null;
}

/** An error thrown by user code, with a code the engine reports and the line it came from. */
export class UserCodeError extends Error {
  constructor(
    message: string,
    readonly code: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'UserCodeError';
  }
}

/**
 * Wraps whatever user code threw into an Error whose message names the line, keeping the user's
 * own `code` property if it has one (so dead-letter consumers can branch on it).
 */
export function userCodeError(thrown: unknown, filename: string, defaultCode: string): Error {
  if (thrown instanceof UserCodeError) return thrown;
  const base = thrown instanceof Error ? thrown.message : `threw ${describeThrown(thrown)}`;
  const where = locateError(thrown, filename);
  const ownCode = thrown instanceof Error ? (thrown as { code?: unknown }).code : undefined;
  const code = typeof ownCode === 'string' ? ownCode : defaultCode;
  return new UserCodeError(where ? `${base} (line ${where.line}, column ${where.column})` : base, code, thrown);
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
