import {
  defineNode,
  type ConfigOf,
  type FlowMessage,
  type KeyValueStore,
  type NodeContext,
  type Output,
  type ProcessorInstance,
} from '@tributary/shared';
import { compileFunctionBody, UserCodeError, userCodeError, type UserFunctionKind } from '../lib/compile.js';
import { MessageResultError, toMessage } from '../lib/message-like.js';
import { CallContext, type FunctionContext } from './call-context.js';
import { functionManifest } from './manifest.js';

export type { FunctionContext } from './call-context.js';

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

/**
 * Code that never names `signal` cannot reach a per-message one (short of building the name at run
 * time, which then gets the flow's signal): such code keeps the hot path free of a context object
 * per message.
 */
const USES_SIGNAL = /\bsignal\b/;

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
  private readonly flowSignal: AbortSignal;
  /** Whether each call gets a signal of its own (see USES_SIGNAL). */
  private readonly signalPerCall: boolean;
  /** Calls still awaited: ended together when the flow stops. */
  private readonly pendingCalls = new Set<CallContext>();

  constructor(config: Config, ctx: NodeContext) {
    this.filename = `function:${ctx.nodeId}`;
    const compiled = compileFunctionBody(config.code, PARAMS, { filename: this.filename, field: 'code' });
    this.fn = compiled.fn as UserFunction;
    this.fnKind = compiled.kind;
    this.concurrency = config.concurrency;
    this.timeoutMs = config.timeoutMs;
    this.flowSignal = ctx.signal;
    this.signalPerCall = USES_SIGNAL.test(config.code);
    if (this.signalPerCall) {
      ctx.signal.addEventListener(
        'abort',
        () => {
          for (const call of this.pendingCalls) call.end(ctx.signal.reason);
        },
        { once: true },
      );
    }
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
    return this.runAsync(batch, out, 0, undefined, null);
  }

  /** The hot path: no awaits, no closures per message, one try around the loop. */
  private runSync(batch: readonly FlowMessage[], out: Output): void | Promise<void> {
    const fn = this.fn;
    const userCtx = this.userCtx;
    const isGenerator = this.fnKind === 'generator';
    const signalPerCall = this.signalPerCall;
    const n = batch.length;
    let dropped = 0;
    let i = 0;
    let call: CallContext | null = null;
    while (i < n) {
      try {
        for (; i < n; i++) {
          const msg = batch[i]!;
          if (signalPerCall) call = new CallContext(userCtx, this.flowSignal);
          const result = fn(msg, msg.key, msg.value, msg.headers, call ?? userCtx);
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
            return this.runAsync(batch, out, i, result, call);
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
   * input order. `first` is the pending result of `batch[from]` when the sync path handed over
   * (`firstCall` its signal).
   */
  private async runAsync(
    batch: readonly FlowMessage[],
    out: Output,
    from: number,
    first: PromiseLike<unknown> | undefined,
    firstCall: CallContext | null,
  ): Promise<void> {
    const n = batch.length;
    const limit = this.concurrency;
    const window: { msg: FlowMessage; pending: Promise<Outcome> }[] = [];
    let head = 0;
    let dropped = 0;
    for (let i = from; i < n; i++) {
      const msg = batch[i]!;
      const pending = i === from && first !== undefined ? this.settle(first, firstCall) : this.start(msg);
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
    const call = this.signalPerCall ? new CallContext(this.userCtx, this.flowSignal) : null;
    let result: unknown;
    try {
      result = this.fn(msg, msg.key, msg.value, msg.headers, call ?? this.userCtx);
    } catch (error) {
      return Promise.resolve({ error });
    }
    return this.settle(result, call);
  }

  private settle(result: unknown, call: CallContext | null): Promise<Outcome> {
    if (isAsyncIterable(result)) {
      return this.withTimeout(this.collectAsync(result), call).then(
        (items) => ({ items }),
        (error: unknown) => ({ error }),
      );
    }
    if (isThenable(result)) {
      return this.withTimeout(Promise.resolve(result), call).then(
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

  /**
   * Rejects at the timeout, and aborts the call's signal then: the message goes to the error port
   * at once, and the code still running hears that its result no longer counts.
   */
  private withTimeout<T>(promise: Promise<T>, call: CallContext | null): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    if (call !== null) this.pendingCalls.add(call);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const text = `no result after ${this.timeoutMs} ms (the timeout)`;
        // The reason AbortSignal.timeout() gives, so `error.name === 'TimeoutError'` works in user code.
        call?.end(new DOMException(text, 'TimeoutError'));
        reject(new UserCodeError(text, 'E_FUNCTION_TIMEOUT', undefined));
      }, this.timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => {
      clearTimeout(timer);
      if (call !== null) this.pendingCalls.delete(call);
    });
  }
}

/**
 * The `function` handler.
 *
 * @example
 * // config: { code: 'return { value: msg.value * 2 };' }
 */
export const functionNode = defineNode(functionManifest, (config, ctx) => new FunctionProcessor(config, ctx));
