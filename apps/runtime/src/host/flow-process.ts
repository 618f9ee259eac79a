/**
 * Entry of the child process that hosts one run of one flow. The flow's code runs in a worker
 * thread of this process (flow-thread.ts) so that its watchdog, on this process's main thread, can
 * still name the node of a handler that blocks; the process boundary is what protects the server:
 * a node that kills its process, exhausts its memory or wedges a file-system call takes only this
 * process down. The server talks to it only through its IPC channel (host/channel.ts).
 */
import { processChannel } from './channel.js';
import { FlowThread } from './flow-thread.js';
import type { MainToProcess, ProcessExit, ProcessInit, ProcessToMain } from './worker-protocol.js';

const channel = processChannel<ProcessToMain, MainToProcess>(process);
let thread: FlowThread | null = null;

// Ctrl-C in a terminal, or a service manager's stop, signals the whole process group: the server
// got the signal too and stops every flow with drain. Dying here at once would lose the drain and
// mark the flow failed; if the server dies instead, 'disconnect' below ends this process.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

// The server went away (even kill -9): nothing is left to report to, so nothing may keep running.
process.on('disconnect', () => {
  if (thread === null) process.exit(0);
  void thread.kill('the server went away');
  setTimeout(() => process.exit(0), 2000).unref();
});

channel.onMessage((message) => {
  if (message.type === 'init') {
    if (thread === null) start(message.init);
    return;
  }
  if (thread === null) return;
  switch (message.type) {
    case 'stats':
      thread.requestStats();
      break;
    case 'stop':
      void thread.stop(message.drainTimeoutMs);
      break;
    case 'tap:start':
      thread.tapStart(message.edgeId);
      break;
    case 'tap:stop':
      thread.tapStop(message.edgeId);
      break;
    case 'kill':
      void thread.kill(message.reason, message.state);
      break;
    case 'endpoint':
      thread.endpointMessage(message.message);
      break;
  }
});

function start(init: ProcessInit): void {
  const running = new FlowThread({
    flow: init.flow,
    dataDir: init.dataDir,
    credentials: init.credentials,
    taps: init.taps,
    watchdogMs: init.watchdogMs,
    tapRate: init.tapRate,
    logRate: init.logRate,
    heapLimitMb: init.memoryLimitMb,
    // Resident memory counts what the heap limit does not: Buffers, typed arrays, native allocations.
    memoryLimitMb: init.memoryLimitMb,
    stopGraceMs: init.stopGraceMs,
    events: {
      booted: () => channel.send({ type: 'booted' }),
      stats: (snapshot) => channel.send({ type: 'stats', snapshot }),
      log: (entry) => channel.send({ type: 'log', entry }),
      nodeError: (event) => channel.send({ type: 'node-error', event }),
      tap: (event) => channel.send({ type: 'tap', event }),
      endpoint: (message) => channel.send({ type: 'endpoint', message }),
    },
  });
  thread = running;
  running.started.then(
    () => channel.send({ type: 'started' }),
    (error: Error & { nodeId?: string; problems?: [] }) =>
      channel.send({
        type: 'start-failed',
        message: error.message,
        ...(error.nodeId !== undefined ? { nodeId: error.nodeId } : {}),
        ...(error.problems !== undefined ? { problems: error.problems } : {}),
      }),
  );
  void running.exited.then((exit: ProcessExit) => {
    // Exit once the outcome is on its way: `send`'s callback fires when it was written to the channel.
    if (!process.connected) process.exit(0);
    process.send?.({ type: 'exited', exit } satisfies ProcessToMain, undefined, {}, () => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
