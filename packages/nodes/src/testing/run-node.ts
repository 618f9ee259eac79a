import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowStartError, runFlow, type FlowRun } from '@tributary/engine';
import {
  createMessage,
  ERROR_PORT,
  zodProblems,
  type AckCallback,
  type ConfigOf,
  type FlowDocument,
  type FlowMessage,
  type MessageMeta,
  type NodeDefinition,
  type NodeManifest,
  type Output,
  type ProcessorInstance,
  type SourceContext,
  type SourceInstance,
} from '@tributary/shared';
import { openLmdbStore } from '../lib/lmdb-store.js';
import { harnessRegistry, type HarnessHooks } from './harness-nodes.js';
import type { LogRecord, StatValue, TestContextOptions } from './test-context.js';

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
  /** Sources: stop the flow once this many messages were emitted, or after this many ms. */
  until?: { messages?: number; ms?: number };
  /** Sources: how emitted batches are acknowledged (default `ok`; `none` leaves them pending). */
  ack?: 'ok' | 'fail' | 'none';
  /** Sources: runs inside every emit; `emit` resolves only when it does (to simulate backpressure). */
  onEmit?: (batch: readonly FlowMessage[], index: number) => void | Promise<void>;
  /** Sources: the flow's batch size (`ctx.batchSize`). */
  batchSize?: number;
  /** Safety net for sources that never end: stop after this many ms (default 10 s). */
  timeoutMs?: number;
  /** Skip `close()` of the instance (to inspect it after the run). */
  keepOpen?: boolean;
}

export interface RecordedError {
  error: unknown;
  /** The code the engine reported (the error's `code`, else E_HANDLER_THREW; E_SOURCE_READ for a source). */
  code: string;
  /** The error's message. */
  text: string;
  /** The input that failed, as it reached the error port. */
  message: FlowMessage;
}

