import {
  createMessage,
  DEFAULT_OUTPUT,
  ERROR_PORT,
  type AckCallback,
  type ConfigOf,
  type FlowMessage,
  type MessageMeta,
  type NodeDefinition,
  type NodeManifest,
  type Output,
  type SourceContext,
} from '@tributary/shared';
import { createTestContext, type LogRecord, type StatValue, type TestContextOptions } from './test-context.js';

/** A message for `inputs`: a full FlowMessage, or just the fields that matter (the rest defaulted). */
export interface MessageInput {
  value: unknown;
  key?: string | null;
  headers?: Readonly<Record<string, string>>;
  timestamp?: number;
  meta?: Readonly<MessageMeta>;
}

export interface RunNodeOptions extends TestContextOptions {
  /** Processors: one batch of messages, or a list of batches (processed in order). */
  inputs?: readonly MessageInput[] | readonly (readonly MessageInput[])[];
  /** Processors: the input port the batches arrive on (default `in`). */
  inputPort?: string;
  /** Sources: abort once this many messages were emitted, or after this many ms. */
  until?: { messages?: number; ms?: number };
  /** Sources: how emitted batches are acknowledged (default `ok`; `none` leaves them pending). */
  ack?: 'ok' | 'fail' | 'none';
  /** Sources: runs inside every emit; `emit` resolves only when it does (to simulate backpressure). */
  onEmit?: (batch: readonly FlowMessage[], index: number) => void | Promise<void>;
  /** Sources: the flow's batch size (`ctx.batchSize`). */
  batchSize?: number;
  /** Safety net for sources that never end: abort after this many ms (default 10 s). */
  timeoutMs?: number;
  /** Skip `close()` of the instance (to inspect it after the run). */
  keepOpen?: boolean;
}

export interface RecordedError {
  error: unknown;
  /** The code the engine would report (the error's `code`, else E_HANDLER_THREW). */
  code: string;
  /** The error's message. */
  text: string;
  /** The input that failed, as it would reach the error port. */
  message: FlowMessage;
}

export interface RunNodeResult {
  /** Everything emitted, by port (`error` included: messages carry `meta.error`). */
  outputs: Record<string, FlowMessage[]>;
  /** Sources: the emitted batches, as emitted. */
  batches: FlowMessage[][];
  errors: RecordedError[];
  dropped: number;
  stats: Record<string, StatValue>;
  logs: LogRecord[];
  /** Sources: ack results, in the order they were given. Pending ones (ack: 'none') are in `pendingAcks`. */
  acks: boolean[];
  pendingAcks: AckCallback[];
  /** Sources: whether the harness aborted the run (until / timeout) rather than the source ending. */
  aborted: boolean;
  /** Sources: true when the safety timeout fired. */
  timedOut: boolean;
  /** Sources: messages emitted after the abort (a prompt source keeps this at most one batch). */
  emittedAfterAbort: number;
  dataDir: string;
}

/** The config failed the manifest's schema: the same problems a user sees, one per line. */
export class ConfigParseError extends Error {
  constructor(
    readonly type: string,
    readonly problems: readonly { path: string; message: string }[],
  ) {
    super(`invalid config for "${type}":\n` + problems.map((p) => `  ${p.path || '/'}: ${p.message}`).join('\n'));
    this.name = 'ConfigParseError';
  }
}

/**
 * Parses a raw config with the node type's schema (defaults filled in), as the runtime does before
 * a node starts; throws ConfigParseError listing each problem with its JSON pointer.
 *
 * @example
 * parseConfig(filterNode.manifest, {}) // throws: invalid config for "filter": /expression: required: …
 */
