import {
  defineNode,
  type ConfigOf,
  type FlowMessage,
  type KeyValueStore,
  type NodeContext,
  type NodeLogger,
  type Output,
  type ProcessorInstance,
} from '@tributary/shared';
import { compileFunctionBody, UserCodeError, userCodeError, type UserFunctionKind } from '../lib/compile.js';
import { MessageResultError, toMessage } from '../lib/message-like.js';
import { functionManifest } from './manifest.js';

/** What user code sees as `ctx`. */
export interface FunctionContext {
  readonly nodeId: string;
  readonly flowId: string;
  readonly log: NodeLogger;
  /** The flow-scoped durable store (opened on first use). */
  readonly cache: KeyValueStore;
  /** In-memory state kept between messages of this node (not persisted). */
  readonly state: Record<string, unknown>;
  /** Aborted when the flow stops: pass it to fetch() and friends. */
  readonly signal: AbortSignal;
}

type UserFunction = (
  msg: FlowMessage,
  key: string | null,
  value: unknown,
  headers: Readonly<Record<string, string>>,
  ctx: FunctionContext,
) => unknown;

/** The settled result of one input message on the asynchronous path. */
type Outcome = { readonly value: unknown } | { readonly items: readonly unknown[] } | { readonly error: unknown };

const PARAMS = ['msg', 'key', 'value', 'headers', 'ctx'] as const;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

type Config = ConfigOf<typeof functionManifest>;

/**
 * Runs user JavaScript per message. The code is compiled once; a batch is processed in one
 * synchronous loop (one try around it, resuming after a failing message) until a result is a
 * promise: from there on the rest of the batch goes through the asynchronous path, in order.
 */
class FunctionProcessor implements ProcessorInstance {
  readonly kind = 'processor';
  private readonly fn: UserFunction;
  private readonly fnKind: UserFunctionKind;
  private readonly filename: string;
  private readonly userCtx: FunctionContext;
  private readonly concurrency: number;
  private readonly timeoutMs: number;

  constructor(config: Config, ctx: NodeContext) {
    this.filename = `function:${ctx.nodeId}`;
    const compiled = compileFunctionBody(config.code, PARAMS, { filename: this.filename, field: 'code' });
    this.fn = compiled.fn as UserFunction;
    this.fnKind = compiled.kind;
    this.concurrency = config.concurrency;
    this.timeoutMs = config.timeoutMs;
    const storeName = config.cacheName ?? `function:${ctx.nodeId}`;
    let cache: KeyValueStore | null = null;
    this.userCtx = Object.freeze({
      nodeId: ctx.nodeId,
      flowId: ctx.flowId,
      log: ctx.log,
      state: {},
      signal: ctx.signal,
      // Opened on first use: most functions never touch it, and need no LMDB file.
      get cache(): KeyValueStore {
        return (cache ??= ctx.openStore(storeName));
      },
    });
  }

  process(batch: readonly FlowMessage[], out: Output): void | Promise<void> {
    if (this.fnKind === 'sync' || this.fnKind === 'generator') return this.runSync(batch, out);
    return this.runAsync(batch, out, 0, undefined);
  }

  /** The hot path: no awaits, no closures per message, one try around the loop. */
  private runSync(batch: readonly FlowMessage[], out: Output): void | Promise<void> {
    const fn = this.fn;
    const userCtx = this.userCtx;
    const isGenerator = this.fnKind === 'generator';
    const n = batch.length;
    let dropped = 0;
    let i = 0;
    while (i < n) {
      try {
        for (; i < n; i++) {
          const msg = batch[i]!;
          const result = fn(msg, msg.key, msg.value, msg.headers, userCtx);
          if (result === undefined || result === null) {
            dropped++;
          } else if (result === msg) {
            out.push(msg);
          } else if (isGenerator) {
            if (this.pushAll(this.collect(result as Iterable<unknown>), msg, out) === 0) dropped++;
          } else if (Array.isArray(result)) {
            if (this.pushAll(result, msg, out) === 0) dropped++;
          } else if (isThenable(result)) {
            if (dropped > 0) out.drop(dropped);
            return this.runAsync(batch, out, i, result);
          } else {
            out.push(toMessage(result, msg));
          }
        }
      } catch (error) {
        out.error(userCodeError(error, this.filename, 'E_FUNCTION_THREW'), batch[i]!);
        i++;
      }
    }
    if (dropped > 0) out.drop(dropped);
  }

