/**
 * One node test (`POST /api/node-test`) in its own worker thread: the node is created from its
 * config as the engine would (so syntax errors read exactly as at deploy), gets one message, and
 * what it emits, logs or throws is posted back. The main thread terminates the worker when the
 * time is up, so a `while (true) {}` costs the test, never the server.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createNodeRegistry, NodeConfigError } from '@tributary/nodes/runtime';
import { ConfigParseError, runNode } from '@tributary/nodes/testing';
import type { NodeTestJob, NodeTestOutcome, NodeTestMessage } from './node-test-protocol.js';

const job = workerData as NodeTestJob;

/** Values travel back as JSON-safe data: a message may hold anything user code made. */
function plain(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown;
  } catch {
    return String(value);
  }
}

async function run(): Promise<NodeTestOutcome> {
  const definition = createNodeRegistry().get(job.type);
  if (!definition) return { kind: 'refused', message: `unknown node type "${job.type}"` };
  try {
    const result = await runNode(definition, job.config, {
      nodeId: job.nodeId,
      flowId: 'node-test',
      inputs: job.message ? [job.message] : [],
      connections: job.connections,
    });
    const outputs: Record<string, NodeTestMessage[]> = {};
    for (const [port, messages] of Object.entries(result.outputs))
      if (port !== 'error')
        outputs[port] = messages.map((m) => ({ key: m.key, value: plain(m.value), headers: { ...m.headers } }));
    return {
      kind: 'ran',
      outputs,
      errors: result.errors.map((e) => ({ code: e.code, message: e.text })),
      logs: result.logs.map((l) => ({ level: l.level, message: l.message })),
      dropped: result.dropped,
    };
  } catch (error) {
    if (error instanceof ConfigParseError) return { kind: 'config', problems: [...error.problems] };
    if (error instanceof NodeConfigError)
      return {
        kind: 'config',
        problems: [
          {
            path: error.field ? `/${error.field}` : '',
            message: error.message,
            ...(error.line !== undefined ? { line: error.line } : {}),
            ...(error.column !== undefined ? { column: error.column } : {}),
          },
        ],
      };
    return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

// The node code is loaded: the time limit starts now (loading all node types can take seconds on
// a busy machine, and is not the user's code being slow).
parentPort?.postMessage({ ready: true });
parentPort?.postMessage(await run());