export function parseConfig<M extends NodeManifest>(manifest: M, raw: unknown): ConfigOf<M> {
  const result = manifest.config.safeParse(raw);
  if (result.success) return result.data as ConfigOf<M>;
  throw new ConfigParseError(
    manifest.type,
    result.error.issues.map((issue) => ({
      path: issue.path.map((segment) => '/' + String(segment)).join(''),
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`
          : issue.message,
    })),
  );
}

const toMessage = (input: MessageInput): FlowMessage =>
  'headers' in input && 'timestamp' in input && 'meta' in input && 'key' in input
    ? (input as FlowMessage)
    : createMessage(input);

/**
 * Builds messages from values, for `inputs`.
 *
 * @example
 * runNode(filterNode, { expression: 'value > 1' }, { inputs: messages(1, 2, 3) })
 */
export function messages(...values: unknown[]): FlowMessage[] {
  return values.map((value) => createMessage({ value }));
}

function errorCode(error: unknown): { code: string; text: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'E_HANDLER_THREW', text: error.message };
  }
  return { code: 'E_HANDLER_THREW', text: String(error) };
}

/** Collects one `process` call's output, like the engine's, so a failed batch can be discarded whole. */
class RecordingOutput implements Output {
  pushed: [port: string, message: FlowMessage][] = [];
  errors: RecordedError[] = [];
  dropped = 0;

  constructor(
    private readonly defaultPort: string,
    private readonly nodeId: string,
  ) {}

  push(message: FlowMessage, port?: string): void {
    this.pushed.push([port ?? this.defaultPort, message]);
  }

  error(error: unknown, message: FlowMessage): void {
    const { code, text } = errorCode(error);
    this.errors.push({
      error,
      code,
      text,
      message: { ...message, meta: { ...message.meta, error: { code, message: text, nodeId: this.nodeId } } },
    });
  }

  drop(count = 1): void {
    this.dropped += count;
  }

  hold(): never {
    throw new Error('holds are not supported by this harness yet (issue 9: runNode moves onto the engine)');
  }
}

const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs one node the way the engine would, with a real context (temp data folder, real LMDB
 * stores). The config goes through the manifest's schema first, so tests see the errors users see.
 *
 * Processors get `inputs` (one batch or several) and the result holds what they emitted, by port.
 * Sources run until they end, or until `until` (messages or ms) or the safety timeout aborts them.
 *
 * @example
 * const { outputs, errors } = await runNode(functionNode, { code: 'return { value: value * 2 }' }, {
 *   inputs: messages(1, 2),
 * });
 * outputs.out.map((m) => m.value); // [2, 4]
 */
export async function runNode<M extends NodeManifest>(
  definition: NodeDefinition<M>,
  config: unknown,
  options: RunNodeOptions = {},
): Promise<RunNodeResult> {
  const manifest = definition.manifest;
  const parsed = parseConfig(manifest, config);
  const controller = new AbortController();
  // A caller's signal stops the node too, but `until` and the timeout need a controller of their own.
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  if (options.signal?.aborted) controller.abort();
  const test = createTestContext({ ...options, signal: controller.signal });
  const result: RunNodeResult = {
    outputs: {},
    batches: [],
    errors: [],
    dropped: 0,
    stats: test.stats,
    logs: test.logs,
    acks: [],
    pendingAcks: [],
    aborted: false,
    timedOut: false,
    emittedAfterAbort: 0,
    dataDir: test.dataDir,
  };
  const record = (port: string, message: FlowMessage) => (result.outputs[port] ??= []).push(message);
  try {
    const instance = await definition.create(parsed, test.ctx);
    if (instance.kind === 'processor') {
      const raw = options.inputs ?? [];
      const batches = (raw.length > 0 && Array.isArray(raw[0]) ? raw : [raw]) as readonly (readonly MessageInput[])[];
      const defaultPort = manifest.outputs[0]?.name ?? DEFAULT_OUTPUT;
      for (const batchInput of batches) {
        const batch = batchInput.map(toMessage);
        const out = new RecordingOutput(defaultPort, test.ctx.nodeId);
        try {
          const pending = instance.process(batch, out, options.inputPort ?? 'in');
          if (pending !== undefined) await pending;
        } catch (error) {
          // As the engine does: partial output is discarded and the whole batch goes to the error port.
          out.pushed = [];
          out.errors = [];
          out.dropped = 0;
          for (const message of batch) out.error(error, message);
        }
        for (const [port, message] of out.pushed) record(port, message);
        for (const recorded of out.errors) {
          result.errors.push(recorded);
          record(ERROR_PORT, recorded.message);
        }
        result.dropped += out.dropped;
      }
      if (!options.keepOpen) await instance.close?.();
      return result;
    }

    // Sources.
    const sourcePort = manifest.outputs[0]?.name ?? DEFAULT_OUTPUT;
    let emitted = 0;
    let lastPause = performance.now();
    const abort = () => {
      if (!controller.signal.aborted) {
        result.aborted = true;
        controller.abort();
      }
    };
    const ackWith = (onAck: AckCallback | undefined) => {
      if (onAck === undefined) return;
      if (options.ack === 'none') result.pendingAcks.push(onAck);
      else {
        const ok = options.ack !== 'fail';
        // Later, as in the engine, where acks follow the sinks' confirmations.
        queueMicrotask(() => {
          result.acks.push(ok);
          onAck(ok);
        });
      }
    };
    const sourceCtx: SourceContext = {
      ...test.ctx,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      async emit(batch, onAck) {
        const copy = [...batch];
        if (controller.signal.aborted) result.emittedAfterAbort += copy.length;
        result.batches.push(copy);
        for (const message of copy) record(sourcePort, message);
        emitted += copy.length;
        ackWith(onAck);
        if (options.until?.messages !== undefined && emitted >= options.until.messages) abort();
        if (options.onEmit) await options.onEmit(copy, result.batches.length - 1);
        // Like the engine, give timers and I/O a turn now and then, or an endless source starves them.
        const now = performance.now();
        if (now - lastPause > 8) {
          lastPause = now;
          await pause();
        }
      },
      async emitError(error, message, onAck) {
        const { code, text } = errorCode(error);
        const failed = message ?? createMessage({ value: null });
        const recorded: RecordedError = {
          error,
          code,
          text,
          message: { ...failed, meta: { ...failed.meta, error: { code, message: text, nodeId: test.ctx.nodeId } } },
        };
        result.errors.push(recorded);
        record(ERROR_PORT, recorded.message);
        ackWith(onAck);
        await Promise.resolve();
      },
    };
    const timers: NodeJS.Timeout[] = [];
    if (options.until?.ms !== undefined) timers.push(setTimeout(abort, options.until.ms));
    timers.push(
      setTimeout(() => {
        result.timedOut = true;
        abort();
      }, options.timeoutMs ?? 10_000),
    );
    try {
      await instance.run(sourceCtx);
    } finally {
      for (const timer of timers) clearTimeout(timer);
      // Let queued acks land before the result is read.
      await pause();
    }
    if (!options.keepOpen) await instance.close?.();
    return result;
  } finally {
    await test.close();
  }
}