  /**
   * Processes `batch[from..]` awaiting results, up to `concurrency` at a time; outputs keep the
   * input order. `first` is the pending result of `batch[from]` when the sync path handed over.
   */
  private async runAsync(
    batch: readonly FlowMessage[],
    out: Output,
    from: number,
    first: PromiseLike<unknown> | undefined,
  ): Promise<void> {
    const n = batch.length;
    const limit = this.concurrency;
    const window: { msg: FlowMessage; pending: Promise<Outcome> }[] = [];
    let head = 0;
    let dropped = 0;
    for (let i = from; i < n; i++) {
      const msg = batch[i]!;
      const pending = i === from && first !== undefined ? this.settle(first) : this.start(msg);
      window.push({ msg, pending });
      if (window.length - head >= limit) {
        const next = window[head++]!;
        dropped += this.emit(await next.pending, next.msg, out);
      }
    }
    while (head < window.length) {
      const next = window[head++]!;
      dropped += this.emit(await next.pending, next.msg, out);
    }
    if (dropped > 0) out.drop(dropped);
  }

  private start(msg: FlowMessage): Promise<Outcome> {
    let result: unknown;
    try {
      result = this.fn(msg, msg.key, msg.value, msg.headers, this.userCtx);
    } catch (error) {
      return Promise.resolve({ error });
    }
    return this.settle(result);
  }

  private settle(result: unknown): Promise<Outcome> {
    if (isAsyncIterable(result)) {
      return this.withTimeout(this.collectAsync(result)).then(
        (items) => ({ items }),
        (error: unknown) => ({ error }),
      );
    }
    if (isThenable(result)) {
      return this.withTimeout(Promise.resolve(result)).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    }
    if (this.fnKind === 'generator') {
      try {
        return Promise.resolve({ items: this.collect(result as Iterable<unknown>) });
      } catch (error) {
        return Promise.resolve({ error });
      }
    }
    return Promise.resolve({ value: result });
  }

  /** Routes one settled outcome; returns 1 when the input produced nothing (counted as dropped). */
  private emit(outcome: Outcome, msg: FlowMessage, out: Output): number {
    try {
      if ('error' in outcome) throw outcome.error;
      if ('items' in outcome) return this.pushAll(outcome.items, msg, out) === 0 ? 1 : 0;
      const value = outcome.value;
      if (value === undefined || value === null) return 1;
      if (value === msg) {
        out.push(msg);
        return 0;
      }
      if (Array.isArray(value)) return this.pushAll(value, msg, out) === 0 ? 1 : 0;
      out.push(toMessage(value, msg));
    } catch (error) {
      out.error(userCodeError(error, this.filename, 'E_FUNCTION_THREW'), msg);
    }
    return 0;
  }

  /** Converts every item first, so a bad item sends the input to the error port with no partial output. */
  private pushAll(items: readonly unknown[], msg: FlowMessage, out: Output): number {
    const n = items.length;
    if (n === 1) {
      const item = items[0];
      if (item === undefined || item === null) return 0;
      out.push(toMessage(item, msg));
      return 1;
    }
    const converted: FlowMessage[] = [];
    for (let j = 0; j < n; j++) {
      const item = items[j];
      if (item !== undefined && item !== null) converted.push(toMessage(item, msg));
    }
    for (let j = 0; j < converted.length; j++) out.push(converted[j]!);
    return converted.length;
  }

  /** Drains a sync generator; its outputs are kept back until it finishes, so a throw loses nothing twice. */
  private collect(iterable: Iterable<unknown>): unknown[] {
    const items: unknown[] = [];
    for (const item of iterable) {
      if (isThenable(item)) {
        throw new MessageResultError('the function yielded a Promise; write `yield await …` to wait for it');
      }
      items.push(item);
    }
    return items;
  }

  private async collectAsync(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
    const items: unknown[] = [];
    for await (const item of iterable) items.push(item);
    return items;
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UserCodeError(`no result after ${this.timeoutMs} ms (the timeout)`, 'E_FUNCTION_TIMEOUT', undefined),
          ),
        this.timeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * The `function` handler.
 *
 * @example
 * // config: { code: 'return { value: msg.value * 2 };' }
 */
export const functionNode = defineNode(functionManifest, (config, ctx) => new FunctionProcessor(config, ctx));
