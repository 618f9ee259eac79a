/**
 * Routes the editor uses beyond the flow API: an overview of every flow with its live figures
 * (the editor's home list) and `POST /api/node-test`, which runs one handler on one sample message
 * in a worker thread of its own, time-limited (the editor's test panel and its syntax check).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Router } from 'express';
import { z } from 'zod';
import { connectionTypes, nodeManifests } from '@tributary/nodes/manifests';
import { RuntimeError } from '../errors.js';
import type { AppContext } from './app.js';
import type { NodeTestJob, NodeTestOutcome } from './node-test-protocol.js';
import { resolveForTest } from './node-test-secrets.js';
import { TestSlots } from './test-slots.js';

/** One line of `GET /api/overview`. */
export interface FlowOverview {
  id: string;
  name: string;
  state: string;
  nodeCount: number;
  updatedAt: string;
  /** Messages per second its sources emit (last second); 0 when not running. */
  rate: number;
  /** Errors counted over the current run. */
  errors: number;
  /** ISO 8601: when the current (or last seen) run started, from the stats history. */
  startedAt?: string;
  lastError?: string;
  /** The node the last failure was blamed on. */
  lastErrorNodeId?: string;
}

const TEST_TIMEOUT_MS = 3000;
/** Loading the node types in a fresh worker, before the node's own time starts. */
const BOOT_TIMEOUT_MS = 30_000;
const MAX_TEST_TIMEOUT_MS = 10_000;
/** Tests at a time: each is a worker thread; more wait their turn, up to a point. */
const MAX_RUNNING_TESTS = 2;
const MAX_WAITING_TESTS = 16;
/** How long a test waits for a free worker before it is refused (429). */
const SLOT_WAIT_MS = 15_000;

const NodeTestBody = z.object({
  type: z.string().min(1),
  nodeId: z.string().min(1).max(200).default('node-test'),
  config: z.record(z.string(), z.unknown()),
  message: z
    .object({
      value: z.unknown(),
      key: z.string().nullable().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  /** The open flow's connections as its document holds them (secrets as references). */
  connections: z
    .array(z.object({ id: z.string().min(1), type: z.string().min(1), config: z.record(z.string(), z.unknown()) }))
    .max(200)
    .optional(),
  /** A sink sends for real (a request, a row, a record): only when the user said so. */
  writeToTarget: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(MAX_TEST_TIMEOUT_MS).default(TEST_TIMEOUT_MS),
});

function testWorkerScript(): URL {
  const beside = new URL('./node-test-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/http/node-test-worker.js', import.meta.url);
}

/** What a test that timed out was waiting for: the services its connections point at, if any. */
function timeoutMessage(job: NodeTestJob, timeoutMs: number): string {
  const stopped = `no result after ${timeoutMs} ms: the test was stopped`;
  const ids = Object.keys(job.connections ?? {});
  if (ids.length === 0) return stopped;
  const named = ids.map((id) => `"${id}"`).join(', ');
  return `${stopped}. It uses connection ${named}: is the service reachable from the runtime, and its timeouts shorter than ${timeoutMs} ms?`;
}

/** Runs a job in a fresh worker; terminates it when the time is up (a hanging loop included). */
function runTest(job: NodeTestJob, timeoutMs: number): Promise<NodeTestOutcome> {
  return new Promise((resolve) => {
    const worker = new Worker(testWorkerScript(), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: 128 },
    });
    let settled = false;
    const done = (outcome: NodeTestOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    let timer = setTimeout(
      () =>
        done({
          kind: 'failed',
          message: `the test could not start within ${BOOT_TIMEOUT_MS / 1000} s (the runtime is busy)`,
        }),
      BOOT_TIMEOUT_MS,
    );
    worker.on('message', (message: NodeTestOutcome | { ready: true }) => {
      if (!('ready' in message)) return done(message);
      // The worker has loaded the node types: the node's own time starts.
      clearTimeout(timer);
      timer = setTimeout(() => done({ kind: 'timeout', message: timeoutMessage(job, timeoutMs) }), timeoutMs);
    });
    worker.once('error', (error) => done({ kind: 'failed', message: error.message }));
    worker.once('exit', (code) => done({ kind: 'failed', message: `the test ended without a result (exit ${code})` }));
  });
}

export function editorApiRoutes(ctx: AppContext): Router {
  const router = Router();
  const manifests = new Map(nodeManifests.map((m) => [m.type, m]));
  const slots = new TestSlots(MAX_RUNNING_TESTS, MAX_WAITING_TESTS);

  router.get('/overview', (_req, res) => {
    const flows: FlowOverview[] = ctx.store.list().map((stored) => {
      const { flow } = stored;
      const status = ctx.manager.status(flow.id);
      const latest = ctx.history.latest(flow.id);
      const hasInput = new Set(flow.edges.map((e) => e.target));
      let rate = 0;
      let errors = 0;
      if (latest && status.state === 'running') {
        for (const [id, stats] of Object.entries(latest.nodes)) {
          if (!hasInput.has(id)) rate += stats.rate1s;
          errors += stats.errors;
        }
      }
      return {
        id: flow.id,
        name: flow.name,
        state: status.state,
        nodeCount: flow.nodes.length,
        updatedAt: new Date(stored.meta.updatedAt).toISOString(),
        rate,
        errors,
        ...(latest ? { startedAt: new Date(latest.at - latest.uptimeMs).toISOString() } : {}),
        ...(status.lastError ? { lastError: status.lastError.message } : {}),
        ...(status.lastError?.nodeId !== undefined ? { lastErrorNodeId: status.lastError.nodeId } : {}),
      };
    });
    res.json({ flows });
  });

  router.post('/node-test', async (req, res) => {
    const body = NodeTestBody.safeParse(req.body);
    if (!body.success)
      throw new RuntimeError(
        'E_BODY_INVALID',
        'send { "type", "config", "message": { "value" } } as JSON (message left out: only check the config)',
        400,
      );
    const { type, nodeId, config, message, connections, writeToTarget, timeoutMs } = body.data;
    const manifest = manifests.get(type);
    if (manifest === undefined) throw new RuntimeError('E_BAD_REQUEST', `unknown node type "${type}"`, 400);
    const kind = manifest.kind;
    // A source would run on its own; a sink writes to its real target, so only when asked to.
    if (message !== undefined && kind === 'source')
      throw new RuntimeError(
        'E_BAD_REQUEST',
        'a source cannot be tested on its own (it would read from its real input); test the handlers after it',
        400,
      );
    if (message !== undefined && kind === 'sink' && !writeToTarget)
      throw new RuntimeError(
        'E_BAD_REQUEST',
        'testing a sink would write to its real target: send "writeToTarget": true to do so',
        400,
      );
    // Credentials are resolved here and go only to the test's worker; never back to the client.
    const resolved = resolveForTest(manifest, config, connections ?? [], connectionTypes, (name) =>
      ctx.credentials.get(name),
    );
    // A client that gives up while its test waits for a slot leaves the line at once.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    if (!(await slots.acquire(SLOT_WAIT_MS, gone.signal))) {
      if (gone.signal.aborted) return;
      throw new RuntimeError('E_BAD_REQUEST', 'other node tests are running: try again in a moment', 429);
    }
    try {
      const job: NodeTestJob = {
        type,
        nodeId,
        config: resolved.config,
        ...(message ? { message: { ...message, key: message.key ?? null } } : {}),
        ...(Object.keys(resolved.connections).length > 0 ? { connections: resolved.connections } : {}),
      };
      res.json(await runTest(job, timeoutMs));
    } finally {
      slots.release();
    }
  });

  return router;
}
