/**
 * Entry of the worker thread that runs one deployed flow. It talks to the main thread only through
 * messages (host/worker-protocol.ts) and the shared activity cells the watchdog reads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FlowLogEntry } from '@tributary/shared';
import { createNodeRegistry, endpointsOverChannel, type EndpointToFlow } from '@tributary/nodes/runtime';
import { FlowStartError, FlowValidationError, startFlow, type FlowRun } from '../engine/index.js';
import { ownValue } from '@tributary/engine';
import { WindowLimiter, toTapValue } from './limits.js';
import {
  CELL_HEARTBEAT,
  HEARTBEAT_MS,
  type MainToWorker,
  type RunOutcome,
  type WorkerInit,
  type WorkerToMain,
} from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('flow-worker.js runs inside a worker thread only');
const init = workerData as WorkerInit;
const flowId = init.flow.id;
const cells = new Int32Array(init.activity);
const post = (message: WorkerToMain) => port.postMessage(message);

// The watchdog on the main thread watches this cell: it stops moving when user code blocks the loop.
// A first beat now: from here on, a blocked loop shows (even one that blocks while the flow starts).
Atomics.add(cells, CELL_HEARTBEAT, 1);
const heartbeat = setInterval(() => Atomics.add(cells, CELL_HEARTBEAT, 1), HEARTBEAT_MS);
heartbeat.unref();

const logLimiter = new WindowLimiter(init.logRate);
const suppressedLogs = setInterval(() => {
  const dropped = logLimiter.takeDropped();
  if (dropped > 0) {
    post({
      type: 'log',
      entry: {
        flowId,
        at: Date.now(),
        level: 'warn',
        message: `${dropped} log lines not shown (more than ${init.logRate}/s)`,
      },
    });
  }
}, 1000);
suppressedLogs.unref();

const onLog = (entry: FlowLogEntry) => {
  if (!logLimiter.allow()) return;
  try {
    post({ type: 'log', entry });
  } catch {
    // `data` that cannot be cloned (functions, sockets): send the line without it.
    post({ type: 'log', entry: { ...entry, data: '[not serializable]' } });
  }
};

// Endpoints (webhook, event streams, WebSockets) are served by the main thread's server; nodes
// reach them through messages.
const endpointListeners: ((message: EndpointToFlow) => void)[] = [];
const endpoints = endpointsOverChannel({
  send: (message) => post({ type: 'endpoint', message }),
  onMessage: (listener) => endpointListeners.push(listener),
});

let run: FlowRun | null = null;
const taps = new Map<string, () => void>();
const pendingTaps = new Set(init.taps);
let stopRequested: Extract<MainToWorker, { type: 'stop' }> | null = null;

function startTap(edgeId: string): void {
  if (run === null) {
    pendingTaps.add(edgeId);
    return;
  }
  if (taps.has(edgeId)) return;
  try {
    // The engine samples (at most tapRate a second, counting what it skipped); here only the value is made postable.
    const off = run.tap(
      edgeId,
      (event) =>
        post({
          type: 'tap',
          event: { ...event, message: { ...event.message, value: toTapValue(event.message.value) } },
        }),
      init.tapRate,
    );
    taps.set(edgeId, off);
  } catch (error) {
    onLog({
      flowId,
      at: Date.now(),
      level: 'warn',
      message: `cannot tap edge "${edgeId}": ${(error as Error).message}`,
    });
  }
}

function stop(target: FlowRun, request: Extract<MainToWorker, { type: 'stop' }>): void {
  void target.stop(request.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: request.drainTimeoutMs });
}

function stopTap(edgeId: string): void {
  pendingTaps.delete(edgeId);
  taps.get(edgeId)?.();
  taps.delete(edgeId);
}

port.on('message', (message: MainToWorker) => {
  switch (message.type) {
    case 'stats':
      if (run !== null) post({ type: 'stats', snapshot: run.stats() });
      break;
    case 'stop':
      // A stop that arrives while nodes are still starting waits for the start to finish.
      if (run !== null) stop(run, message);
      else stopRequested = message;
      break;
    case 'tap:start':
      startTap(message.edgeId);
      break;
    case 'tap:stop':
      stopTap(message.edgeId);
      break;
    case 'endpoint':
      for (const listener of endpointListeners) listener(message.message);
      break;
  }
});

// Every module is loaded by now (the imports above): what follows is the flow's own start.
post({ type: 'booted' });
try {
  run = await startFlow(init.flow, {
    registry: createNodeRegistry(),
    dataDir: init.dataDir,
    resolveSecret: (ref) => ownValue(ref.kind === 'cred' ? init.credentials : process.env, ref.name),
    activity: cells,
    endpoints,
    onLog,
    onNodeError: (event) => post({ type: 'node-error', event }),
    // Said as soon as the engine is running: the first batch may block this thread before startFlow
    // returns here, and the main thread must know the flow started (and that the hang came after).
    onStateChange: (state) => {
      if (state === 'running') post({ type: 'started' });
    },
  });
} catch (error) {
  const failure: WorkerToMain = { type: 'start-failed', message: (error as Error).message ?? String(error) };
  if (error instanceof FlowStartError && error.nodeId !== undefined) failure.nodeId = error.nodeId;
  if (error instanceof FlowValidationError) failure.problems = error.problems;
  post(failure);
  clearInterval(heartbeat);
  clearInterval(suppressedLogs);
  port.close();
}

if (run !== null) {
  const started = run;
  for (const edgeId of pendingTaps) startTap(edgeId);
  pendingTaps.clear();
  if (stopRequested !== null) stop(started, stopRequested);
  void started.done.then((result) => {
    for (const off of taps.values()) off();
    const outcome: RunOutcome = { state: result.state, abandoned: result.abandoned };
    if (result.reason !== undefined) outcome.reason = result.reason;
    post({ type: 'done', outcome, snapshot: started.stats() });
    clearInterval(heartbeat);
    clearInterval(suppressedLogs);
  });
}