export interface RunNodeResult {
  /** Everything emitted, by port (`error` included: messages carry `meta.error`). */
  outputs: Record<string, FlowMessage[]>;
  /** Sources: the emitted batches, as emitted. */
  batches: FlowMessage[][];
  errors: RecordedError[];
  /** The node's `errors` counter, as the runtime's stats show it. */
  errorCount: number;
  dropped: number;
  stats: Record<string, StatValue>;
  logs: LogRecord[];
  /** Sources: ack results, in the order they were given. Pending ones (ack: 'none') are in `pendingAcks`. */
  acks: boolean[];
  /** Processors: per input batch, whether the flow confirmed it (undefined: not settled when the run ended). */
  inputAcks: (boolean | undefined)[];
  pendingAcks: AckCallback[];
  /** Sources: whether the harness stopped the run (until / timeout) rather than the source ending. */
  aborted: boolean;
  /** Sources: true when the safety timeout fired. */
  timedOut: boolean;
  /** Sources: messages emitted after the stop (a prompt source keeps this at most one batch). */
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
 * a node starts; throws ConfigParseError listing each problem with its JSON pointer (the same
 * wording `validateFlow` uses).
 *
 * @example
 * parseConfig(filterNode.manifest, {}) // throws: invalid config for "filter": /expression: "expression" is required …
 */
export function parseConfig<M extends NodeManifest>(manifest: M, raw: unknown): ConfigOf<M> {
  const result = manifest.config.safeParse(raw, { reportInput: true });
  if (result.success) return result.data as ConfigOf<M>;
  throw new ConfigParseError(
    manifest.type,
    zodProblems(result.error, '', 'E_CONFIG_INVALID').map(({ path, message }) => ({ path, message })),
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

/** References stay as written: a test passes the configs it means (no environment lookups). */
const keepReferences = (ref: { kind: 'env' | 'cred'; name: string }) => `\${${ref.kind}:${ref.name}}`;

/**
 * Runs one node in a real flow of the engine (`@tributary/engine`): its router, error handling,
 * acks, holds and close order, with a real context (temp data folder, real LMDB stores). The config
 * goes through the manifest's schema first, so tests see the errors users see.
 *
 * The flow is: a harness source emitting `inputs` (processors) → the node → one recording sink per
 * output port and one on `error`. Processors get `inputs` (one batch or several) and the result holds
 * what reached each port. Sources run until they end, or until `until` (messages or ms) or the safety
 * timeout stops the flow; their acks are the engine's (what the recording sinks confirmed).
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
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-node-test-'));
  const nodeId = options.nodeId ?? 'node';
  const result: RunNodeResult = {
    outputs: {},
    batches: [],
    errors: [],
    errorCount: 0,
    dropped: 0,
    stats: {},
    logs: [],
    acks: [],
    inputAcks: [],
    pendingAcks: [],
    aborted: false,
    timedOut: false,
    emittedAfterAbort: 0,
    dataDir,
  };
  /** Error objects in the order their messages reach the error port (the port carries only code and text). */
  const thrown: unknown[] = [];
  const hooks: HarnessHooks = {
    inputs: batchesOf(options.inputs),
    failAcks: options.ack === 'fail',
    inputAck(index, ok) {
      result.inputAcks[index] = ok;
    },
    record(port, batch) {
      const list = (result.outputs[port] ??= []);
      for (const message of batch) {
        list.push(message);
        if (port !== ERROR_PORT) continue;
        const error = message.meta.error;
        result.errors.push({
          error: thrown.length > 0 ? thrown.shift() : undefined,
          code: error?.code ?? 'E_HANDLER_THREW',
          text: error?.message ?? '',
          message,
        });
      }
    },
  };
  let run: FlowRun | undefined;
  const stop = () => {
    if (run === undefined || result.aborted) return;
    result.aborted = true;
    void run.stop();
  };
  const underTest = observed(definition, parsed, options, result, thrown, () => stop());
  const registry = harnessRegistry(underTest, hooks);
  const timers: NodeJS.Timeout[] = [];
  try {
    const starting = runFlow(
      harnessFlow(manifest, nodeId, options),
      {
        registry,
        dataDir,
        resolveSecret: keepReferences,
        ...(options.endpoints === undefined ? {} : { endpoints: options.endpoints }),
        onLog: (entry) => {
          if (entry.nodeId !== nodeId) return;
          result.logs.push(
            entry.data === undefined
              ? { level: entry.level, message: entry.message }
              : { level: entry.level, message: entry.message, data: entry.data },
          );
        },
      },
      openLmdbStore,
    );
    // The node's own start error (a NodeConfigError, say) is what its tests expect, not the engine's wrapper.
    run = await starting.catch((error: unknown) => {
      throw error instanceof FlowStartError && error.nodeId === nodeId && error.cause !== undefined
        ? error.cause
        : error;
    });
    const onAbort = () => stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop();
    if (options.until?.ms !== undefined) timers.push(setTimeout(stop, options.until.ms));
    timers.push(
      setTimeout(() => {
        if (run?.state === 'running') result.timedOut = true;
        stop();
      }, options.timeoutMs ?? 10_000),
    );
    const end = await run.done;
    options.signal?.removeEventListener('abort', onAbort);
    const stats = run.stats().nodes[nodeId];
    if (stats) {
      Object.assign(result.stats, stats.custom);
      result.dropped = stats.dropped;
      result.errorCount = stats.errors;
    }
    if (end.state === 'failed' && end.reason !== undefined) throw new Error(end.reason);
    return result;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    if (ownDir && !options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function batchesOf(raw: RunNodeOptions['inputs']): FlowMessage[][] {
  if (raw === undefined || raw.length === 0) return [];
  const batches = (Array.isArray(raw[0]) ? raw : [raw]) as readonly (readonly MessageInput[])[];
  return batches.map((batch) => batch.map(toMessage)).filter((batch) => batch.length > 0);
}

/** input → node → one recorder per output port and one on `error`. */
function harnessFlow(manifest: NodeManifest, nodeId: string, options: RunNodeOptions): FlowDocument {
  const ports = [...manifest.outputs.map((p) => p.name), ERROR_PORT];
  const isSource = manifest.kind === 'source';
  return {
    schemaVersion: 1,
    id: options.flowId ?? 'test-flow',
    name: 'runNode',
    ...(options.batchSize === undefined ? {} : { settings: { batchSize: options.batchSize } }),
    connections: Object.entries(options.connections ?? {}).map(([id, config]) => ({
      id,
      type: 'test',
      config: { ...config },
    })),
    nodes: [
      ...(isSource ? [] : [{ id: 'runnode-input', type: 'runnode:input', typeVersion: 1, config: {} }]),
      { id: nodeId, type: manifest.type, typeVersion: manifest.typeVersion, config: {} },
      ...ports.map((port) => ({ id: `runnode-${port}`, type: 'runnode:record', typeVersion: 1, config: { port } })),
    ],
    edges: [
      ...(isSource
        ? []
        : [
            {
              id: 'input',
              source: 'runnode-input',
              sourcePort: 'out',
              target: nodeId,
              targetPort: options.inputPort ?? 'in',
            },
          ]),
      ...ports.map((port) => ({
        id: `out-${port}`,
        source: nodeId,
        sourcePort: port,
        target: `runnode-${port}`,
        targetPort: 'in',
      })),
    ],
  };
}

/**
 * The node under test, created with the parsed config and watched from outside: what a source
 * emits (batches, acks, `until`, `onEmit`), which error objects a processor reports. The engine
 * still does all the routing; nothing here changes what reaches the ports.
 */
function observed<M extends NodeManifest>(
  definition: NodeDefinition<M>,
  parsed: ConfigOf<M>,
  options: RunNodeOptions,
  result: RunNodeResult,
  thrown: unknown[],
  stop: () => void,
): NodeDefinition {
  return {
    manifest: definition.manifest,
    async create(_config, ctx) {
      const instance = await definition.create(parsed, ctx);
      const close = options.keepOpen ? undefined : instance.close?.bind(instance);
      if (instance.kind === 'processor') return watchProcessor(instance, thrown, close);
      return watchSource(instance, options, result, thrown, stop, close);
    },
  };
}

function watchProcessor(
  instance: ProcessorInstance,
  thrown: unknown[],
  close: (() => Promise<void> | void) | undefined,
): ProcessorInstance {
  const failed = (mark: number, error: unknown, count: number) => {
    thrown.length = mark; // as the engine discards the batch's partial output, so its errors
    for (let i = 0; i < count; i++) thrown.push(error);
  };
  return {
    kind: 'processor',
    process(batch, out, port) {
      const mark = thrown.length;
      const watched: Output = {
        push: (message, to) => out.push(message, to),
        error: (error, message) => {
          thrown.push(error);
          out.error(error, message);
        },
        drop: (count) => out.drop(count),
        hold: () => out.hold(),
      };
      try {
        const pending = instance.process(batch, watched, port);
        return pending?.catch((error: unknown) => {
          failed(mark, error, batch.length);
          throw error;
        });
      } catch (error) {
        failed(mark, error, batch.length);
        throw error;
      }
    },
    ...(close ? { close } : {}),
  };
}

function watchSource(
  instance: SourceInstance,
  options: RunNodeOptions,
  result: RunNodeResult,
  thrown: unknown[],
  stop: () => void,
  close: (() => Promise<void> | void) | undefined,
): SourceInstance {
  let emitted = 0;
  const ackOf = (onAck: AckCallback | undefined): AckCallback | undefined => {
    if (onAck === undefined) return undefined;
    if (options.ack === 'none') {
      result.pendingAcks.push(onAck); // the engine never hears of it: the batch stays unconfirmed
      return undefined;
    }
    return (ok) => {
      result.acks.push(ok);
      onAck(ok);
    };
  };
  return {
    kind: 'source',
    run(ctx) {
      const watched: SourceContext = {
        ...ctx,
        emit(batch, onAck) {
          const copy = [...batch];
          if (ctx.signal.aborted) result.emittedAfterAbort += copy.length;
          result.batches.push(copy);
          emitted += copy.length;
          const wait = ctx.emit(batch, ackOf(onAck));
          if (options.until?.messages !== undefined && emitted >= options.until.messages) stop();
          const extra = options.onEmit?.(copy, result.batches.length - 1);
          if (extra === undefined) return wait;
          return wait === undefined ? extra : Promise.all([wait, extra]).then(() => undefined);
        },
        emitError(error, message, onAck) {
          thrown.push(error);
          return ctx.emitError(error, message, ackOf(onAck));
        },
      };
      return instance.run(watched);
    },
    ...(close ? { close } : {}),
  };
}
